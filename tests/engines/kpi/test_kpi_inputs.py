"""The engine reads DataFrames, CSV and Parquet alike, and refuses bad rows by name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from carehelm.engines.kpi import KpiInputError, compute_kpis

from .test_kpi_hand_computed import BEDS, RANGE, _encounters, _stays


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["grain", "kpi", "facility", "unit", "period"], na_position="first").reset_index(
        drop=True
    )


def test_csv_and_parquet_files_give_the_same_rows_as_dataframes(tmp_path: Path):
    enc, st = _encounters(), _stays()
    expected = _sorted(compute_kpis(enc, st, BEDS, **RANGE))
    enc.to_csv(tmp_path / "enc.csv", index=False)
    st.to_csv(tmp_path / "stays.csv", index=False)
    pd.DataFrame({"facility": ["H", "H"], "unit": ["ICU", "WARD"], "staffed_beds": [2, 4]}).to_csv(
        tmp_path / "beds.csv", index=False
    )
    from_csv = compute_kpis(tmp_path / "enc.csv", str(tmp_path / "stays.csv"), tmp_path / "beds.csv", **RANGE)
    pd.testing.assert_frame_equal(_sorted(from_csv), expected)

    con = duckdb.connect()
    con.register("e", enc)
    con.register("s", st)
    con.execute(f"COPY e TO '{tmp_path / 'enc.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY s TO '{tmp_path / 'stays.parquet'}' (FORMAT parquet)")
    from_parquet = compute_kpis(tmp_path / "enc.parquet", tmp_path / "stays.parquet", BEDS, **RANGE)
    pd.testing.assert_frame_equal(_sorted(from_parquet), expected)


def test_bad_encounter_class_in_csv_names_file_row_line_and_field(tmp_path: Path):
    enc = _encounters()
    enc.loc[2, "encounter_class"] = "inpateint"
    enc.to_csv(tmp_path / "enc.csv", index=False)
    with pytest.raises(KpiInputError) as err:
        compute_kpis(tmp_path / "enc.csv", _stays(), **RANGE)
    e = err.value
    assert (e.row, e.field) == (3, "encounter_class")
    assert "enc.csv" in str(e) and "line 4" in str(e) and "inpatient" in str(e)


def test_unparseable_discharge_time_is_refused_with_its_row(tmp_path: Path):
    enc = _encounters().astype({"discharge_time": str})
    enc.loc[4, "discharge_time"] = "yesterday"
    with pytest.raises(KpiInputError) as err:
        compute_kpis(enc, _stays(), **RANGE)
    assert (err.value.row, err.value.field) == (5, "discharge_time")


def test_discharge_before_admission_is_refused():
    enc = _encounters()
    enc.loc[0, "discharge_time"] = pd.Timestamp("2023-12-31")
    with pytest.raises(KpiInputError, match="before admit_time") as err:
        compute_kpis(enc, _stays(), **RANGE)
    assert err.value.row == 1


def test_missing_required_column_is_named():
    with pytest.raises(KpiInputError) as err:
        compute_kpis(_encounters().drop(columns=["patient_id"]), _stays(), **RANGE)
    assert err.value.field == "patient_id" and err.value.source == "encounters"


def test_stay_of_an_unknown_encounter_is_refused():
    st = pd.concat(
        [
            _stays(),
            pd.DataFrame(
                {
                    "encounter_id": ["E99"],
                    "unit": ["ICU"],
                    "start_time": [pd.Timestamp("2024-01-02")],
                    "end_time": [pd.NaT],
                }
            ),
        ],
        ignore_index=True,
    )
    with pytest.raises(KpiInputError, match="E99") as err:
        compute_kpis(_encounters(), st, **RANGE)
    assert (err.value.source, err.value.row) == ("unit_stays", 9)


def test_duplicate_encounter_is_refused_at_its_second_row():
    enc = pd.concat([_encounters(), _encounters().iloc[[3]]], ignore_index=True)
    with pytest.raises(KpiInputError, match="duplicate") as err:
        compute_kpis(enc, _stays(), **RANGE)
    assert err.value.row == 13


def test_non_positive_staffed_beds_are_refused():
    with pytest.raises(KpiInputError, match="positive"):
        compute_kpis(_encounters(), _stays(), {("H", "ICU"): 0}, **RANGE)


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(KpiInputError, match="nope.parquet"):
        compute_kpis(tmp_path / "nope.parquet", _stays())


def test_progress_is_reported_to_the_end():
    seen = []
    compute_kpis(
        _encounters(), _stays(), BEDS, **RANGE, on_progress=lambda k, n, label: seen.append((k, n, label))
    )
    assert seen[0][0] == 1 and seen[-1] == (seen[-1][1], seen[-1][1], "done")
    assert [k for k, _, _ in seen] == sorted(k for k, _, _ in seen)


def test_duplicate_integer_encounter_id_in_parquet_is_refused_at_its_second_row(tmp_path: Path):
    # Dense integer ids are checked by a different (direct-indexed) count than text ids.
    enc = _encounters()
    enc["encounter_id"] = range(1, len(enc) + 1)
    enc.loc[7, "encounter_id"] = 3
    st = _stays()
    st["encounter_id"] = st["encounter_id"].str[1:].astype(int)
    con = duckdb.connect()
    con.register("e", enc)
    con.register("s", st)
    con.execute(f"COPY e TO '{tmp_path / 'enc.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY s TO '{tmp_path / 'stays.parquet'}' (FORMAT parquet)")
    with pytest.raises(KpiInputError, match="duplicate encounter_id 3") as err:
        compute_kpis(tmp_path / "enc.parquet", tmp_path / "stays.parquet", **RANGE)
    assert (err.value.row, err.value.field) == (8, "encounter_id")
