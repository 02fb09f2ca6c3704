"""Reads of patient activity, scoped with ``restrict(user, action)``.

Public API
----------
``census_units(user=None, facility=None)``
    The bedded units a user may see (``user=None``: every unit, for the CLI run by the operator).
``census_at(at=None, *, user=None, facility=None) -> dict``
    The census as it stood at ``at`` (default now): ``{"at": iso, "units": [{"unit", "facility",
    "occupied", "pending_in", "pending_out", "unavailable", "open", "staffed_beds",
    "occupancy_pct"}]}``. Occupied and pending are read from stay and pending-move intervals
    (``start <= at < end``), so history replays; unavailable comes from the beds' status history
    (HL7 0116 housekeeping, closed, contaminated, plus blocked) as recorded at that instant.
    Open = staffed beds − occupied − unavailable, never below zero.
``bed_board(unit) -> list[BedTile]``
    Every bed of a unit with its status now, the visit in it and its expected discharge.
``adt_log(user, status=None, limit=200)``
    The latest ADT messages (ids, trigger, status, reason) of the facilities the user reaches.
``encounters_for(user, **filters)``
    Encounters the user may see (staff members see none: their bed board is enough).
``encounters_frame(queryset=None)`` / ``unit_stays_frame(queryset=None)``
    pandas DataFrames with exactly the columns the KPI engine (``engines.kpi``) reads, times as
    naive wall-clock times of the health system's zone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from carehelm.activity.models import AdtMessage, Encounter, PendingMove, UnitStay
from carehelm.organization.models import UNAVAILABLE_BED_STATUSES, Bed, BedStatus, Unit, UnitKind

BEDDED_KINDS = (UnitKind.ICU, UnitKind.INPATIENT_WARD, UnitKind.MATERNITY, UnitKind.EMERGENCY)
LWBS_DISPOSITIONS = ("lwbs", "left_without_being_seen")


def census_units(user=None, facility=None):
    qs = Unit.objects.all() if user is None else Unit.objects.restrict(user, "view")
    qs = qs.filter(Q(staffed_beds__gt=0) | Q(kind__in=BEDDED_KINDS)).select_related("facility")
    if facility is not None:
        qs = qs.filter(facility=facility)
    return qs.order_by("facility__name", "code")


def _active(at: datetime) -> Q:
    return Q(start_at__lte=at) & (Q(end_at__isnull=True) | Q(end_at__gt=at))


def _bed_status_at(unit_ids: list[int], at: datetime, now: bool) -> dict[int, dict[str, int]]:
    """unit id -> {status: beds} as recorded at ``at`` (the current status when ``at`` is now)."""
    beds = Bed.objects.filter(room__unit_id__in=unit_ids)
    if now:
        rows = beds.values_list("room__unit_id", "status")
    else:
        history = Bed.history.model.objects.filter(id=OuterRef("pk"), history_date__lte=at).order_by(
            "-history_date", "-history_id"
        )
        rows = beds.annotate(status_then=Subquery(history.values("status")[:1])).values_list(
            "room__unit_id", "status_then"
        )
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, status in rows:
        if status is not None:
            out[unit_id][status] += 1
    return out


def census_at(at: datetime | None = None, *, user=None, facility=None) -> dict:
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    units = list(census_units(user, facility))
    ids = [u.pk for u in units]
    occupied = dict(
        UnitStay.objects.filter(_active(at), unit_id__in=ids)
        .values("unit_id")
        .annotate(n=Count("encounter_id", distinct=True))
        .values_list("unit_id", "n")
    )
    pendings = PendingMove.objects.filter(_active(at))
    pending_in = dict(
        pendings.filter(to_unit_id__in=ids)
        .values("to_unit_id")
        .annotate(n=Count("id"))
        .values_list("to_unit_id", "n")
    )
    pending_out = dict(
        pendings.filter(from_unit_id__in=ids)
        .values("from_unit_id")
        .annotate(n=Count("id"))
        .values_list("from_unit_id", "n")
    )
    statuses = _bed_status_at(ids, at, now=abs((now - at).total_seconds()) < 1)
    rows = []
    for unit in units:
        busy = occupied.get(unit.pk, 0)
        unavailable = sum(statuses.get(unit.pk, {}).get(s, 0) for s in UNAVAILABLE_BED_STATUSES)
        rows.append(
            {
                "unit": unit.code,
                "facility": unit.facility.code,
                "occupied": busy,
                "pending_in": pending_in.get(unit.pk, 0),
                "pending_out": pending_out.get(unit.pk, 0),
                "unavailable": unavailable,
                "open": max(0, unit.staffed_beds - busy - unavailable),
                "staffed_beds": unit.staffed_beds,
                "occupancy_pct": round(100.0 * busy / unit.staffed_beds, 1) if unit.staffed_beds else None,
            }
        )
    return {"at": at.isoformat(), "units": rows}


@dataclass(frozen=True)
class BedTile:
    bed_id: int
    room: str
    label: str
    status: str
    status_label: str
    visit_number: str | None
    encounter_class: str | None
    since: datetime | None
    expected_discharge_at: datetime | None
    pending_out: str | None  # "transfer" / "discharge" when announced
    on_leave: bool

    @property
    def css(self) -> str:
        return {
            BedStatus.OCCUPIED: "occupied",
            BedStatus.UNOCCUPIED: "open",
            BedStatus.RESERVED: "reserved",
            BedStatus.ISOLATED: "isolated",
        }.get(self.status, "unavailable")

    @property
    def overdue(self) -> bool:
        return bool(self.expected_discharge_at and self.expected_discharge_at < timezone.now())


def bed_board(unit: Unit) -> list[BedTile]:
    beds = list(Bed.objects.filter(room__unit=unit).select_related("room").order_by("room__name", "label"))
    stays = {
        s.bed_id: s
        for s in UnitStay.objects.filter(bed__in=beds, end_at__isnull=True)
        .select_related("encounter")
        .order_by("start_at")
    }
    pending = {
        p.encounter_id: p.kind
        for p in PendingMove.objects.filter(
            end_at__isnull=True, from_unit=unit, encounter_id__in=[s.encounter_id for s in stays.values()]
        )
    }
    tiles = []
    for bed in beds:
        stay = stays.get(bed.pk)
        enc = stay.encounter if stay else None
        tiles.append(
            BedTile(
                bed_id=bed.pk,
                room=bed.room.name,
                label=bed.label,
                status=bed.status,
                status_label=bed.get_status_display(),
                visit_number=enc.visit_number if enc else None,
                encounter_class=enc.get_encounter_class_display() if enc else None,
                since=stay.start_at if stay else None,
                expected_discharge_at=enc.expected_discharge_at if enc else None,
                pending_out=pending.get(enc.pk) if enc else None,
                on_leave=enc.on_leave if enc else False,
            )
        )
    return tiles


def adt_log(user, *, status: str | None = None, limit: int = 200):
    """The latest ADT messages of the facilities the user reaches (no raw text: ids and reasons)."""
    qs = AdtMessage.objects.restrict(user, "view").filter(channel__in=("file", "mllp", "api", "replay"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id").defer("raw", "payload")[:limit]


def unplaced_in_unit(unit: Unit) -> int:
    """Patients in the unit without a bed (ED corridor, boarding): counted but shown apart."""
    return UnitStay.objects.filter(unit=unit, end_at__isnull=True, bed__isnull=True).count()


def encounters_for(
    user,
    *,
    facility_id: int | None = None,
    unit_id: int | None = None,
    encounter_class: str | None = None,
    status: str | None = None,
):
    qs = Encounter.objects.restrict(user, "view").select_related("facility")
    if facility_id:
        qs = qs.filter(facility_id=facility_id)
    if unit_id:
        qs = qs.filter(stays__unit_id=unit_id).distinct()
    if encounter_class:
        qs = qs.filter(encounter_class=encounter_class)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-admit_at", "-id")


# --------------------------------------------------------------------------------------------
# DataFrames for the KPI engine

ENCOUNTER_COLUMNS = (
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
)
STAY_COLUMNS = ("encounter_id", "unit", "start_time", "end_time", "bed")


def _wall_clock(series: pd.Series) -> pd.Series:
    """Aware UTC timestamps → naive wall-clock times of the health system (the KPI convention)."""
    values = pd.to_datetime(series, utc=True)
    return values.dt.tz_convert(timezone.get_default_timezone_name()).dt.tz_localize(None)


def encounters_frame(queryset=None) -> pd.DataFrame:
    """One row per admitted, not cancelled encounter; ``unit`` is the unit of discharge (its last
    stay's unit). Stays of cancelled or planned encounters are left out of ``unit_stays_frame``."""
    qs = queryset if queryset is not None else Encounter.objects.all()
    qs = qs.exclude(status__in=("cancelled", "planned")).filter(admit_at__isnull=False)
    last_unit = (
        UnitStay.objects.filter(encounter=OuterRef("pk"))
        .order_by("-start_at", "-id")
        .values("unit__code")[:1]
    )
    rows = list(
        qs.annotate(last_unit=Subquery(last_unit)).values_list(
            "pk",
            "patient_id",
            "facility__code",
            "last_unit",
            "encounter_class",
            "admit_at",
            "discharge_at",
            "admit_source",
            "discharge_disposition",
        )
    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "encounter_id",
            "patient_id",
            "facility",
            "unit",
            "encounter_class",
            "admit_time",
            "discharge_time",
            "admit_source",
            "discharge_disposition",
        ],
    )
    frame["encounter_id"] = frame["encounter_id"].astype(str)
    frame["patient_id"] = frame["patient_id"].astype(str)
    for col in ("admit_time", "discharge_time"):
        frame[col] = _wall_clock(frame[col])
    frame["arrival_time"] = frame["admit_time"]
    frame["departure_time"] = frame["discharge_time"]
    frame["left_without_being_seen"] = (
        frame["discharge_disposition"].fillna("").str.lower().isin(LWBS_DISPOSITIONS)
    )
    return frame[list(ENCOUNTER_COLUMNS)]


def unit_stays_frame(queryset=None) -> pd.DataFrame:
    qs = queryset if queryset is not None else UnitStay.objects.all()
    qs = qs.exclude(encounter__status__in=("cancelled", "planned"))
    rows = list(
        qs.values_list("encounter_id", "unit__code", "start_at", "end_at", "bed__room__name", "bed__label")
    )
    rows = [(e, u, s, end, f"{room}-{label}" if room else None) for e, u, s, end, room, label in rows]
    frame = pd.DataFrame(rows, columns=list(STAY_COLUMNS))
    frame["encounter_id"] = frame["encounter_id"].astype(str)
    for col in ("start_time", "end_time"):
        frame[col] = _wall_clock(frame[col])
    return frame
