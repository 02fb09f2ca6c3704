"""The patient-flow simulation: deterministic, physically possible, and self-consistent.

One 90-day run of the default 250-bed hospital is shared by most tests (a few seconds).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from carehelm.engines.kpi import compute_kpis
from carehelm.engines.simulation import ED, ENCOUNTER_COLUMNS, HospitalConfig, UnitConfig, simulate

DAYS = 90


@pytest.fixture(scope="module")
def run():
    return simulate(HospitalConfig(days=DAYS, seed=11))


def test_same_seed_gives_the_same_run_and_another_seed_does_not():
    a = simulate(HospitalConfig(days=15, seed=5))
    b = simulate(HospitalConfig(days=15, seed=5))
    c = simulate(HospitalConfig(days=15, seed=6))
    pd.testing.assert_frame_equal(a.encounters, b.encounters)
    pd.testing.assert_frame_equal(a.unit_stays, b.unit_stays)
    assert a.adt_events == b.adt_events
    assert len(a.adt_events) > 1000
    assert a.adt_events != c.adt_events


def test_encounters_have_the_kpi_engine_columns(run):
    assert list(run.encounters.columns) == ENCOUNTER_COLUMNS
    assert set(run.encounters.encounter_class) == {"emergency", "inpatient", "observation"}
    assert run.encounters.encounter_id.is_unique


def test_no_unit_ever_holds_more_patients_than_beds(run):
    beds = {unit: n for (_, unit), n in run.staffed_beds.items()}
    beds["THEATRE"] = run.config.unit("THEATRE").beds
    stays = run.unit_stays
    horizon = np.datetime64("2100-01-01")
    for unit, n in beds.items():
        s = stays[stays.unit == unit]
        starts = s.start_time.to_numpy("datetime64[s]")
        ends = s.end_time.fillna(pd.Timestamp(horizon)).to_numpy("datetime64[s]")
        # Sweep: at equal times the leaving patient goes first (end is exclusive).
        times = np.concatenate([ends, starts])
        deltas = np.concatenate([-np.ones(len(ends)), np.ones(len(starts))])
        order = np.lexsort((deltas, times))
        peak = np.cumsum(deltas[order]).max()
        assert peak <= n, f"{unit}: {peak} patients in {n} beds"


def test_no_bed_is_given_to_two_patients_at_once(run):
    s = run.unit_stays[run.unit_stays.unit != ED].copy()
    s["end_time"] = s.end_time.fillna(pd.Timestamp("2100-01-01"))
    s = s.sort_values(["unit", "room", "bed", "start_time", "end_time"], na_position="first")
    same_bed = (
        s.unit.eq(s.unit.shift())
        & s.room.eq(s.room.shift())
        & (s.bed.eq(s.bed.shift()) | (s.bed.isna() & s.bed.shift().isna()))
    )
    overlap = same_bed & (s.start_time < s.end_time.shift())
    assert not overlap.any(), s[overlap | overlap.shift(-1, fill_value=False)].head()


def test_each_encounter_is_a_contiguous_chain_of_stays_from_admission_to_discharge(run):
    enc = run.encounters.set_index("encounter_id")
    for eid, g in run.unit_stays.sort_values(["encounter_id", "start_time"]).groupby("encounter_id"):
        e = enc.loc[eid]
        assert g.start_time.iloc[0] == e.admit_time
        assert (g.start_time.iloc[1:].to_numpy() == g.end_time.iloc[:-1].to_numpy()).all(), eid
        last_end = g.end_time.iloc[-1]
        assert (pd.isna(last_end) and pd.isna(e.discharge_time)) or last_end == e.discharge_time, eid
        assert g.unit.iloc[-1] == e.unit
    assert set(run.unit_stays.encounter_id) == set(enc.index)


def _replay_census(events: list[dict], instants: list[dt.datetime]) -> list[Counter]:
    """Apply the events in happening order; count patients per unit just before each instant."""
    where: dict[str, tuple] = {}
    occupied: dict[tuple, str] = {}
    counts, i = [], 0
    ordered = sorted(events, key=lambda e: (e["event_time"], e["sequence"]))

    def place(visit, loc):
        if loc[0] != ED:
            holder = occupied.get(loc)
            assert holder in (None, visit), f"{loc} given to {visit} while {holder} is in it"
            occupied[loc] = visit
        where[visit] = loc

    def vacate(visit):
        loc = where.pop(visit)
        if occupied.get(loc) == visit:
            del occupied[loc]

    for instant in instants:
        while i < len(ordered) and ordered[i]["event_time"] < instant:
            ev = ordered[i]
            loc, visit = (ev["unit"], ev["room"], ev["bed"]), ev["visit_number"]
            if ev["trigger"] in ("A01", "A04", "A13"):
                assert visit not in where, f"{visit} admitted twice"
                place(visit, loc)
            elif ev["trigger"] in ("A02", "A12"):
                assert where[visit] == (ev["prior_unit"], ev["prior_room"], ev["prior_bed"])
                vacate(visit)
                place(visit, loc)
            elif ev["trigger"] in ("A03", "A11"):
                assert where[visit] == loc
                vacate(visit)
            i += 1
        counts.append(Counter(u for u, _, _ in where.values()))
    return counts


def test_event_stream_replays_to_the_census_of_the_encounters_at_every_midnight(run):
    start = run.config.start
    midnights = [start + dt.timedelta(days=d) for d in range(1, DAYS + 1)]
    replayed = _replay_census(run.adt_events, midnights)
    s = run.unit_stays
    for midnight, counted in zip(midnights, replayed, strict=True):
        m = pd.Timestamp(midnight)
        present = s[(s.start_time < m) & (s.end_time.isna() | (s.end_time >= m))]
        expected = Counter(present.unit)
        assert counted == expected, f"census differs at {midnight}"


def test_stream_has_every_trigger_cancels_and_late_messages_in_message_order(run):
    ev = run.adt_events
    triggers = Counter(e["trigger"] for e in ev)
    assert set(triggers) == {"A01", "A02", "A03", "A04", "A11", "A12", "A13"}
    # Cancels are a small share of what they cancel.
    assert triggers["A11"] < 0.02 * triggers["A01"]
    assert triggers["A12"] < 0.05 * triggers["A02"]
    assert triggers["A13"] < 0.03 * triggers["A03"]
    message_times = [e["message_time"] for e in ev]
    assert message_times == sorted(message_times)
    late = [e for e in ev if e["message_time"] > e["event_time"]]
    assert 0 < len(late) < 0.03 * len(ev)
    event_times = [e["event_time"] for e in ev]
    assert event_times != sorted(event_times)  # late messages really are out of order
    assert [e["message_id"] for e in ev] == sorted(e["message_id"] for e in ev)


def test_cancelled_visits_are_not_encounters(run):
    cancelled = {e["visit_number"] for e in run.adt_events if e["trigger"] == "A11"}
    assert cancelled and not cancelled & set(run.encounters.encounter_id)


def test_rates_are_plausible_for_a_general_hospital(run):
    rows = compute_kpis(
        run.encounters,
        run.unit_stays,
        run.staffed_beds,
        grains=("month",),
        levels=("facility",),
        start="2024-01-01",
        end="2024-03-31",
        as_of="2024-03-31 00:00",
    )
    # Sum numerators and denominators over the months of follow-up-complete data.
    total = rows.groupby("kpi")[["numerator", "denominator"]].sum()

    def rate(kpi):
        return total.loc[kpi, "numerator"] / total.loc[kpi, "denominator"]

    assert 0.08 <= rate("readmission_rate_30d") <= 0.18
    assert 0.01 <= rate("ed_lwbs_rate") <= 0.10
    assert 0.70 <= rate("occupancy_pct") <= 0.97
    assert 2.0 <= rate("average_length_of_stay") <= 6.0
    enc = run.encounters
    ed_visits = (enc.encounter_class == "emergency").sum()
    assert 120 <= ed_visits / DAYS <= 220  # ED arrivals per day
    admitted = (enc.admit_source.isin(["emergency", "readmission"])).sum() / ed_visits
    assert 0.15 <= admitted <= 0.35  # share of ED visits admitted
    assert (enc.admit_source == "elective").sum() > 0 and (enc.admit_source == "maternity").sum() > 0


def test_winter_brings_more_ed_arrivals_than_summer():
    r = simulate(
        HospitalConfig(
            days=366,
            seed=3,
            maternity_per_day=0,
            elective_per_weekday=0,
            adult_admit_prob=0.0,
            child_admit_prob=0.0,
            observation_prob=0.0,
        )
    )
    ed = r.encounters[r.encounters.encounter_class == "emergency"]
    month = ed.arrival_time.dt.month
    assert (month == 1).sum() > 1.2 * (month == 7).sum()
    hour = ed.arrival_time.dt.hour
    assert (hour == 11).sum() > 2.5 * (hour == 4).sum()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"days": 0}, "days"),
        ({"adult_admit_mix": (("CARDIO", 1.0),)}, "CARDIO"),
        ({"units": (UnitConfig(ED, "ed", 0), UnitConfig("ICU", "icu", 4, 48, 0.5))}, "THEATRE"),
    ],
)
def test_a_configuration_the_model_cannot_run_is_refused_by_name(change, message):
    with pytest.raises(ValueError, match=message):
        HospitalConfig(**change)


def test_a_bed_unit_without_beds_is_refused():
    units = tuple(
        UnitConfig(u.name, u.kind, 0, u.los_median_hours, u.los_sigma, u.beds_per_room)
        if u.name == "ICU"
        else u
        for u in HospitalConfig().units
    )
    with pytest.raises(ValueError, match=r"units\[ICU\]\.beds"):
        HospitalConfig(units=units)


def test_a_patient_is_in_one_place_at_a_time_and_never_returns_after_death(run):
    enc = run.encounters.sort_values(["patient_id", "admit_time", "encounter_id"])
    end = enc.discharge_time.fillna(pd.Timestamp("2100-01-01"))
    same = enc.patient_id.eq(enc.patient_id.shift())
    # The next encounter of the same patient starts when (or after) the previous one ended:
    # ED departure == admission for admitted patients.
    assert not (same & (enc.admit_time < end.shift())).any()
    died = enc[enc.discharge_disposition == "died"].set_index("patient_id").discharge_time
    later = enc[enc.patient_id.isin(died.index)]
    assert (later.admit_time <= later.patient_id.map(died)).all()
