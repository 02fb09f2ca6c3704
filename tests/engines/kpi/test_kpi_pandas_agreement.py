"""The DuckDB engine and the benchmark's plain pandas implementation give the same rows.

Two independent implementations of the written definitions (SQL and pandas) must agree on
every row of a synthetic dataset, which catches mistakes that hand cases are too small to hit
(period edges, facility roll-ups, open stays, exclusions).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carehelm.engines.kpi import compute_kpis

from .test_kpi_hand_computed import BEDS, RANGE, _encounters, _stays

BENCH = Path(__file__).resolve().parents[3] / "bench" / "kpi"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_kpi_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


reference = _load("pandas_reference")
synthetic = _load("synthetic")
KEY = ["grain", "period", "facility", "unit", "kpi"]


def _assert_same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.assign(unit=a["unit"].fillna("<facility>"))
    b = b.assign(unit=b["unit"].fillna("<facility>"))
    merged = a.merge(b, on=KEY, how="outer", suffixes=("_duckdb", "_pandas"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    assert only.empty, f"rows in one implementation only:\n{only[KEY + ['_merge']].head()}"
    for col in ("numerator", "denominator", "value"):
        x, y = merged[f"{col}_duckdb"].to_numpy(float), merged[f"{col}_pandas"].to_numpy(float)
        bad = ~np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert not bad.any(), (
            f"{col} differs:\n{merged.loc[bad, KEY + [f'{col}_duckdb', f'{col}_pandas']].head()}"
        )


def test_both_implementations_agree_on_the_hand_computed_week():
    duck = compute_kpis(_encounters(), _stays(), BEDS, **RANGE)
    plain = reference.compute_kpis_pandas(_encounters(), _stays(), BEDS, **RANGE)
    _assert_same_rows(duck, plain)


@pytest.mark.parametrize("seed", [1, 2])
def test_both_implementations_agree_on_synthetic_activity(seed):
    enc, stays, beds = synthetic.synthetic_activity(3000, seed=seed)
    span = synthetic.date_range_of_synthetic()
    duck = compute_kpis(enc, stays, beds, **span)
    plain = reference.compute_kpis_pandas(enc, stays, beds, **span)
    assert len(duck) > 10_000
    _assert_same_rows(duck, plain)


@pytest.mark.parametrize("facilities", [("North",), ("North", "South", "East")])
def test_both_implementations_agree_when_a_facility_has_two_emergency_units(facilities):
    # The engine takes a facility's ED percentiles from its unit's when all its seen visits are
    # in one unit; a facility with two ED units must still be computed over both.
    enc, stays, beds = synthetic.synthetic_activity(3000, seed=3)
    second_ed = (enc["unit"] == "ED") & enc["facility"].isin(facilities) & (enc.index % 3 == 0)
    enc.loc[second_ed, "unit"] = "PAEDS_ED"
    span = synthetic.date_range_of_synthetic()
    duck = compute_kpis(enc, stays, beds, **span)
    plain = reference.compute_kpis_pandas(enc, stays, beds, **span)
    north = duck[(duck["facility"] == "North") & (duck["kpi"] == "ed_los_p90_minutes")]
    assert set(north["unit"].dropna()) == {"ED", "PAEDS_ED"}
    _assert_same_rows(duck, plain)
