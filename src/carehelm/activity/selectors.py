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

The KPI engine's DataFrames are read by ``carehelm.quality.sources.activity_frames`` (one reader,
which also keeps true durations across the autumn clock change).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

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
