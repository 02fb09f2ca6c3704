"""Writes of the scheduling app: keyword-only, one transaction, checked, audited.

Inputs:   save_shift_type, set_demand, set_census, apply_census_demand, save_contract_template,
          assign_contract, create_request, decide_request   (CSV imports: ``imports``)
Periods:  create_period, start_solve (a Run + background task), save_solution, change_assignment,
          publish
Self-service: request_swap, decide_swap, rotate_feed
Absence and repair: see ``repair``.

A change to a roster is checked against the hard rules at once (``check_change`` over
``rules.breaches``); a change that would add a breach is refused with the reason (``InvalidInput``
with one problem per breach) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from carehelm.accounts.scope import reach
from carehelm.audit.services import record
from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.model import Roster
from carehelm.organization.models import Unit, UnitKind
from carehelm.permissions import require
from carehelm.runs import services as runs
from carehelm.runs.models import Run
from carehelm.scheduling import problem_builder as pb
from carehelm.scheduling.models import (
    Assignment,
    AssignmentSource,
    CalendarFeed,
    CensusForecast,
    ContractTemplate,
    Demand,
    PeriodKind,
    PeriodStatus,
    RequestKind,
    RequestStatus,
    RosterPeriod,
    ShiftType,
    StaffContract,
    StaffRequest,
    SwapRequest,
    SwapStatus,
    new_feed_token,
)
from carehelm.scheduling.rules import Breach, breaches
from carehelm.scheduling.solving import SolveOutcome
from carehelm.validation import FieldProblem, InvalidInput, NotAllowed
from carehelm.workforce.models import Skill, Staff

# Nurse-to-patient ratios for census-driven demand (patients per nurse), by unit kind; a step-down
# unit (code SDU) uses 1:3.
RATIOS = {UnitKind.ICU: 2, UnitKind.EMERGENCY: 4, UnitKind.INPATIENT_WARD: 5, UnitKind.MATERNITY: 4}
STEP_DOWN_RATIO = 3


def ratio_for(unit: Unit) -> int:
    if unit.code.upper() in ("SDU", "STEPDOWN", "PCU"):
        return STEP_DOWN_RATIO
    return RATIOS.get(unit.kind, 5)


def _manage(actor, unit: Unit) -> None:
    require(actor, "manage", unit)


def _refuse(problems: list[str], title: str, field: str = "assignment") -> InvalidInput:
    return InvalidInput([FieldProblem(field, p) for p in problems], title=title)


# --- inputs ------------------------------------------------------------------------------------


@transaction.atomic
def save_shift_type(
    *,
    actor,
    unit: Unit,
    code: str,
    name: str,
    start: dt.time,
    end: dt.time,
    paid_minutes: int,
    skills: list[str] | None = None,
    on_call: bool = False,
    colour: str = "#cfe3f2",
    shift_type: ShiftType | None = None,
) -> ShiftType:
    _manage(actor, unit)
    problems = []
    if not code.strip():
        problems.append(FieldProblem("code", "a short code is required"))
    if paid_minutes <= 0 or paid_minutes > 24 * 60:
        problems.append(FieldProblem("paid_minutes", "must be between 1 and 1440"))
    known = {s.code: s for s in Skill.objects.filter(code__in=skills or [])}
    for code_ in skills or []:
        if code_ not in known:
            problems.append(FieldProblem("skills", f"unknown skill {code_!r}"))
    clash = ShiftType.objects.filter(unit=unit, code=code)
    if shift_type is not None:
        clash = clash.exclude(pk=shift_type.pk)
    if clash.exists():
        problems.append(FieldProblem("code", f"{unit.code} already has a shift {code}"))
    if problems:
        raise InvalidInput(problems)
    created = shift_type is None
    st = shift_type or ShiftType(unit=unit)
    st.code, st.name, st.start, st.end, st.paid_minutes, st.on_call, st.colour = (
        code,
        name,
        start,
        end,
        paid_minutes,
        on_call,
        colour,
    )
    if st.duration_minutes * 1 < paid_minutes:
        raise InvalidInput(
            [FieldProblem("paid_minutes", f"longer than the shift ({st.duration_minutes} min)")]
        )
    st.save()
    st.skills.set(known.values())
    record(
        action="scheduling.shift_type_saved",
        obj=st,
        unit_id=unit.pk,
        facility_id=unit.facility_id,
        summary=f"Shift type {st} {'created' if created else 'changed'} on {unit.code}",
    )
    return st


def save_twelve_hour_day_and_night(*, actor=None, unit):
    """The usual inpatient pair: Day 07:00–19:00 and Night 19:00–07:00, 11.5 paid hours each."""
    day = save_shift_type(actor=actor, unit=unit, code="D", name="Day", start=dt.time(7), end=dt.time(19),
                          paid_minutes=690, colour="#fde7a8")
    night = save_shift_type(actor=actor, unit=unit, code="N", name="Night", start=dt.time(19), end=dt.time(7),
                            paid_minutes=690, colour="#b9c8f0")
    return day, night


@transaction.atomic
def set_demand(
    *,
    actor,
    shift_type: ShiftType,
    minimum: int,
    target: int,
    weekday: int | None = None,
    date: dt.date | None = None,
    skill: str | None = None,
    from_census: bool = False,
) -> Demand:
    unit = shift_type.unit
    _manage(actor, unit)
    problems = []
    if (weekday is None) == (date is None):
        problems.append(FieldProblem("weekday", "give either a weekday (0–6) or a date"))
    if weekday is not None and not 0 <= weekday <= 6:
        problems.append(FieldProblem("weekday", "must be 0 (Monday) to 6 (Sunday)"))
    if minimum < 0 or target < minimum:
        problems.append(FieldProblem("target", "target must be at least the minimum, and both not negative"))
    skill_row = None
    if skill:
        skill_row = Skill.objects.filter(code=skill).first()
        if skill_row is None:
            problems.append(FieldProblem("skill", f"unknown skill {skill!r}"))
    if problems:
        raise InvalidInput(problems)
    row, created = Demand.objects.update_or_create(
        unit=unit,
        shift_type=shift_type,
        weekday=weekday,
        date=date,
        skill=skill_row,
        defaults={"minimum": minimum, "target": target, "from_census": from_census},
    )
    record(
        action="scheduling.demand_set",
        obj=row,
        unit_id=unit.pk,
        facility_id=unit.facility_id,
        summary=f"Demand {row}",
    )
    return row


@transaction.atomic
def set_census(*, actor, unit: Unit, date: dt.date, expected_census: int) -> CensusForecast:
    _manage(actor, unit)
    if expected_census < 0:
        raise InvalidInput([FieldProblem("expected_census", "must not be negative")])
    row, _ = CensusForecast.objects.update_or_create(
        unit=unit, date=date, defaults={"expected_census": expected_census}
    )
    record(
        action="scheduling.census_set",
        obj=row,
        unit_id=unit.pk,
        facility_id=unit.facility_id,
        summary=f"Expected census {expected_census} on {date} for {unit.code}",
    )
    return row


@transaction.atomic
def apply_census_demand(
    *, actor, unit: Unit, date_from: dt.date, date_to: dt.date, ratio: int | None = None
) -> int:
    """Date overrides from the expected census: ceil(census / ratio) on every (non-on-call) shift."""
    _manage(actor, unit)
    ratio = ratio or ratio_for(unit)
    if ratio < 1:
        raise InvalidInput([FieldProblem("ratio", "patients per nurse must be at least 1")])
    shifts = list(ShiftType.objects.filter(unit=unit, on_call=False, active=True))
    n = 0
    for forecast in CensusForecast.objects.filter(unit=unit, date__gte=date_from, date__lte=date_to):
        need = math.ceil(forecast.expected_census / ratio)
        for s in shifts:
            Demand.objects.update_or_create(
                unit=unit,
                shift_type=s,
                weekday=None,
                date=forecast.date,
                skill=None,
                defaults={"minimum": need, "target": need, "from_census": True},
            )
            n += 1
    record(
        action="scheduling.census_demand",
        obj=unit,
        summary=f"Census-driven demand for {unit.code} {date_from}–{date_to} at 1:{ratio} ({n} shift-days)",
    )
    return n


@transaction.atomic
def save_contract_template(
    *, actor, name: str, template: ContractTemplate | None = None, **rules
) -> ContractTemplate:
    r = reach(actor, "manage") if actor is not None else None
    if r is not None and r.nothing:
        raise NotAllowed("you may not change work rules")
    problems = []
    for key in (
        "max_consecutive_days",
        "max_consecutive_nights",
        "weekends_per_four_weeks",
        "days_off_after_nights",
    ):
        if key in rules and (rules[key] is None or int(rules[key]) < 0):
            problems.append(FieldProblem(key, "must be zero or more"))
    if "max_consecutive_days" in rules and int(rules["max_consecutive_days"]) < 1:
        problems.append(FieldProblem("max_consecutive_days", "must be at least 1"))
    if "min_rest_hours" in rules and not 0 <= Decimal(str(rules["min_rest_hours"])) <= 48:
        problems.append(FieldProblem("min_rest_hours", "must be between 0 and 48"))
    if "hours_per_week" in rules and not 0 < Decimal(str(rules["hours_per_week"])) <= 80:
        problems.append(FieldProblem("hours_per_week", "must be between 0 and 80"))
    if problems:
        raise InvalidInput(problems)
    created = template is None
    template = template or ContractTemplate(name=name)
    template.name = name
    for key, value in rules.items():
        setattr(template, key, value)
    template.save()
    record(
        action="scheduling.contract_saved",
        obj=template,
        summary=f"Work rules {template.name} {'created' if created else 'changed'}",
    )
    return template


@transaction.atomic
def assign_contract(*, actor, staff: Staff, template: ContractTemplate) -> StaffContract:
    require(actor, "change", staff)
    row, _ = StaffContract.objects.update_or_create(staff=staff, defaults={"template": template})
    record(action="scheduling.contract_assigned", obj=staff, summary=f"{staff} works under {template.name}")
    return row


def _acts_for(actor, staff: Staff) -> bool:
    """The staff member themself, or someone who may change their record."""
    if actor is None:
        return True
    if staff.user_id and staff.user_id == actor.pk:
        return True
    return Staff.objects.filter(pk=staff.pk).restrict(actor, "change").exists()


@transaction.atomic
def create_request(
    *,
    actor,
    staff: Staff,
    kind: str,
    date_from: dt.date,
    date_to: dt.date | None = None,
    shift_type: ShiftType | None = None,
    weekday: int | None = None,
    priority: int = 2,
    note: str = "",
) -> StaffRequest:
    if not _acts_for(actor, staff):
        raise NotAllowed("you may only make requests for yourself")
    problems = []
    if kind not in RequestKind.values:
        problems.append(FieldProblem("kind", f"expected one of {', '.join(RequestKind.values)}"))
    if date_to is not None and date_to < date_from:
        problems.append(FieldProblem("date_to", "ends before it starts"))
    if priority not in (1, 2, 3):
        problems.append(FieldProblem("priority", "1 (low), 2 (normal) or 3 (high)"))
    if kind in (RequestKind.PREFER,) and shift_type is None:
        problems.append(FieldProblem("shift_type", "a shift preference names the shift"))
    if shift_type is not None and shift_type.unit_id != staff.home_unit_id:
        problems.append(FieldProblem("shift_type", "not a shift of the person's unit"))
    if weekday is not None and not 0 <= weekday <= 6:
        problems.append(FieldProblem("weekday", "must be 0 (Monday) to 6 (Sunday)"))
    if problems:
        raise InvalidInput(problems)
    # Leave waits for the manager; the other kinds are wishes the solver weighs, so they stand as made.
    status = RequestStatus.PENDING if kind == RequestKind.LEAVE else RequestStatus.APPROVED
    row = StaffRequest.objects.create(
        staff=staff,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        shift_type=shift_type,
        weekday=weekday,
        priority=priority,
        note=note,
        status=status,
    )
    record(action="scheduling.request_made", obj=staff, summary=f"{row}")
    return row


@transaction.atomic
def decide_request(*, actor, request: StaffRequest, approve: bool) -> StaffRequest:
    require(actor, "manage", request.staff.home_unit)
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    request.decided_by = actor if getattr(actor, "pk", None) else None
    request.save(update_fields=["status", "decided_by"])
    record(
        action="scheduling.request_decided",
        obj=request.staff,
        summary=f"{request} {'approved' if approve else 'rejected'}",
    )
    return request


# --- periods, solving, manual changes -------------------------------------------------------


@transaction.atomic
def create_period(
    *,
    actor,
    unit: Unit,
    start_date: dt.date,
    weeks: int = 4,
    kind: str = PeriodKind.ROSTER,
    budgeted_hours: Decimal | None = None,
    max_on_call_in_a_row: int = 2,
) -> RosterPeriod:
    _manage(actor, unit)
    problems = []
    if not 1 <= weeks <= 12:
        problems.append(FieldProblem("weeks", "a period is 1 to 12 weeks"))
    if kind not in PeriodKind.values:
        problems.append(FieldProblem("kind", "roster or on_call"))
    if RosterPeriod.objects.filter(unit=unit, kind=kind, start_date=start_date).exists():
        problems.append(FieldProblem("start_date", f"{unit.code} already has this period"))
    if problems:
        raise InvalidInput(problems)
    period = RosterPeriod.objects.create(
        unit=unit,
        start_date=start_date,
        weeks=weeks,
        kind=kind,
        budgeted_hours=budgeted_hours,
        max_on_call_in_a_row=max_on_call_in_a_row,
    )
    record(
        action="scheduling.period_created",
        obj=period,
        unit_id=unit.pk,
        facility_id=unit.facility_id,
        summary=f"{period} created",
    )
    return period


def start_solve(*, actor, period: RosterPeriod, time_limit: float = 30.0) -> Run:
    """A Run and its background task; the page polls the Run. Not atomic on purpose: the Run row
    must be committed before a worker in another process picks the task up."""
    _manage(actor, period.unit)
    if period.published:
        raise InvalidInput(
            [FieldProblem("period", "a published roster is locked; mark an absence and repair instead")]
        )
    if not pb.period_shift_types(period):
        raise InvalidInput(
            [FieldProblem("shift_types", f"{period.unit.code} has no shift types for this roster yet")]
        )
    run = runs.start_run(
        kind="roster.solve",
        title=f"Generate {period}",
        actor=actor,
        facility_id=period.unit.facility_id,
        unit_id=period.unit_id,
    )
    RosterPeriod.objects.filter(pk=period.pk).update(last_run=run)
    record(
        action="scheduling.solve_started",
        obj=period,
        summary=f"Roster generation started for {period}",
        unit_id=period.unit_id,
        facility_id=period.unit.facility_id,
    )
    from carehelm.scheduling.tasks import solve_roster

    result = solve_roster.enqueue(run_id=run.pk, period_id=period.pk, time_limit=float(time_limit))
    Run.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])
    run.refresh_from_db()
    return run


def current_roster(built: pb.Built) -> Roster:
    rows = Assignment.objects.filter(period=built.period).select_related("shift_type")
    return built.roster_from_rows(rows)


@transaction.atomic
def save_solution(*, period: RosterPeriod, outcome: SolveOutcome, actor=None) -> int:
    """Replace the draft's unpinned assignments with the solver's roster; pinned ones stay."""
    period = RosterPeriod.objects.select_for_update().get(pk=period.pk)
    if period.published:
        raise InvalidInput([FieldProblem("period", "the roster was published while it was being generated")])
    built = outcome.built
    kept = {(a.staff_id, a.date) for a in Assignment.objects.filter(period=period, pinned=True)}
    Assignment.objects.filter(period=period, pinned=False).delete()
    new = []
    for person, date, shift in pb.rows_from_roster(built, outcome.roster):
        if (person.pk, date) not in kept:
            new.append(
                Assignment(
                    period=period, staff=person, date=date, shift_type=shift, source=AssignmentSource.SOLVER
                )
            )
    Assignment.objects.bulk_create(new)
    period.penalty = outcome.objective
    period.lower_bound = outcome.lower_bound
    period.save(update_fields=["penalty", "lower_bound"])
    record(
        action="scheduling.roster_generated",
        obj=period,
        actor=actor,
        unit_id=period.unit_id,
        facility_id=period.unit.facility_id,
        summary=f"{period}: {len(new)} shifts generated, penalty {outcome.objective} ({outcome.status})",
    )
    return len(new)


@dataclass
class ChangeResult:
    penalty_before: int
    penalty_after: int

    @property
    def delta(self) -> int:
        return self.penalty_after - self.penalty_before


def _new_breaches(built: pb.Built, before: Roster, after: Roster, keys: set[str]) -> list[Breach]:
    old = {b.identity for b in breaches(built, before, staff=keys, by_hand=True)}
    return [b for b in breaches(built, after, staff=keys, by_hand=True) if b.identity not in old]


def check_change(
    built: pb.Built, roster: Roster, changes: list[tuple[str, dt.date, str | None]]
) -> tuple[Roster, list[Breach], int, int]:
    """Apply (staff key, date, shift code or None) changes to a copy of ``roster`` and check them."""
    after = {k: list(v) for k, v in roster.items()}
    for key, date, code in changes:
        if key not in after:
            raise _refuse([f"{key} is not on this roster"], "The change cannot be made.")
        after[key][built.day_of(date)] = code
    keys = {k for k, _, _ in changes}
    found = _new_breaches(built, roster, after, keys)
    return after, found, evaluate(built.problem, roster).objective, evaluate(built.problem, after).objective


@transaction.atomic
def change_assignment(
    *, actor, period: RosterPeriod, staff: Staff, date: dt.date, shift_type: ShiftType | None
) -> ChangeResult:
    """Set one cell of a draft roster by hand; refused with the reason if it breaks a hard rule."""
    _manage(actor, period.unit)
    if period.published:
        raise _refuse(
            ["the roster is published and locked; use a swap or mark an absence"],
            "The change cannot be made.",
            "period",
        )
    if not period.start_date <= date <= period.end_date:
        raise _refuse([f"{date} is outside the period"], "The change cannot be made.", "date")
    built = pb.build(period)
    key = str(staff.pk)
    if key not in built.staff:
        raise _refuse(
            [f"{staff} is not on the {period.unit.code} roster"], "The change cannot be made.", "staff"
        )
    if shift_type is not None and shift_type.code not in built.shifts:
        raise _refuse(
            [f"{shift_type} is not a shift of this roster"], "The change cannot be made.", "shift_type"
        )
    roster = current_roster(built)
    _, found, before, after = check_change(
        built, roster, [(key, date, shift_type.code if shift_type else None)]
    )
    if found:
        raise _refuse([b.message for b in found], "The change breaks a hard rule; nothing was saved.")
    existing = Assignment.objects.filter(period=period, staff=staff, date=date).first()
    old = existing.shift_type.code if existing else "off"
    if shift_type is None:
        if existing:
            existing.delete()
    elif existing:
        existing.shift_type, existing.pinned, existing.source = shift_type, True, AssignmentSource.MANUAL
        existing.save()
    else:
        Assignment.objects.create(
            period=period,
            staff=staff,
            date=date,
            shift_type=shift_type,
            pinned=True,
            source=AssignmentSource.MANUAL,
        )
    RosterPeriod.objects.filter(pk=period.pk).update(penalty=after)
    new = shift_type.code if shift_type else "off"
    record(
        action="scheduling.assignment_changed",
        obj=period,
        unit_id=period.unit_id,
        facility_id=period.unit.facility_id,
        staff_id=staff.pk,
        summary=f"{staff} on {date:%a %d %b}: {old} → {new} (penalty {before} → {after})",
        changes={"shift": [old, new], "penalty": [before, after]},
    )
    return ChangeResult(before, after)


@transaction.atomic
def publish(*, actor, period: RosterPeriod) -> RosterPeriod:
    _manage(actor, period.unit)
    if period.published:
        raise _refuse(["already published"], "Nothing to publish.", "period")
    if not period.assignments.exists():
        raise _refuse(["the roster has no shifts yet; generate it first"], "Nothing to publish.", "period")
    period.status = PeriodStatus.PUBLISHED
    period.published_at = timezone.now()
    period.published_by = actor if getattr(actor, "pk", None) else None
    period.save(update_fields=["status", "published_at", "published_by"])
    period.assignments.update(pinned=True)
    record(
        action="scheduling.roster_published",
        obj=period,
        unit_id=period.unit_id,
        facility_id=period.unit.facility_id,
        summary=f"{period} published",
    )
    # The notification each person sees in their trail (and on "my shifts").
    for staff_id in sorted(set(period.assignments.values_list("staff_id", flat=True))):
        record(
            action="scheduling.shifts_published",
            object_type="scheduling.rosterperiod",
            object_id=str(period.pk),
            staff_id=staff_id,
            unit_id=period.unit_id,
            facility_id=period.unit.facility_id,
            summary=f"Your shifts for {period} are published",
        )
    return period


# --- self-service --------------------------------------------------------------------------


@transaction.atomic
def request_swap(
    *,
    actor,
    period: RosterPeriod,
    requester: Staff,
    requester_date: dt.date,
    colleague: Staff,
    colleague_date: dt.date | None = None,
    note: str = "",
) -> SwapRequest:
    if not _acts_for(actor, requester):
        raise NotAllowed("you may only ask to swap your own shifts")
    problems = []
    if not period.published:
        problems.append(FieldProblem("period", "swaps are made on a published roster"))
    if requester.pk == colleague.pk:
        problems.append(FieldProblem("colleague", "choose a colleague"))
    if not Assignment.objects.filter(period=period, staff=requester, date=requester_date).exists():
        problems.append(FieldProblem("requester_date", f"{requester} has no shift on {requester_date}"))
    if (
        colleague_date
        and not Assignment.objects.filter(period=period, staff=colleague, date=colleague_date).exists()
    ):
        problems.append(FieldProblem("colleague_date", f"{colleague} has no shift on {colleague_date}"))
    if colleague.home_unit_id != period.unit_id:
        problems.append(FieldProblem("colleague", f"{colleague} is not on the {period.unit.code} roster"))
    if problems:
        raise InvalidInput(problems)
    swap = SwapRequest.objects.create(
        period=period,
        requester=requester,
        requester_date=requester_date,
        colleague=colleague,
        colleague_date=colleague_date,
        note=note,
    )
    record(
        action="scheduling.swap_requested",
        obj=period,
        staff_id=requester.pk,
        unit_id=period.unit_id,
        facility_id=period.unit.facility_id,
        summary=f"{swap} requested",
    )
    return swap


def swap_changes(swap: SwapRequest) -> list[tuple[Staff, dt.date, ShiftType | None]]:
    """The cells a swap changes: the requester's shift goes to the colleague; with ``colleague_date``
    the colleague's shift on that date comes back to the requester."""

    def shift_of(person, date):
        row = (
            Assignment.objects.filter(period=swap.period, staff=person, date=date)
            .select_related("shift_type")
            .first()
        )
        return row.shift_type if row else None

    mine = shift_of(swap.requester, swap.requester_date)
    if mine is None:
        raise _refuse(
            [f"{swap.requester} no longer has a shift on {swap.requester_date}"], "The swap cannot be made."
        )
    if swap.colleague_date == swap.requester_date:
        theirs = shift_of(swap.colleague, swap.requester_date)
        return [(swap.requester, swap.requester_date, theirs), (swap.colleague, swap.requester_date, mine)]
    if shift_of(swap.colleague, swap.requester_date) is not None:
        raise _refuse(
            [f"{swap.colleague} already works on {swap.requester_date}"], "The swap cannot be made."
        )
    cells = [(swap.requester, swap.requester_date, None), (swap.colleague, swap.requester_date, mine)]
    if swap.colleague_date:
        theirs = shift_of(swap.colleague, swap.colleague_date)
        if theirs is None:
            raise _refuse(
                [f"{swap.colleague} no longer has a shift on {swap.colleague_date}"],
                "The swap cannot be made.",
            )
        if shift_of(swap.requester, swap.colleague_date) is not None:
            raise _refuse(
                [f"{swap.requester} already works on {swap.colleague_date}"], "The swap cannot be made."
            )
        cells += [(swap.colleague, swap.colleague_date, None), (swap.requester, swap.colleague_date, theirs)]
    return cells


def _apply_cells(period, cells, source) -> None:
    for person, date, shift in cells:
        Assignment.objects.filter(period=period, staff=person, date=date).delete()
        if shift is not None:
            Assignment.objects.create(
                period=period, staff=person, date=date, shift_type=shift, pinned=True, source=source
            )


@transaction.atomic
def decide_swap(*, actor, swap: SwapRequest, approve: bool, reason: str = "") -> SwapRequest:
    """Approve (after re-checking every hard rule for both people) or reject a swap."""
    period = swap.period
    _manage(actor, period.unit)
    if swap.status != SwapStatus.PENDING:
        raise _refuse(
            [f"this swap was already {swap.get_status_display().lower()}"], "Nothing to decide.", "swap"
        )
    if approve:
        built = pb.build(period)
        roster = current_roster(built)
        cells = swap_changes(swap)
        changes = [(str(p.pk), d, s.code if s else None) for p, d, s in cells]
        _, found, before, after = check_change(built, roster, changes)
        if found:
            raise _refuse([b.message for b in found], "The swap breaks a hard rule; it was not approved.")
        _apply_cells(period, cells, AssignmentSource.SWAP)
        RosterPeriod.objects.filter(pk=period.pk).update(penalty=after)
    swap.status = SwapStatus.APPROVED if approve else SwapStatus.REJECTED
    swap.decided_by = actor if getattr(actor, "pk", None) else None
    swap.decided_at = timezone.now()
    swap.reason = reason[:300]
    swap.save()
    for person in (swap.requester, swap.colleague):
        record(
            action=f"scheduling.swap_{swap.status}",
            obj=period,
            staff_id=person.pk,
            unit_id=period.unit_id,
            facility_id=period.unit.facility_id,
            summary=f"{swap}: {swap.get_status_display().lower()}",
        )
    return swap


@transaction.atomic
def rotate_feed(*, actor, staff: Staff) -> CalendarFeed:
    """Create the personal calendar feed, or replace its secret (revoking the old URL)."""
    if not _acts_for(actor, staff):
        raise NotAllowed("you may only manage your own calendar feed")
    feed, created = CalendarFeed.objects.get_or_create(staff=staff)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token", "created_at"])
    record(
        action="scheduling.feed_rotated" if not created else "scheduling.feed_created",
        obj=staff,
        summary=f"Calendar feed {'renewed (old link revoked)' if not created else 'created'} for {staff}",
    )
    return feed
