"""Tier-0 references: control-chart constants and Anhøj thresholds (fixtures/tier0)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from carehelm.engines.spc import constants

from .cli_runner import FIXTURES

FOLDER = FIXTURES / "tier0"


def _rows(name: str) -> list[dict[str, str]]:
    with (FOLDER / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


THRESHOLDS = _rows("anhoej_thresholds_n1_100.csv")
CONSTANTS = _rows("constants_n2_100.csv")


@pytest.mark.parametrize("row", THRESHOLDS, ids=lambda row: f"n{row['n_useful']}")
def test_anhoej_thresholds(row: dict[str, str]) -> None:
    n = int(row["n_useful"])
    assert constants.longest_run_max(n) == int(row["longest_run_max"])
    assert constants.n_crossings_min(n) == int(row["n_crossings_min"])


def test_thresholds_cover_1_to_100() -> None:
    assert [int(r["n_useful"]) for r in THRESHOLDS] == list(range(1, 101))


@pytest.mark.parametrize("name", ["c4", "c5", "A3", "B3", "B4"])
def test_constants(name: str) -> None:
    sizes = np.array([float(r["n"]) for r in CONSTANTS])
    expected = np.array([float(r[name]) for r in CONSTANTS])
    function = getattr(constants, name.lower())
    np.testing.assert_allclose(function(sizes), expected, rtol=1e-12, atol=0)
    assert sizes.tolist() == list(range(2, 101))


def test_constants_are_undefined_for_one_value() -> None:
    for function in (constants.c4, constants.c5, constants.a3, constants.b3, constants.b4):
        assert np.isnan(function(np.array([0.0, 1.0]))).all()


@pytest.mark.parametrize("n_useful", [101, 2001, 2002, 2500, 10_000])
def test_crossings_limit_for_long_series(n_useful: int) -> None:
    # Independent exact reference: the smallest k with 20·Σ_{i≤k} C(n−1, i) ≥ 2^(n−1).
    trials = n_useful - 1
    cumulative, k, term = 0, -1, 1
    while 20 * cumulative < 2**trials:
        k += 1
        cumulative += term
        term = term * (trials - k) // (k + 1)  # C(trials, k + 1)
    assert term == math.comb(trials, k + 1)
    assert constants.n_crossings_min(n_useful) == k
