"""The KPI engine's inputs read from the activity tables, for one or more facilities.

Public API:

- ``ActivityFrames``: ``encounters`` and ``unit_stays`` DataFrames in the KPI engine's columns,
  ``staffed_beds`` ``{(facility_code, unit_code): beds}`` and ``unit_ids``
  ``{(facility_code, unit_code): Unit.pk}`` to map the engine's rows back to our units.
- ``activity_frames(facility_ids) -> ActivityFrames``.

Facilities and units are named by their codes in the engine (unit codes are unique within a
facility). Times are converted to the health system's wall-clock time (``settings.TIME_ZONE``)
and made naive, as the engine's conventions require ("a day is a calendar date" of the facility).
An encounter's ``unit`` is its unit of discharge: the unit of its last stay. Cancelled encounters
and encounters never admitted are left out. These are read-only ORM queries; the rebuild task is
the only caller, so the page never pays for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from django.conf import settings

from carehelm.organization.models import Unit

ENCOUNTER_COLUMNS = [
    "encounter_id",
    "patient_id",
    "facility",
    "unit",
    "encounter_class",
    "admit_time",
    "discharge_time",
    "admit_source",
    "discharge_disposition",
    "arrival_time",
    "departure_time",
    "left_without_being_seen",
]
STAY_COLUMNS = ["encounter_id", "unit", "start_time", "end_time"]
# Until the activity model carries an explicit flag, "left without being seen" is recorded as a
# discharge disposition; these are the spellings accepted (compared lower-case).
LWBS_DISPOSITIONS = frozenset({"lwbs", "left_without_being_seen", "left without being seen", "lwbs_ed"})
NO_UNIT = "—"  # engine needs a unit text; encounters without any stay count at facility level only
CHUNK = 20_000


@dataclass
class ActivityFrames:
    encounters: pd.DataFrame
    unit_stays: pd.DataFrame
    staffed_beds: dict[tuple[str, str], int] = field(default_factory=dict)
    unit_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.encounters.empty


def _wall_clock(series: pd.Series) -> pd.Series:
    times = pd.to_datetime(series, utc=True)
    return times.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)


def _wall_clock_span(start: pd.Series, end: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both ends in wall-clock time, keeping the true duration where the clock went back.

    When clocks fall back, a visit from 01:40 (summer time) to 01:10 (winter time) would end before
    it began on the wall clock, which the engine rightly refuses; such an end is placed at start +
    the real elapsed time, so lengths of stay stay exact and only that hour's placement shifts.
    """
    start_utc, end_utc = pd.to_datetime(start, utc=True), pd.to_datetime(end, utc=True)
    start_wall, end_wall = _wall_clock(start_utc), _wall_clock(end_utc)
    backwards = end_wall.notna() & (end_wall < start_wall)
    if backwards.any():
        end_wall = end_wall.where(~backwards, start_wall + (end_utc - start_utc))
    return start_wall, end_wall


def _units(facility_ids: Iterable[int]) -> tuple[dict, dict]:
    staffed, ids = {}, {}
    for pk, unit_code, facility_code, beds in Unit.objects.filter(
        facility_id__in=list(facility_ids)
    ).values_list("pk", "code", "facility__code", "staffed_beds"):
        ids[(facility_code, unit_code)] = pk
        if beds:
            staffed[(facility_code, unit_code)] = int(beds)
    return staffed, ids


def activity_frames(facility_ids: Iterable[int]) -> ActivityFrames:
    from carehelm.activity.models import Encounter, UnitStay

    facility_ids = list(facility_ids)
    staffed, unit_ids = _units(facility_ids)
    has_flag = any(f.name == "left_without_being_seen" for f in Encounter._meta.get_fields())
    enc_fields = [
        "pk",
        "patient_id",
        "facility__code",
        "encounter_class",
        "admit_at",
        "discharge_at",
        "admit_source",
        "discharge_disposition",
    ] + (["left_without_being_seen"] if has_flag else [])
    encounters = (
        Encounter.objects.filter(facility_id__in=facility_ids, admit_at__isnull=False)
        .exclude(status="cancelled")
        .values_list(*enc_fields)
    )
    enc = pd.DataFrame.from_records(list(encounters.iterator(chunk_size=CHUNK)), columns=enc_fields)
    stays = (
        UnitStay.objects.filter(encounter__facility_id__in=facility_ids)
        .exclude(encounter__status="cancelled")
        .values_list("encounter_id", "unit__code", "start_at", "end_at")
    )
    stay = pd.DataFrame.from_records(
        list(stays.iterator(chunk_size=CHUNK)), columns=["encounter_id", "unit", "start_time", "end_time"]
    )
    if enc.empty:
        return ActivityFrames(
            pd.DataFrame(columns=ENCOUNTER_COLUMNS), pd.DataFrame(columns=STAY_COLUMNS), staffed, unit_ids
        )
    stay = stay[stay["encounter_id"].isin(enc["pk"])].copy()
    stay["start_time"], stay["end_time"] = _wall_clock_span(stay["start_time"], stay["end_time"])
    last_unit = stay.sort_values(["encounter_id", "start_time"]).groupby("encounter_id")["unit"].last()

    admit, discharge = _wall_clock_span(enc["admit_at"], enc["discharge_at"])
    out = pd.DataFrame(
        {
            "encounter_id": enc["pk"].astype(str),
            "patient_id": enc["patient_id"].astype(str),
            "facility": enc["facility__code"],
            "unit": enc["pk"].map(last_unit).fillna(NO_UNIT),
            "encounter_class": enc["encounter_class"],
            "admit_time": admit,
            "discharge_time": discharge,
            "admit_source": enc["admit_source"].fillna(""),
            "discharge_disposition": enc["discharge_disposition"].fillna(""),
        }
    )
    out["arrival_time"] = out["admit_time"]
    out["departure_time"] = out["discharge_time"]
    if has_flag:
        out["left_without_being_seen"] = enc["left_without_being_seen"].fillna(False).astype(bool)
    else:
        out["left_without_being_seen"] = (
            enc["discharge_disposition"].fillna("").str.strip().str.lower().isin(LWBS_DISPOSITIONS)
        )
    stay = stay.assign(encounter_id=stay["encounter_id"].astype(str))[STAY_COLUMNS].reset_index(drop=True)
    return ActivityFrames(out[ENCOUNTER_COLUMNS], stay, staffed, unit_ids)
