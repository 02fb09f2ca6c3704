"""Roster pages: list, unit set-up, grid (generate, change, publish), explanation, repair, my shifts, feeds.

Thin: selectors read (scoped to the user), services write (checked and audited).
"""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carehelm.organization.models import Unit
from carehelm.runs import services as runs
from carehelm.runs.models import Run
from carehelm.scheduling import calendar, imports, repair, selectors, services
from carehelm.scheduling import problem_builder as pb
from carehelm.scheduling.explain import explain
from carehelm.scheduling.forms import (
    AbsenceForm,
    CensusForm,
    ChangeForm,
    PeriodForm,
    RequestForm,
    ShiftTypeForm,
    SwapForm,
)
from carehelm.scheduling.models import (
    Absence,
    CalendarFeed,
    ContractTemplate,
    Demand,
    ShiftType,
    StaffContract,
    StaffRequest,
    SwapRequest,
)
from carehelm.validation import InvalidInput, NotAllowed
from carehelm.workforce.models import Staff

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _problems(request, exc: InvalidInput) -> None:
    messages.error(request, exc.title + " " + "; ".join(str(p) for p in exc.problems[:20]))


def _manage_or_403(request, period):
    if not selectors.may_manage(request.user, period):
        raise PermissionDenied("only the unit's managers may change this roster")


def roster_list(request):
    periods = list(selectors.periods_for(request.user)[:200])
    units = selectors.managed_units(request.user)
    form = PeriodForm(units=units, initial={"start_date": _next_monday(), "weeks": 4})
    return render(
        request,
        "scheduling/roster_list.html",
        {
            "periods": periods,
            "form": form,
            "units": units,
            "can_create": units.exists(),
            "own": selectors.own_staff(request.user),
        },
    )


def _next_monday(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


@require_POST
def period_create(request):
    form = PeriodForm(request.POST, units=selectors.managed_units(request.user))
    if not form.is_valid():
        messages.error(
            request,
            "The period is not valid: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
        )
        return redirect("roster-list")
    try:
        period = services.create_period(
            actor=request.user,
            unit=form.cleaned_data["unit"],
            start_date=form.cleaned_data["start_date"],
            weeks=form.cleaned_data["weeks"],
            kind=form.cleaned_data["kind"],
            budgeted_hours=form.cleaned_data["budgeted_hours"],
        )
    except InvalidInput as exc:
        _problems(request, exc)
        return redirect("roster-list")
    return redirect("roster-grid", period.pk)


def roster_grid(request, period_id: int):
    period = selectors.period_for(request.user, period_id)
    if not selectors.may_see_grid(request.user, period):
        return redirect("my-shifts")
    built = pb.build(period)
    grid = selectors.roster_grid(period, built)
    run = period.last_run
    from carehelm.scheduling.explain import expiring_credentials

    return render(
        request,
        "scheduling/roster_grid.html",
        {
            "period": period,
            "grid": grid,
            "run": run,
            "can_manage": selectors.may_manage(request.user, period),
            "swaps": selectors.pending_swaps(period),
            "absences": selectors.open_absences(period),
            "warnings": expiring_credentials(built),
            "shifts": list(built.shifts.values()),
            "staff_choices": list(built.staff.values()),
            "last_result": run.result if run and run.finished else None,
        },
    )


@require_POST
def roster_generate(request, period_id: int):
    period = selectors.period_for(request.user, period_id, "manage")
    try:
        limit = float(request.POST.get("time_limit") or 30)
    except ValueError:
        limit = 30.0
    try:
        services.start_solve(actor=request.user, period=period, time_limit=max(2.0, min(limit, 300.0)))
    except InvalidInput as exc:
        _problems(request, exc)
    return redirect("roster-grid", period.pk)


def solve_status(request, period_id: int):
    """The generation's live figures; when it has finished, the page reloads to show the roster."""
    period = selectors.period_for(request.user, period_id)
    run = period.last_run
    if run is None:
        raise Http404("no generation for this roster yet")
    response = render(
        request,
        "scheduling/_solve_status.html",
        {"period": period, "run": run, "can_manage": selectors.may_manage(request.user, period)},
    )
    if run.finished and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def solve_cancel(request, period_id: int):
    period = selectors.period_for(request.user, period_id, "manage")
    run = get_object_or_404(Run.objects.restrict(request.user, "manage"), pk=period.last_run_id)
    runs.request_cancel(actor=request.user, run=run)
    if request.htmx:
        return render(
            request, "scheduling/_solve_status.html", {"period": period, "run": run, "can_manage": True}
        )
    return redirect("roster-grid", period.pk)


@require_POST
def roster_change(request, period_id: int):
    period = selectors.period_for(request.user, period_id, "manage")
    form = ChangeForm(request.POST)
    outcome: dict = {}
    if not form.is_valid():
        outcome = {"ok": False, "problems": [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]}
    else:
        staff = Staff.objects.restrict(request.user, "view").filter(pk=form.cleaned_data["staff"]).first()
        code = form.cleaned_data["shift"].strip()
        shift = ShiftType.objects.filter(unit=period.unit, code=code).first() if code else None
        if staff is None or (code and shift is None):
            outcome = {"ok": False, "problems": ["unknown staff member or shift"]}
        else:
            try:
                result = services.change_assignment(
                    actor=request.user,
                    period=period,
                    staff=staff,
                    date=form.cleaned_data["date"],
                    shift_type=shift,
                )
                outcome = {
                    "ok": True,
                    "staff": staff,
                    "date": form.cleaned_data["date"],
                    "code": code or "off",
                    "before": result.penalty_before,
                    "after": result.penalty_after,
                    "delta": result.delta,
                }
            except InvalidInput as exc:
                outcome = {"ok": False, "title": exc.title, "problems": [p.message for p in exc.problems]}
    if request.htmx:
        response = render(request, "scheduling/_change_result.html", {"outcome": outcome})
        if outcome.get("ok"):
            response["HX-Trigger"] = "roster-changed"
        return response
    if outcome.get("ok"):
        messages.success(
            request, f"Changed: penalty {outcome['before']} → {outcome['after']} ({outcome['delta']:+d})."
        )
    else:
        messages.error(request, " ".join([outcome.get("title", "")] + outcome.get("problems", [])))
    return redirect("roster-grid", period.pk)


def grid_fragment(request, period_id: int):
    period = selectors.period_for(request.user, period_id)
    if not selectors.may_see_grid(request.user, period):
        raise PermissionDenied
    return render(
        request,
        "scheduling/_grid.html",
        {
            "period": period,
            "grid": selectors.roster_grid(period),
            "can_manage": selectors.may_manage(request.user, period),
        },
    )


@require_POST
def roster_publish(request, period_id: int):
    period = selectors.period_for(request.user, period_id, "manage")
    try:
        services.publish(actor=request.user, period=period)
        messages.success(request, f"{period} is published; the staff have been notified.")
    except InvalidInput as exc:
        _problems(request, exc)
    return redirect("roster-grid", period.pk)


def roster_explain(request, period_id: int):
    period = selectors.period_for(request.user, period_id)
    if not selectors.may_see_grid(request.user, period):
        raise PermissionDenied("the explanation covers the whole unit")
    explanation = explain(period)
    from carehelm.scheduling.charts import fairness_distribution

    return render(
        request,
        "scheduling/explain.html",
        {
            "period": period,
            "x": explanation,
            "fairness_spec": fairness_distribution(explanation.fairness["distribution"]),
        },
    )


def roster_csv(request, period_id: int):
    period = selectors.period_for(request.user, period_id)
    if not selectors.may_see_grid(request.user, period):
        raise PermissionDenied
    grid = selectors.roster_grid(period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="roster-{period.unit.code}-{period.start_date}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["employee_number", "name", "job_role"] + [d.isoformat() for d in grid.days] + ["hours"])
    for row in grid.rows:
        writer.writerow(
            [row.staff.employee_number, row.staff.full_name, row.staff.job_role.code]
            + [c.code for c in row.cells]
            + [row.hours]
        )
    return response


def roster_print(request, period_id: int):
    period = selectors.period_for(request.user, period_id)
    if not selectors.may_see_grid(request.user, period):
        raise PermissionDenied
    return render(
        request, "scheduling/roster_print.html", {"period": period, "grid": selectors.roster_grid(period)}
    )


@require_POST
def absence_mark(request, period_id: int):
    period = selectors.period_for(request.user, period_id, "manage")
    form = AbsenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The absence is not valid.")
        return redirect("roster-grid", period.pk)
    staff = get_object_or_404(Staff.objects.restrict(request.user, "view"), pk=form.cleaned_data["staff"])
    try:
        absence = repair.mark_absence(
            actor=request.user,
            period=period,
            staff=staff,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            reason=form.cleaned_data["reason"],
        )
    except InvalidInput as exc:
        _problems(request, exc)
        return redirect("roster-grid", period.pk)
    return redirect("roster-repair", period.pk, absence.pk)


def roster_repair(request, period_id: int, absence_id: int):
    period = selectors.period_for(request.user, period_id, "manage")
    absence = get_object_or_404(Absence, pk=absence_id, period=period)
    if request.method == "POST" and request.POST.get("action") == "replan":
        changes = []
        for value in request.POST.getlist("change"):
            staff_id, date_text, code = (value.split("|") + ["", "", ""])[:3]
            person = get_object_or_404(Staff, pk=staff_id, home_unit=period.unit)
            changes.append(repair.ReplanChange(person, dt.date.fromisoformat(date_text), None, code or None))
        try:
            n = repair.apply_replan(actor=request.user, period=period, absence=absence, changes=changes)
            messages.success(request, f"Re-plan applied: {n} change(s).")
            return redirect("roster-grid", period.pk)
        except InvalidInput as exc:
            _problems(request, exc)
    options = repair.repair_options(period=period, absence=absence)
    replan = None
    if request.GET.get("replan") or any(not o.candidates for o in options):
        replan = repair.engine_repair(period=period, absence=absence)
    if request.method == "POST" and request.POST.get("action") != "replan":
        choices = {}
        for i, option in enumerate(options):
            value = request.POST.get(f"choice-{i}")
            if value:
                person = next((c.staff for c in option.candidates if str(c.staff.pk) == value), None)
                if person is None:
                    person = Staff.objects.filter(pk=value, home_unit=period.unit).first()
                if person is not None:
                    choices[(option.date, option.shift.code)] = person
        try:
            n = repair.apply_repair(actor=request.user, period=period, absence=absence, choices=choices)
            messages.success(request, f"Repair applied: {n} shift(s) filled.")
            return redirect("roster-grid", period.pk)
        except InvalidInput as exc:
            _problems(request, exc)
    return render(
        request,
        "scheduling/repair.html",
        {"period": period, "absence": absence, "options": options, "replan": replan},
    )


@require_POST
def swap_decide(request, period_id: int, swap_id: int):
    period = selectors.period_for(request.user, period_id, "manage")
    swap = get_object_or_404(SwapRequest, pk=swap_id, period=period)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_swap(
            actor=request.user, swap=swap, approve=approve, reason=request.POST.get("reason", "")
        )
        messages.success(request, f"Swap {'approved' if approve else 'rejected'}.")
    except InvalidInput as exc:
        _problems(request, exc)
    return redirect("roster-grid", period.pk)


def unit_setup(request, unit_id: int):
    """Shift types, weekly demand, census-driven demand, work rules and requests for one unit."""
    unit = get_object_or_404(selectors.managed_units(request.user), pk=unit_id)
    shifts = list(ShiftType.objects.filter(unit=unit).prefetch_related("skills"))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            _setup_post(request, unit, shifts, action)
        except InvalidInput as exc:
            _problems(request, exc)
        return redirect("unit-setup", unit.pk)
    demand = {
        (d.shift_type_id, d.weekday): d
        for d in Demand.objects.filter(unit=unit, date__isnull=True, skill__isnull=True)
    }
    matrix = [(s, [(i, demand.get((s.pk, i))) for i in range(7)]) for s in shifts]
    return render(
        request,
        "scheduling/unit_setup.html",
        {
            "unit": unit,
            "shifts": shifts,
            "matrix": matrix,
            "weekdays": WEEKDAYS,
            "shift_form": ShiftTypeForm(),
            "census_form": CensusForm(),
            "ratio": services.ratio_for(unit),
            "templates": ContractTemplate.objects.all(),
            "contracts": StaffContract.objects.filter(staff__home_unit=unit).select_related(
                "staff", "template"
            ),
            "requests": StaffRequest.objects.filter(staff__home_unit=unit)
            .select_related("staff", "shift_type")
            .order_by("status", "-date_from")[:100],
            "overrides": Demand.objects.filter(unit=unit, date__isnull=False)
            .select_related("shift_type")
            .order_by("date")[:60],
        },
    )


def _setup_post(request, unit: Unit, shifts, action: str) -> None:
    user = request.user
    if action == "shift":
        form = ShiftTypeForm(request.POST)
        if not form.is_valid():
            raise InvalidInput(
                [],
                title="The shift type is not valid: "
                + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            )
        d = form.cleaned_data
        services.save_shift_type(
            actor=user,
            unit=unit,
            code=d["code"],
            name=d["name"],
            start=d["start"],
            end=d["end"],
            paid_minutes=d["paid_minutes"],
            on_call=d["on_call"],
            colour=d["colour"],
            skills=[s.strip() for s in d["skills"].split(",") if s.strip()],
        )
        messages.success(request, f"Shift type {d['code']} saved.")
    elif action == "demand":
        n = 0
        for s in shifts:
            for i in range(7):
                lo, hi = request.POST.get(f"min-{s.pk}-{i}", ""), request.POST.get(f"target-{s.pk}-{i}", "")
                if lo == "" and hi == "":
                    continue
                try:
                    lo_n, hi_n = int(lo or 0), int(hi or lo or 0)
                except ValueError:
                    raise InvalidInput(
                        [], title=f"{s.code} {WEEKDAYS[i]}: minimum and target must be whole numbers"
                    ) from None
                services.set_demand(actor=user, shift_type=s, weekday=i, minimum=lo_n, target=max(lo_n, hi_n))
                n += 1
        messages.success(request, f"Demand saved ({n} cells).")
    elif action == "census":
        form = CensusForm(request.POST)
        if not form.is_valid():
            raise InvalidInput([], title="The census is not valid.")
        d = form.cleaned_data
        day = d["date_from"]
        while day <= d["date_to"]:
            services.set_census(actor=user, unit=unit, date=day, expected_census=d["expected_census"])
            day += dt.timedelta(days=1)
        n = services.apply_census_demand(
            actor=user, unit=unit, date_from=d["date_from"], date_to=d["date_to"], ratio=d["ratio"]
        )
        messages.success(request, f"Census-driven demand set on {n} shift-days.")
    elif action == "decide":
        row = get_object_or_404(StaffRequest, pk=request.POST.get("request"), staff__home_unit=unit)
        services.decide_request(actor=user, request=row, approve=request.POST.get("decision") == "approve")
        messages.success(request, "Request decided.")
    elif action in ("import_demand", "import_requests"):
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput([], title="Choose a CSV file to import.")
        importer = imports.import_demand_csv if action == "import_demand" else imports.import_requests_csv
        n = importer(actor=user, unit=unit, content=upload.read(), filename=upload.name or "upload.csv")
        messages.success(request, f"{n} row(s) imported from {upload.name}.")
    elif action == "contract":
        template = get_object_or_404(ContractTemplate, pk=request.POST.get("template"))
        for staff in Staff.objects.restrict(user, "change").filter(home_unit=unit, active=True):
            if request.POST.get("all") or str(staff.pk) == request.POST.get("staff"):
                services.assign_contract(actor=user, staff=staff, template=template)
        messages.success(request, f"Work rules {template.name} assigned.")


def my_shifts(request):
    person = selectors.own_staff(request.user)
    if person is None:
        return render(request, "scheduling/my_shifts.html", {"person": None})
    if request.method == "POST":
        try:
            _my_post(request, person)
        except (InvalidInput, NotAllowed) as exc:
            if isinstance(exc, InvalidInput):
                _problems(request, exc)
            else:
                messages.error(request, str(exc))
        return redirect("my-shifts")
    today = timezone.localdate()
    shifts = list(selectors.my_assignments(request.user, since=today - dt.timedelta(days=7)))
    feed = CalendarFeed.objects.filter(staff=person).first()
    from carehelm.audit.models import AuditEvent

    # The notifications: roster publications, swap decisions and repairs that concern this person.
    notices = AuditEvent.objects.filter(
        staff_id=person.pk,
        action__in=[
            "scheduling.shifts_published",
            "scheduling.swap_approved",
            "scheduling.swap_rejected",
            "scheduling.repair_applied",
            "scheduling.request_decided",
        ],
    )[:8]
    colleagues = (
        Staff.objects.filter(home_unit=person.home_unit, active=True)
        .exclude(pk=person.pk)
        .order_by("last_name")
    )
    return render(
        request,
        "scheduling/my_shifts.html",
        {
            "person": person,
            "notices": notices,
            "shifts": shifts,
            "feed": feed,
            "feed_url": request.build_absolute_uri(f"/feeds/roster/{feed.token}.ics") if feed else "",
            "requests": StaffRequest.objects.filter(staff=person)
            .select_related("shift_type")
            .order_by("-date_from")[:50],
            "swaps": SwapRequest.objects.filter(requester=person).select_related("colleague")[:20],
            "request_form": RequestForm(),
            "colleagues": colleagues,
            "shift_types": ShiftType.objects.filter(unit=person.home_unit, active=True),
            "today": today,
        },
    )


def _my_post(request, person: Staff) -> None:
    action = request.POST.get("action")
    if action == "feed":
        services.rotate_feed(actor=request.user, staff=person)
        messages.success(request, "Your calendar link is ready; any earlier link no longer works.")
    elif action == "request":
        form = RequestForm(request.POST)
        if not form.is_valid():
            raise InvalidInput(
                [],
                title="The request is not valid: "
                + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            )
        d = form.cleaned_data
        shift = (
            ShiftType.objects.filter(unit=person.home_unit, code=d["shift"]).first() if d["shift"] else None
        )
        services.create_request(
            actor=request.user,
            staff=person,
            kind=d["kind"],
            date_from=d["date_from"],
            date_to=d["date_to"],
            shift_type=shift,
            weekday=d["weekday"],
            priority=d["priority"],
            note=d["note"],
        )
        messages.success(
            request,
            "Request saved." + (" Leave waits for your manager's approval." if d["kind"] == "leave" else ""),
        )
    elif action == "swap":
        form = SwapForm(request.POST)
        if not form.is_valid():
            raise InvalidInput([], title="The swap request is not valid.")
        d = form.cleaned_data
        period = selectors.period_for(request.user, d["period"])
        colleague = get_object_or_404(Staff, pk=d["colleague"], home_unit=person.home_unit)
        services.request_swap(
            actor=request.user,
            period=period,
            requester=person,
            requester_date=d["requester_date"],
            colleague=colleague,
            colleague_date=d["colleague_date"],
            note=d["note"],
        )
        messages.success(request, "Swap requested; your manager will decide.")


def calendar_feed(request, token: str):
    """A personal iCalendar feed. No login: the secret token in the URL is the credential."""
    feed = CalendarFeed.objects.filter(token=token).select_related("staff").first()
    if feed is None or not feed.staff.active:
        raise Http404("unknown or revoked calendar link")
    body = calendar.feed_for(feed.staff, host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="carehelm-shifts.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def unit_setup_index(request):
    units = selectors.managed_units(request.user)
    if units.count() == 1:
        return redirect("unit-setup", units.first().pk)
    return render(request, "scheduling/setup_index.html", {"units": units})
