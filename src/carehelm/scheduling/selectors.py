"""Reads of rosters, always through ``restrict(user, action)``.

- ``periods_for(user)``: the roster periods a user may see. Managers (and executives, facility
  administrators, compliance) see drafts and published rosters in their reach; a staff member
  sees only published periods they have shifts in.
- ``period_for(user, pk, action)``: one period or ``Http404``.
- ``roster_grid(period)``: the staff × days grid with a coverage row per shift.
- ``my_assignments(user)``: a staff member's own published shifts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from carehelm.accounts.scope import reach
from carehelm.organization.models import Unit
from carehelm.scheduling import problem_builder as pb
from carehelm.scheduling.models import (
    Assignment,
    PeriodStatus,
    RosterPeriod,
    StaffRequest,
    SwapRequest,
)
from carehelm.workforce.models import Staff


def _manager_reach(user):
    """The part of a user's view reach that is wider than their own record."""
    r = reach(user, "view")
    return r.everything or bool(r.facility_ids or r.unit_ids)


def periods_for(user, action: str = "view"):
    qs = RosterPeriod.objects.restrict(user, action).select_related("unit", "unit__facility", "last_run")
    if action == "view" and not _manager_reach(user):
        qs = qs.filter(status=PeriodStatus.PUBLISHED)
    return qs.order_by("-start_date", "unit__name")


def period_for(user, pk: int, action: str = "view") -> RosterPeriod:
    period = periods_for(user, action).filter(pk=pk).first()
    if period is None:
        raise Http404("no such roster, or it is outside what you may see")
    return period


def may_manage(user, period: RosterPeriod) -> bool:
    return RosterPeriod.objects.filter(pk=period.pk).restrict(user, "manage").exists()


def may_see_grid(user, period: RosterPeriod) -> bool:
    """The whole unit's grid is for people whose reach covers the unit (not just their own record)."""
    r = reach(user, "view")
    return r.everything or period.unit.facility_id in r.facility_ids or period.unit_id in r.unit_ids


def managed_units(user):
    return Unit.objects.restrict(user, "manage").select_related("facility").order_by("facility__name", "name")


def own_staff(user) -> Staff | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Staff.objects.filter(user=user).select_related("home_unit").first()


def my_assignments(user, *, since: dt.date | None = None):
    person = own_staff(user)
    if person is None:
        return Assignment.objects.none()
    qs = Assignment.objects.filter(staff=person, period__status=PeriodStatus.PUBLISHED).select_related(
        "shift_type", "period", "period__unit"
    )
    if since:
        qs = qs.filter(date__gte=since)
    return qs.order_by("date")


def requests_for(user, action: str = "view"):
    return (
        StaffRequest.objects.restrict(user, action)
        .select_related("staff", "shift_type")
        .order_by("-date_from")
    )


def swaps_for(user, action: str = "view"):
    return (
        SwapRequest.objects.restrict(user, action)
        .select_related("requester", "colleague", "period", "period__unit")
        .order_by("-created_at")
    )


@dataclass
class Cell:
    date: dt.date
    code: str = ""
    colour: str = ""
    pinned: bool = False
    source: str = ""
    blocked: str = ""
    weekend: bool = False


@dataclass
class GridRow:
    staff: Staff
    cells: list[Cell]
    hours: float
    contract_hours: float


@dataclass
class CoverCell:
    date: dt.date
    have: int
    minimum: int | None
    target: int | None

    @property
    def state(self) -> str:
        if self.minimum is None:
            return ""
        if self.have < self.minimum:
            return "short"
        if self.target is not None and self.have < self.target:
            return "under"
        if self.target is not None and self.have > self.target:
            return "over"
        return "ok"


@dataclass
class Grid:
    days: list[dt.date]
    rows: list[GridRow]
    coverage: list[tuple[object, list[CoverCell]]] = field(default_factory=list)
    shifts: list = field(default_factory=list)


def roster_grid(period: RosterPeriod, built: pb.Built | None = None) -> Grid:
    built = built or pb.build(period)
    days = period.days
    assignments = {
        (a.staff_id, a.date): a for a in Assignment.objects.filter(period=period).select_related("shift_type")
    }
    rows = []
    for key, person in built.staff.items():
        cells = []
        minutes = 0
        for day in days:
            a = assignments.get((person.pk, day))
            cell = Cell(day, weekend=day.weekday() >= 5, blocked=built.blocked.get((key, day), ""))
            if a:
                cell.code, cell.colour, cell.pinned, cell.source = (
                    a.shift_type.code,
                    a.shift_type.colour,
                    a.pinned,
                    a.source,
                )
                minutes += a.shift_type.paid_minutes
            cells.append(cell)
        rows.append(
            GridRow(
                person,
                cells,
                round(minutes / 60, 1),
                round(built.weekly_minutes[key] / 60 * built.available_days[key] / 7, 1),
            )
        )
    need: dict[tuple[dt.date, str], list[int]] = {}
    for i, c in enumerate(built.problem.cover):
        if c.skill is not None or built.cover_labels.get(i) not in ("minimum", "target"):
            continue
        slot = need.setdefault((built.date_of(c.day), c.shift_id), [None, None])
        if built.cover_labels.get(i) == "minimum":
            slot[0] = c.requirement
        else:
            slot[1] = c.requirement
            if slot[0] is None:
                slot[0] = 0
    counts: dict[tuple[dt.date, str], int] = {}
    for a in assignments.values():
        counts[(a.date, a.shift_type.code)] = counts.get((a.date, a.shift_type.code), 0) + 1
    coverage = []
    for code, shift in built.shifts.items():
        coverage.append(
            (
                shift,
                [
                    CoverCell(day, counts.get((day, code), 0), *need.get((day, code), [None, None]))
                    for day in days
                ],
            )
        )
    return Grid(days, rows, coverage, list(built.shifts.values()))


def pending_swaps(period: RosterPeriod):
    return period.swaps.filter(status="pending").select_related("requester", "colleague")


def open_absences(period: RosterPeriod):
    return period.absences.filter(Q(repaired=False)).select_related("staff")
