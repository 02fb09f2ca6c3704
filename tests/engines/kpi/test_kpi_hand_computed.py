"""Every KPI on a small week of activity whose figures are worked out by hand below.

Facility H, week of Monday 2024-01-01 .. Sunday 2024-01-07, staffed beds ICU 2, WARD 4.

    E1  P1 inpatient   ICU  Jan 1 10:00 -> Jan 2 15:00, then WARD -> Jan 4 12:00, home
    E2  P2 inpatient   WARD Jan 2 08:00 -> Jan 2 20:00 (same day), home
    E3  P1 inpatient   ICU  Jan 20 00:00 -> still in                (readmission of E1)
    E4  P3 inpatient   WARD Jan 3 22:00 -> Jan 6 00:00 (exactly midnight), died
    E5  P4 inpatient   WARD Jan 5 09:00 -> Jan 6 09:00, home
    E6  P4 inpatient   WARD Feb 10 09:00 -> Feb 12 09:00, home      (36 days after E5: not a readmission)
    E7  P5 observation WARD Jan 6 18:00 -> Jan 7 10:00
    E8  P6 emergency   ED   Jan 1 08:00 -> 12:00 (240 min)
    E9  P7 emergency   ED   Jan 1 09:00 -> 10:00 (60 min)
    E10 P8 emergency   ED   Jan 1 11:00 -> 11:30, left without being seen
    E11 P2 emergency   ED   Jan 3 10:00 -> 16:00 (360 min)
    E12 P9 outpatient  OPD  Jan 2 (ignored by every KPI)
"""

from __future__ import annotations

import pandas as pd
import pytest

from carehelm.engines.kpi import KPI_DEFINITIONS, compute_kpis

T = pd.Timestamp
BEDS = {("H", "ICU"): 2, ("H", "WARD"): 4}
RANGE = {"start": "2024-01-01", "end": "2024-01-07", "as_of": "2024-03-01 00:00"}


def _encounters() -> pd.DataFrame:
    rows = [
        ("E1", "P1", "WARD", "inpatient", "2024-01-01 10:00", "2024-01-04 12:00", "home", False),
        ("E2", "P2", "WARD", "inpatient", "2024-01-02 08:00", "2024-01-02 20:00", "home", False),
        ("E3", "P1", "ICU", "inpatient", "2024-01-20 00:00", None, None, False),
        ("E4", "P3", "WARD", "inpatient", "2024-01-03 22:00", "2024-01-06 00:00", "died", False),
        ("E5", "P4", "WARD", "inpatient", "2024-01-05 09:00", "2024-01-06 09:00", "home", False),
        ("E6", "P4", "WARD", "inpatient", "2024-02-10 09:00", "2024-02-12 09:00", "home", False),
        ("E7", "P5", "WARD", "observation", "2024-01-06 18:00", "2024-01-07 10:00", "home", False),
        ("E8", "P6", "ED", "emergency", "2024-01-01 08:00", "2024-01-01 12:00", "home", False),
        ("E9", "P7", "ED", "emergency", "2024-01-01 09:00", "2024-01-01 10:00", "home", False),
        ("E10", "P8", "ED", "emergency", "2024-01-01 11:00", "2024-01-01 11:30", "home", True),
        ("E11", "P2", "ED", "emergency", "2024-01-03 10:00", "2024-01-03 16:00", "home", False),
        ("E12", "P9", "OPD", "outpatient", "2024-01-02 09:00", "2024-01-02 10:00", "home", False),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "encounter_id",
            "patient_id",
            "unit",
            "encounter_class",
            "admit_time",
            "discharge_time",
            "discharge_disposition",
            "left_without_being_seen",
        ],
    )
    df["facility"] = "H"
    df["admit_time"] = pd.to_datetime(df["admit_time"])
    df["discharge_time"] = pd.to_datetime(df["discharge_time"])
    return df


def _stays() -> pd.DataFrame:
    rows = [
        ("E1", "ICU", "2024-01-01 10:00", "2024-01-02 15:00"),
        ("E1", "WARD", "2024-01-02 15:00", "2024-01-04 12:00"),
        ("E2", "WARD", "2024-01-02 08:00", "2024-01-02 20:00"),
        ("E3", "ICU", "2024-01-20 00:00", None),
        ("E4", "WARD", "2024-01-03 22:00", "2024-01-06 00:00"),
        ("E5", "WARD", "2024-01-05 09:00", "2024-01-06 09:00"),
        ("E6", "WARD", "2024-02-10 09:00", "2024-02-12 09:00"),
        ("E7", "WARD", "2024-01-06 18:00", "2024-01-07 10:00"),
    ]
    df = pd.DataFrame(rows, columns=["encounter_id", "unit", "start_time", "end_time"])
    df["start_time"] = pd.to_datetime(df["start_time"])
    df["end_time"] = pd.to_datetime(df["end_time"])
    return df


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return compute_kpis(_encounters(), _stays(), BEDS, **RANGE)


def pick(rows: pd.DataFrame, kpi: str, grain: str, period: str, unit: str | None) -> pd.Series:
    sel = rows[(rows.kpi == kpi) & (rows.grain == grain) & (rows.period == period)]
    sel = sel[sel.unit.isna()] if unit is None else sel[sel.unit == unit]
    assert len(sel) == 1, f"expected one row for {kpi}/{grain}/{period}/{unit}, got {len(sel)}"
    return sel.iloc[0]


def value(rows, kpi, grain="week", period="2024-01-01", unit=None) -> float:
    return float(pick(rows, kpi, grain, period, unit)["value"])


def test_midnight_census_counts_stays_spanning_the_midnight_that_closes_each_day(rows):
    # WARD: E1 is in at the midnights closing Jan 2 and 3; E4 (Jan 3 22:00 -> Jan 6 00:00) closing
    # Jan 3, 4 and 5 (discharged exactly at midnight: still counted for Jan 5); E5 closing Jan 5;
    # E7 (observation) closing Jan 6; E2 (same-day) never.
    ward = [0, 1, 2, 1, 2, 1, 0]
    icu = [1, 0, 0, 0, 0, 0, 0]  # E1 in ICU at the midnight closing Jan 1 only
    for day, (w, i) in enumerate(zip(ward, icu, strict=True), start=1):
        period = f"2024-01-0{day}"
        assert value(rows, "midnight_census", "day", period, "WARD") == w
        assert value(rows, "midnight_census", "day", period, "ICU") == i
        assert value(rows, "midnight_census", "day", period, None) == w + i


def test_midnight_census_is_not_reported_for_weeks(rows):
    assert rows[(rows.kpi == "midnight_census") & (rows.grain != "day")].empty


def test_average_daily_census_is_patient_days_over_days(rows):
    row = pick(rows, "average_daily_census", "week", "2024-01-01", "WARD")
    assert (row.numerator, row.denominator) == (7, 7)  # 0+1+2+1+2+1+0 patient days over 7 days
    assert value(rows, "average_daily_census", unit="ICU") == pytest.approx(1 / 7)
    assert value(rows, "average_daily_census") == pytest.approx(8 / 7)


def test_occupancy_is_patient_days_over_staffed_bed_days(rows):
    assert value(rows, "occupancy_pct", unit="WARD") == pytest.approx(100 * 7 / (4 * 7))
    assert value(rows, "occupancy_pct", unit="ICU") == pytest.approx(100 * 1 / (2 * 7))
    assert value(rows, "occupancy_pct") == pytest.approx(100 * 8 / (6 * 7))
    # One day: Jan 3 the WARD has 2 of 4 beds filled at midnight.
    assert value(rows, "occupancy_pct", "day", "2024-01-03", "WARD") == pytest.approx(50.0)


def test_admissions_count_inpatients_in_their_admitting_unit(rows):
    # E1 admitted to ICU (first stay) although discharged from WARD; E2, E4, E5 to WARD.
    # E7 is observation and E3 falls after the range.
    assert value(rows, "admissions", unit="ICU") == 1
    assert value(rows, "admissions", unit="WARD") == 3
    assert value(rows, "admissions") == 4
    assert value(rows, "admissions", "day", "2024-01-02", "WARD") == 1  # E2


def test_discharges_count_inpatients_in_their_unit_of_discharge(rows):
    # E1 (Jan 4), E2 (Jan 2), E4 (died, Jan 6), E5 (Jan 6), all from WARD.
    assert value(rows, "discharges", unit="WARD") == 4
    assert value(rows, "discharges", unit="ICU") == 0
    assert value(rows, "discharges") == 4
    assert value(rows, "discharges", "day", "2024-01-06", "WARD") == 2


def test_transfers_count_the_unit_change_in_both_units(rows):
    # E1 ICU -> WARD on Jan 2.
    assert value(rows, "transfers_out", "day", "2024-01-02", "ICU") == 1
    assert value(rows, "transfers_in", "day", "2024-01-02", "WARD") == 1
    assert value(rows, "transfers_in", unit="ICU") == 0
    assert value(rows, "transfers_in") == 1 and value(rows, "transfers_out") == 1


def test_average_length_of_stay_uses_actual_hours_of_the_whole_encounter(rows):
    # E1 3 d 2 h, E2 12 h, E4 2 d 2 h, E5 1 d: (3 + 1/12 + 0.5 + 2 + 1/12 + 1) / 4 = (6 + 2/3) / 4
    row = pick(rows, "average_length_of_stay", "week", "2024-01-01", "WARD")
    assert row.numerator == pytest.approx(6 + 2 / 3)
    assert row.denominator == 4
    assert row.value == pytest.approx((6 + 2 / 3) / 4)
    assert value(rows, "average_length_of_stay", "day", "2024-01-02", "WARD") == pytest.approx(0.5)


def test_readmission_rate_excludes_deaths_and_counts_any_admission_within_30_days(rows):
    # Index: E1, E2, E5 (E4 died). E1 -> E3 16 days later is a readmission; P2's later ED
    # visit is not an inpatient admission; E5 -> E6 is 36 days later.
    row = pick(rows, "readmission_rate_30d", "week", "2024-01-01", "WARD")
    assert (row.numerator, row.denominator) == (1, 3)
    assert row.value == pytest.approx(100 / 3)


def test_ed_length_of_stay_median_and_p90_exclude_walkouts(rows):
    # Week: seen visits 240, 60, 360 min (E10 left without being seen). Median 240;
    # p90 by linear interpolation: position 0.9 * 2 = 1.8 -> 240 + 0.8 * (360 - 240) = 336.
    assert value(rows, "ed_los_median_minutes", unit="ED") == pytest.approx(240)
    assert value(rows, "ed_los_p90_minutes", unit="ED") == pytest.approx(336)
    assert value(rows, "ed_los_p90_minutes") == pytest.approx(336)
    # Jan 1: 240 and 60 -> median 150, p90 60 + 0.9 * 180 = 222.
    assert value(rows, "ed_los_median_minutes", "day", "2024-01-01", "ED") == pytest.approx(150)
    assert value(rows, "ed_los_p90_minutes", "day", "2024-01-01", "ED") == pytest.approx(222)
    assert pick(rows, "ed_los_median_minutes", "week", "2024-01-01", "ED").denominator == 3


def test_ed_left_without_being_seen_rate(rows):
    assert value(rows, "ed_lwbs_rate", unit="ED") == pytest.approx(25.0)  # 1 of 4 arrivals
    assert value(rows, "ed_lwbs_rate", "day", "2024-01-01", "ED") == pytest.approx(100 / 3)
    assert value(rows, "ed_lwbs_rate", "day", "2024-01-03", "ED") == 0


def test_bed_turnover_is_departures_per_staffed_bed(rows):
    # WARD: 4 discharges + 0 transfers out over 4 beds; ICU: 1 transfer out over 2 beds;
    # facility: 4 discharges over 6 beds.
    assert value(rows, "bed_turnover", unit="WARD") == pytest.approx(1.0)
    assert value(rows, "bed_turnover", unit="ICU") == pytest.approx(0.5)
    assert value(rows, "bed_turnover") == pytest.approx(4 / 6)


def test_ward_kpis_are_not_reported_for_the_ed_and_outpatients_are_invisible(rows):
    assert rows[(rows.unit == "ED") & (rows.kpi == "midnight_census")].empty
    assert rows[(rows.unit == "WARD") & rows.kpi.str.startswith("ed_")].empty
    assert rows[rows.unit == "OPD"].empty


def test_month_is_the_sum_of_its_days(rows):
    # The range ends Jan 7, so January has 7 days in range: ADC = 8 patient days / 7 days.
    row = pick(rows, "average_daily_census", "month", "2024-01-01", None)
    assert (row.numerator, row.denominator) == (8, 7)


def test_every_reported_kpi_has_a_complete_written_definition(rows):
    assert set(rows.kpi) == set(KPI_DEFINITIONS)
    for d in KPI_DEFINITIONS.values():
        assert d.numerator and d.denominator and d.exclusions and d.source_fields and d.unit_of_measure


def _one_encounter(stays: list[tuple[str, str, str | None]], admit: str, discharge: str | None):
    enc = pd.DataFrame(
        {
            "encounter_id": ["X"],
            "patient_id": ["P"],
            "facility": ["H"],
            "unit": [stays[-1][0]],
            "encounter_class": ["inpatient"],
            "admit_time": [T(admit)],
            "discharge_time": [T(discharge) if discharge else pd.NaT],
        }
    )
    st = pd.DataFrame(
        {
            "encounter_id": ["X"] * len(stays),
            "unit": [s[0] for s in stays],
            "start_time": [T(s[1]) for s in stays],
            "end_time": [T(s[2]) if s[2] else pd.NaT for s in stays],
        }
    )
    return enc, st


def test_transfer_at_exactly_midnight_counts_once_in_the_unit_left():
    enc, st = _one_encounter(
        [("ICU", "2024-01-01 10:00", "2024-01-03 00:00"), ("WARD", "2024-01-03 00:00", "2024-01-04 08:00")],
        "2024-01-01 10:00",
        "2024-01-04 08:00",
    )
    r = compute_kpis(enc, st, start="2024-01-01", end="2024-01-04", grains=("day",))
    # Midnight closing Jan 2 (= Jan 3 00:00): the patient is leaving ICU, not yet in WARD.
    assert value(r, "midnight_census", "day", "2024-01-02", "ICU") == 1
    assert value(r, "midnight_census", "day", "2024-01-02", "WARD") == 0
    # Midnight closing Jan 3: in WARD.
    assert value(r, "midnight_census", "day", "2024-01-03", "WARD") == 1
    assert value(r, "midnight_census", "day", "2024-01-03", "ICU") == 0
    assert value(r, "midnight_census", "day", "2024-01-03", None) == 1


def test_open_stay_counts_through_the_end_of_the_range():
    enc, st = _one_encounter([("ICU", "2024-01-01 10:00", None)], "2024-01-01 10:00", None)
    r = compute_kpis(enc, st, start="2024-01-01", end="2024-01-05", grains=("week",))
    row = pick(r, "average_daily_census", "week", "2024-01-01", "ICU")
    assert (row.numerator, row.denominator) == (5, 5)
    assert value(r, "discharges", unit="ICU") == 0
    assert value(r, "average_length_of_stay", unit="ICU") != value(
        r, "average_length_of_stay", unit="ICU"
    )  # NaN


def _readmission_case(second_admit: str, disposition: str = "home", as_of: str = "2024-03-01"):
    enc = pd.DataFrame(
        {
            "encounter_id": ["A", "B"],
            "patient_id": ["P", "P"],
            "facility": ["H", "H"],
            "unit": ["WARD", "WARD"],
            "encounter_class": ["inpatient", "inpatient"],
            "admit_time": [T("2024-01-01 08:00"), T(second_admit)],
            "discharge_time": [T("2024-01-01 10:00"), T(second_admit) + pd.Timedelta(hours=5)],
            "discharge_disposition": [disposition, "home"],
        }
    )
    st = pd.DataFrame(
        {
            "encounter_id": ["A", "B"],
            "unit": ["WARD", "WARD"],
            "start_time": enc["admit_time"],
            "end_time": enc["discharge_time"],
        }
    )
    r = compute_kpis(enc, st, start="2024-01-01", end="2024-01-01", as_of=as_of, grains=("day",))
    return pick(r, "readmission_rate_30d", "day", "2024-01-01", "WARD")


def test_readmission_window_is_thirty_days_inclusive():
    row = _readmission_case("2024-01-31 10:00")  # exactly 30 days after discharge
    assert (row.numerator, row.denominator) == (1, 1)
    row = _readmission_case("2024-01-31 10:01")  # one minute too late
    assert (row.numerator, row.denominator) == (0, 1)


@pytest.mark.parametrize("disposition", ["transfer_acute", "02", "left_ama", "AMA", "expired", " Died "])
def test_transfers_to_acute_care_walkouts_and_deaths_are_not_index_admissions(disposition):
    row = _readmission_case("2024-01-10 10:00", disposition=disposition)
    assert row.denominator == 0
    assert row.value != row.value  # NaN: nothing to divide by


def test_discharges_without_thirty_days_of_follow_up_are_not_index_admissions():
    row = _readmission_case("2024-01-10 10:00", as_of="2024-01-20")
    assert row.denominator == 0


def test_levels_grains_and_kpis_can_be_narrowed_without_changing_the_figures(rows):
    narrow = compute_kpis(
        _encounters(),
        _stays(),
        BEDS,
        **RANGE,
        levels=("facility",),
        grains=("week",),
        kpis=("occupancy_pct", "ed_los_p90_minutes"),
    )
    assert set(narrow.kpi) == {"occupancy_pct", "ed_los_p90_minutes"}
    assert narrow.unit.isna().all() and set(narrow.grain) == {"week"}
    assert value(narrow, "occupancy_pct") == value(rows, "occupancy_pct")
    assert value(narrow, "ed_los_p90_minutes") == value(rows, "ed_los_p90_minutes")
    only_units = compute_kpis(_encounters(), _stays(), BEDS, **RANGE, levels=("unit",), grains=("day",))
    assert only_units.unit.notna().all()
