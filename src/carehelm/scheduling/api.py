"""Scheduling API (mounted at /api/scheduling): inputs, roster periods, runs, explanations, swaps, repair.

Permissions follow the foundation: unit managers reach only their units (through ``restrict``);
staff members read only their own published shifts and make their own requests and swaps.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from carehelm.organization.models import Unit
from carehelm.runs import services as runs
from carehelm.runs.models import Run
from carehelm.scheduling import imports, repair, selectors, services
from carehelm.scheduling.explain import explain
from carehelm.scheduling.models import (
    Absence,
    Assignment,
    ContractTemplate,
    Demand,
    ShiftType,
    SwapRequest,
)
from carehelm.validation import NotAllowed
from carehelm.workforce.models import Staff

router = Router(tags=["scheduling"])


class ShiftTypeOut(Schema):
    id: int
    unit_id: int
    code: str
    name: str
    start: dt.time
    end: dt.time
    paid_minutes: int
    on_call: bool
    colour: str
    skills: list[str]

    @staticmethod
    def resolve_skills(obj):
        return [s.code for s in obj.skills.all()]


class ShiftTypeIn(Schema):
    unit_id: int
    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=80)
    start: dt.time
    end: dt.time
    paid_minutes: int = Field(ge=1, le=1440)
    skills: list[str] = []
    on_call: bool = False
    colour: str = "#cfe3f2"


class DemandOut(Schema):
    id: int
    shift_type_id: int
    weekday: int | None
    date: dt.date | None
    skill: str | None = Field(None, alias="skill.code")
    minimum: int
    target: int
    from_census: bool


class DemandIn(Schema):
    shift_type_id: int
    weekday: int | None = Field(None, ge=0, le=6)
    date: dt.date | None = None
    skill: str | None = None
    minimum: int = Field(ge=0)
    target: int = Field(ge=0)


class CensusIn(Schema):
    unit_id: int
    date_from: dt.date
    date_to: dt.date
    expected_census: int = Field(ge=0)
    ratio: int | None = Field(None, ge=1, description="patients per nurse; default by unit kind")


class ContractOut(Schema):
    id: int
    name: str
    hours_per_week: Decimal
    max_consecutive_days: int
    min_rest_hours: Decimal
    max_consecutive_nights: int
    days_off_after_nights: int
    weekends_per_four_weeks: int
    max_shifts_per_type: dict
    overtime_after_hours: Decimal


class ContractIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    hours_per_week: Decimal = Field(Decimal("40"), gt=0, le=80)
    max_consecutive_days: int = Field(5, ge=1)
    min_rest_hours: Decimal = Field(Decimal("11"), ge=0, le=48)
    max_consecutive_nights: int = Field(3, ge=0)
    days_off_after_nights: int = Field(2, ge=0)
    weekends_per_four_weeks: int = Field(2, ge=0)
    max_shifts_per_type: dict[str, int] = {}
    overtime_after_hours: Decimal = Field(Decimal("40"), gt=0)


class ContractAssignIn(Schema):
    staff_id: int
    template_id: int


class RequestOut(Schema):
    id: int
    staff_id: int
    kind: str
    date_from: dt.date
    date_to: dt.date | None
    shift_type_id: int | None
    weekday: int | None
    priority: int
    status: str
    note: str


class RequestIn(Schema):
    staff_id: int | None = Field(None, description="default: yourself")
    kind: str
    date_from: dt.date
    date_to: dt.date | None = None
    shift_type_id: int | None = None
    weekday: int | None = None
    priority: int = 2
    note: str = ""


class DecisionIn(Schema):
    approve: bool
    reason: str = ""


class PeriodOut(Schema):
    id: int
    unit_id: int
    kind: str
    start_date: dt.date
    end_date: dt.date
    weeks: int
    status: str
    penalty: int | None
    lower_bound: int | None
    budgeted_hours: Decimal | None
    last_run_id: int | None


class PeriodIn(Schema):
    unit_id: int
    start_date: dt.date
    weeks: int = Field(4, ge=1, le=12)
    kind: str = "roster"
    budgeted_hours: Decimal | None = None
    max_on_call_in_a_row: int = Field(2, ge=1)


class AssignmentOut(Schema):
    id: int
    period_id: int
    staff_id: int
    staff: str = Field(alias="staff.full_name")
    date: dt.date
    shift: str = Field(alias="shift_type.code")
    starts_at: dt.datetime
    ends_at: dt.datetime
    pinned: bool
    source: str

    @staticmethod
    def resolve_starts_at(obj):
        return obj.shift_type.starts_at(obj.date)

    @staticmethod
    def resolve_ends_at(obj):
        return obj.shift_type.ends_at(obj.date)


class ChangeIn(Schema):
    staff_id: int
    date: dt.date
    shift: str | None = Field(None, description="shift code; null for a day off")


class ChangeOut(Schema):
    penalty_before: int
    penalty_after: int
    delta: int


class SolveIn(Schema):
    time_limit: float = Field(30.0, ge=1, le=600)


class RunOut(Schema):
    id: int
    status: str
    progress: float
    message: str
    detail: dict
    result: dict
    error: str
    cancel_requested: bool


class SwapIn(Schema):
    period_id: int
    requester_id: int | None = Field(None, description="default: yourself")
    requester_date: dt.date
    colleague_id: int
    colleague_date: dt.date | None = None
    note: str = ""


class SwapOut(Schema):
    id: int
    period_id: int
    requester_id: int
    requester_date: dt.date
    colleague_id: int
    colleague_date: dt.date | None
    status: str
    reason: str


class AbsenceIn(Schema):
    staff_id: int
    date_from: dt.date
    date_to: dt.date | None = None
    reason: str = "Sick"


class AbsenceOut(Schema):
    id: int
    period_id: int
    staff_id: int
    date_from: dt.date
    date_to: dt.date
    reason: str
    open_shifts: list
    repaired: bool


class CandidateOut(Schema):
    staff_id: int
    name: str
    penalty_delta: int
    cost: Decimal
    overtime: bool


class OpenShiftOut(Schema):
    date: dt.date
    shift: str
    proposal: CandidateOut | None
    alternatives: list[CandidateOut]
    not_possible: list[str]


class RepairIn(Schema):
    choices: list[dict] = Field(description='[{"date": "2026-03-03", "shift": "D", "staff_id": 12}, ...]')


# --- helpers -----------------------------------------------------------------------------------


def _managed_unit(user, unit_id: int) -> Unit:
    return get_object_or_404(Unit.objects.restrict(user, "manage"), pk=unit_id)


def _own_staff(user) -> Staff:
    person = selectors.own_staff(user)
    if person is None:
        raise NotAllowed("your sign-in is not linked to a staff record")
    return person


# --- inputs ----------------------------------------------------------------------------------


@router.get("/shift-types", response=list[ShiftTypeOut])
def list_shift_types(request, unit_id: int | None = None):
    qs = ShiftType.objects.restrict(request.auth, "view").prefetch_related("skills")
    return qs.filter(unit_id=unit_id) if unit_id else qs


@router.post("/shift-types", response={201: ShiftTypeOut})
def create_shift_type(request, payload: ShiftTypeIn):
    unit = _managed_unit(request.auth, payload.unit_id)
    data = payload.dict(exclude={"unit_id"})
    return Status(201, services.save_shift_type(actor=request.auth, unit=unit, **data))


@router.get("/demand", response=list[DemandOut])
def list_demand(request, unit_id: int | None = None):
    qs = Demand.objects.restrict(request.auth, "view").select_related("skill")
    return qs.filter(unit_id=unit_id) if unit_id else qs


@router.put("/demand", response=DemandOut)
def put_demand(request, payload: DemandIn):
    shift = get_object_or_404(ShiftType.objects.restrict(request.auth, "manage"), pk=payload.shift_type_id)
    return services.set_demand(
        actor=request.auth,
        shift_type=shift,
        weekday=payload.weekday,
        date=payload.date,
        skill=payload.skill,
        minimum=payload.minimum,
        target=payload.target,
    )


@router.post("/census-demand")
def census_demand(request, payload: CensusIn):
    unit = _managed_unit(request.auth, payload.unit_id)
    day = payload.date_from
    while day <= payload.date_to:
        services.set_census(actor=request.auth, unit=unit, date=day, expected_census=payload.expected_census)
        day += dt.timedelta(days=1)
    n = services.apply_census_demand(
        actor=request.auth,
        unit=unit,
        date_from=payload.date_from,
        date_to=payload.date_to,
        ratio=payload.ratio,
    )
    return {"shift_days": n, "ratio": payload.ratio or services.ratio_for(unit)}


@router.post("/units/{unit_id}/demand/import")
def import_demand(request, unit_id: int, file: File[UploadedFile]):
    unit = _managed_unit(request.auth, unit_id)
    n = imports.import_demand_csv(
        actor=request.auth, unit=unit, content=file.read(), filename=file.name or "demand.csv"
    )
    return {"imported": n}


@router.post("/units/{unit_id}/requests/import")
def import_requests(request, unit_id: int, file: File[UploadedFile]):
    unit = _managed_unit(request.auth, unit_id)
    n = imports.import_requests_csv(
        actor=request.auth, unit=unit, content=file.read(), filename=file.name or "requests.csv"
    )
    return {"imported": n}


@router.get("/contracts", response=list[ContractOut])
def list_contracts(request):
    return ContractTemplate.objects.restrict(request.auth, "view")


@router.post("/contracts", response={201: ContractOut})
def create_contract(request, payload: ContractIn):
    data = payload.dict()
    return Status(201, services.save_contract_template(actor=request.auth, **data))


@router.post("/contracts/assign")
def assign_contract(request, payload: ContractAssignIn):
    staff = get_object_or_404(Staff.objects.restrict(request.auth, "view"), pk=payload.staff_id)
    template = get_object_or_404(ContractTemplate, pk=payload.template_id)
    services.assign_contract(actor=request.auth, staff=staff, template=template)
    return {"staff_id": staff.pk, "template_id": template.pk}


@router.get("/requests", response=list[RequestOut])
def list_requests(request, staff_id: int | None = None, status: str = ""):
    qs = selectors.requests_for(request.auth)
    if staff_id:
        qs = qs.filter(staff_id=staff_id)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.post("/requests", response={201: RequestOut})
def create_request(request, payload: RequestIn):
    staff = (
        get_object_or_404(Staff.objects.restrict(request.auth, "view"), pk=payload.staff_id)
        if payload.staff_id
        else _own_staff(request.auth)
    )
    shift = get_object_or_404(ShiftType, pk=payload.shift_type_id) if payload.shift_type_id else None
    created = services.create_request(
        actor=request.auth,
        staff=staff,
        kind=payload.kind,
        date_from=payload.date_from,
        date_to=payload.date_to,
        shift_type=shift,
        weekday=payload.weekday,
        priority=payload.priority,
        note=payload.note,
    )
    return Status(201, created)


@router.post("/requests/{request_id}/decision", response=RequestOut)
def decide_request(request, request_id: int, payload: DecisionIn):
    row = get_object_or_404(selectors.requests_for(request.auth), pk=request_id)
    return services.decide_request(actor=request.auth, request=row, approve=payload.approve)


# --- periods, runs, rosters ------------------------------------------------------------------


@router.get("/periods", response=list[PeriodOut])
def list_periods(request, unit_id: int | None = None, status: str = ""):
    qs = selectors.periods_for(request.auth)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.post("/periods", response={201: PeriodOut})
def create_period(request, payload: PeriodIn):
    unit = _managed_unit(request.auth, payload.unit_id)
    created = services.create_period(
        actor=request.auth,
        unit=unit,
        start_date=payload.start_date,
        weeks=payload.weeks,
        kind=payload.kind,
        budgeted_hours=payload.budgeted_hours,
        max_on_call_in_a_row=payload.max_on_call_in_a_row,
    )
    return Status(201, created)


@router.get("/periods/{period_id}", response=PeriodOut)
def get_period(request, period_id: int):
    return selectors.period_for(request.auth, period_id)


@router.get("/periods/{period_id}/assignments", response=list[AssignmentOut])
def list_assignments(request, period_id: int):
    period = selectors.period_for(request.auth, period_id)
    qs = Assignment.objects.filter(period=period).select_related("staff", "shift_type")
    if not selectors.may_see_grid(request.auth, period):
        person = selectors.own_staff(request.auth)
        qs = qs.filter(staff=person) if person else qs.none()
    return qs


@router.put("/periods/{period_id}/assignments", response=ChangeOut)
def change_assignment(request, period_id: int, payload: ChangeIn):
    period = selectors.period_for(request.auth, period_id, "manage")
    staff = get_object_or_404(Staff.objects.restrict(request.auth, "view"), pk=payload.staff_id)
    shift = get_object_or_404(ShiftType, unit=period.unit, code=payload.shift) if payload.shift else None
    result = services.change_assignment(
        actor=request.auth, period=period, staff=staff, date=payload.date, shift_type=shift
    )
    return {
        "penalty_before": result.penalty_before,
        "penalty_after": result.penalty_after,
        "delta": result.delta,
    }


@router.post("/periods/{period_id}/solve", response={202: RunOut})
def start_solve(request, period_id: int, payload: SolveIn):
    period = selectors.period_for(request.auth, period_id, "manage")
    return Status(202, services.start_solve(actor=request.auth, period=period, time_limit=payload.time_limit))


@router.get("/periods/{period_id}/run", response=RunOut)
def get_solve_run(request, period_id: int):
    period = selectors.period_for(request.auth, period_id)
    if period.last_run_id is None:
        raise HttpError(404, "no generation for this roster yet")
    return get_object_or_404(Run.objects.restrict(request.auth, "view"), pk=period.last_run_id)


@router.post("/periods/{period_id}/run/cancel", response=RunOut)
def cancel_solve(request, period_id: int):
    period = selectors.period_for(request.auth, period_id, "manage")
    run = get_object_or_404(Run.objects.restrict(request.auth, "manage"), pk=period.last_run_id)
    return runs.request_cancel(actor=request.auth, run=run)


@router.get("/periods/{period_id}/explanation")
def get_explanation(request, period_id: int):
    period = selectors.period_for(request.auth, period_id)
    if not selectors.may_see_grid(request.auth, period):
        raise NotAllowed("the explanation covers the whole unit")
    return explain(period).as_dict()


@router.post("/periods/{period_id}/publish", response=PeriodOut)
def publish(request, period_id: int):
    period = selectors.period_for(request.auth, period_id, "manage")
    return services.publish(actor=request.auth, period=period)


@router.get("/my/shifts", response=list[AssignmentOut])
def my_shifts(request, since: dt.date | None = None):
    return selectors.my_assignments(request.auth, since=since).select_related("staff")


# --- swaps and repair --------------------------------------------------------------------------


@router.get("/swaps", response=list[SwapOut])
def list_swaps(request, status: str = ""):
    qs = selectors.swaps_for(request.auth)
    return qs.filter(status=status) if status else qs


@router.post("/swaps", response={201: SwapOut})
def create_swap(request, payload: SwapIn):
    period = selectors.period_for(request.auth, payload.period_id)
    requester = (
        get_object_or_404(Staff.objects.restrict(request.auth, "view"), pk=payload.requester_id)
        if payload.requester_id
        else _own_staff(request.auth)
    )
    colleague = get_object_or_404(Staff, pk=payload.colleague_id, home_unit=period.unit)
    created = services.request_swap(
        actor=request.auth,
        period=period,
        requester=requester,
        requester_date=payload.requester_date,
        colleague=colleague,
        colleague_date=payload.colleague_date,
        note=payload.note,
    )
    return Status(201, created)


@router.post("/swaps/{swap_id}/decision", response=SwapOut)
def decide_swap(request, swap_id: int, payload: DecisionIn):
    swap = get_object_or_404(SwapRequest.objects.restrict(request.auth, "manage"), pk=swap_id)
    return services.decide_swap(actor=request.auth, swap=swap, approve=payload.approve, reason=payload.reason)


@router.post("/periods/{period_id}/absences", response={201: AbsenceOut})
def mark_absence(request, period_id: int, payload: AbsenceIn):
    period = selectors.period_for(request.auth, period_id, "manage")
    staff = get_object_or_404(Staff.objects.restrict(request.auth, "view"), pk=payload.staff_id)
    created = repair.mark_absence(
        actor=request.auth,
        period=period,
        staff=staff,
        date_from=payload.date_from,
        date_to=payload.date_to,
        reason=payload.reason,
    )
    return Status(201, created)


def _candidate(c) -> dict:
    return {
        "staff_id": c.staff.pk,
        "name": c.staff.full_name,
        "penalty_delta": c.penalty_delta,
        "cost": c.cost,
        "overtime": c.overtime,
    }


@router.get("/absences/{absence_id}/repair", response=list[OpenShiftOut])
def repair_options(request, absence_id: int):
    absence = get_object_or_404(Absence.objects.restrict(request.auth, "manage"), pk=absence_id)
    options = repair.repair_options(period=absence.period, absence=absence)
    return [
        {
            "date": o.date,
            "shift": o.shift.code,
            "proposal": _candidate(o.proposal) if o.proposal else None,
            "alternatives": [_candidate(c) for c in o.candidates],
            "not_possible": [why for _, why in o.refused],
        }
        for o in options
    ]


@router.post("/absences/{absence_id}/repair", response=AbsenceOut)
def apply_repair(request, absence_id: int, payload: RepairIn):
    absence = get_object_or_404(Absence.objects.restrict(request.auth, "manage"), pk=absence_id)
    choices = {}
    for row in payload.choices:
        try:
            date, code, staff_id = (
                dt.date.fromisoformat(str(row["date"])),
                str(row["shift"]),
                int(row["staff_id"]),
            )
        except (KeyError, ValueError) as exc:
            raise HttpError(422, f"each choice needs date, shift and staff_id ({exc})") from None
        choices[(date, code)] = get_object_or_404(Staff, pk=staff_id, home_unit=absence.period.unit)
    repair.apply_repair(actor=request.auth, period=absence.period, absence=absence, choices=choices)
    absence.refresh_from_db()
    return absence


class ReplanChangeOut(Schema):
    staff_id: int
    name: str
    date: dt.date
    before: str | None
    after: str | None


class ReplanIn(Schema):
    changes: list[dict] = Field(
        description='[{"staff_id": 12, "date": "2026-03-03", "after": "D" or null}, ...]'
    )


@router.get("/absences/{absence_id}/replan", response=list[ReplanChangeOut])
def replan_options(request, absence_id: int, time_limit: float = 5.0):
    """The engine's minimum-perturbation re-plan of the absence days (everything else as published)."""
    absence = get_object_or_404(Absence.objects.restrict(request.auth, "manage"), pk=absence_id)
    changes = repair.engine_repair(
        period=absence.period, absence=absence, time_limit=min(max(time_limit, 1.0), 60.0)
    )
    return [
        {
            "staff_id": c.staff.pk,
            "name": c.staff.full_name,
            "date": c.date,
            "before": c.before,
            "after": c.after,
        }
        for c in changes
    ]


@router.post("/absences/{absence_id}/replan", response=AbsenceOut)
def apply_replan(request, absence_id: int, payload: ReplanIn):
    absence = get_object_or_404(Absence.objects.restrict(request.auth, "manage"), pk=absence_id)
    changes = []
    for row in payload.changes:
        try:
            staff_id, date = int(row["staff_id"]), dt.date.fromisoformat(str(row["date"]))
        except (KeyError, ValueError) as exc:
            raise HttpError(422, f"each change needs staff_id, date and after ({exc})") from None
        person = get_object_or_404(Staff, pk=staff_id, home_unit=absence.period.unit)
        changes.append(repair.ReplanChange(person, date, None, row.get("after") or None))
    repair.apply_replan(actor=request.auth, period=absence.period, absence=absence, changes=changes)
    absence.refresh_from_db()
    return absence
