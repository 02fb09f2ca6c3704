"""Database rows → an engine :class:`~carehelm.engines.rostering.model.Problem`, and engine rosters back.

``build(period, ...) -> Built`` loads everything a roster period needs and phrases it for the engine:

- **History.** The engine knows nothing before day 0, so the last ``HISTORY_DAYS`` days before the
  period (from any roster of the same unit) are prepended as pinned days. Rest, consecutive-day
  and night rules then hold across the period boundary exactly as inside it.
- **Credentials gate eligibility.** A person missing a credential their job needs in this unit is
  given every day of the period as a hard day off; one whose credential expires during the period
  gets every day after the expiry date off. Shift types that need a skill the person lacks get a
  maximum of 0. ``Built.blocked`` keeps the reason per (staff, date) for the pages.
- **Work rules.** Hours come from FTE × the contract's weekly hours (less leave), held within one
  shift either way; weekends per four weeks scale with the period length.
- **Demand.** Each (date, shift, skill) gets two cover rows: the minimum (heavy under-cover weight)
  and the target (light under- and over-cover weights). Date overrides replace weekday rows.
- **Requests.** Approved leave and standing unavailability are hard days off; day-off requests,
  preferences, aversions and pending leave are soft, weighted by priority.

The engine has no notion of night blocks. "Days off after a night block" becomes the engine's
minimum block of days off (with the rest rule, no day shift can follow a night directly); "maximum
nights in a row" becomes staggered night closures (``night_run_breaks``: off-requests at
``CUT_WEIGHT``, dearer than any gap, so never kept). :mod:`carehelm.scheduling.rules` still checks
both rules on every roster, and the solve loop adds a cut wherever one would be broken.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Q

from carehelm.engines.rostering.model import (
    Contract,
    CoverRequirement,
    PinnedAssignment,
    Problem,
    Roster,
    ShiftRequest,
    StaffMember,
)
from carehelm.engines.rostering.model import (
    ShiftType as EngineShift,
)
from carehelm.scheduling.models import (
    Absence,
    Assignment,
    ContractTemplate,
    Demand,
    PeriodKind,
    PublicHoliday,
    RequestKind,
    RequestStatus,
    RosterPeriod,
    ShiftType,
    StaffContract,
    StaffRequest,
)
from carehelm.workforce.models import CredentialRequirement, Staff
from carehelm.workforce.selectors import requirements_for

HISTORY_DAYS = 7
# Job roles rostered on a unit roster (physicians, clerks and managers are not).
ROSTERED_ROLES = ("rn", "charge-rn", "lpn", "cna")

# Penalty weights (the engine minimises their sum). Under-cover below the minimum is the worst thing
# a roster can do; below the target it costs less; over the target costs a little (paid hours).
UNDER_MINIMUM = 90  # on top of UNDER_TARGET: one person short of the minimum costs 100
UNDER_TARGET = 10
OVER_TARGET = 4
OVER_SPREAD = 16  # per person more than two above the target
REQUEST_WEIGHT = {1: 3, 2: 6, 3: 12}
FAIRNESS_WEIGHT = 3
CUT_WEIGHT = 1000  # a night-rule cut: dearer than any cover gap, so the search never keeps one  # on-call: per weekend/holiday above or below the fair share over a year

DEFAULT_TEMPLATE = "Standard 40 h"


@dataclass
class Built:
    problem: Problem
    period: RosterPeriod
    first_day: dt.date  # the date of engine day 0
    history_days: int
    staff: dict[str, Staff]
    shifts: dict[str, ShiftType]
    templates: dict[str, ContractTemplate]
    weekly_minutes: dict[str, int]
    available_days: dict[str, int]  # period days each person may work (not on leave, credentials current)
    blocked: dict[tuple[str, dt.date], str] = field(default_factory=dict)  # hard days off with their reason
    requests: list[tuple[StaffRequest, ShiftRequest, str]] = field(
        default_factory=list
    )  # (row, engine, kind)
    cover_labels: dict[int, str] = field(default_factory=dict)  # index in problem.cover -> "minimum"/"target"
    holidays: set[dt.date] = field(default_factory=set)

    def day_of(self, date: dt.date) -> int:
        return (date - self.first_day).days

    def date_of(self, day: int) -> dt.date:
        return self.first_day + dt.timedelta(days=day)

    @property
    def period_days(self) -> range:
        return range(self.history_days, self.problem.horizon_days)

    def key_of(self, staff: Staff | int) -> str:
        return str(staff if isinstance(staff, int) else staff.pk)

    def roster_from_rows(self, rows) -> Roster:
        """A full-horizon engine roster from assignments (history days come from the pins)."""
        roster: Roster = {k: [None] * self.problem.horizon_days for k in self.staff}
        for pin in self.problem.pinned:
            roster[pin.staff_id][pin.day] = pin.shift_id
        for a in rows:
            key, day = str(a.staff_id), self.day_of(a.date)
            if key in roster and 0 <= day < self.problem.horizon_days and a.shift_type.code in self.shifts:
                roster[key][day] = a.shift_type.code
        return roster

    def with_cuts(self, cuts: set[tuple[str, int, str]]) -> Built:
        """A copy whose problem forbids the (staff, day, shift) cells in ``cuts`` (as off-requests so
        heavy that the search treats them as rules; the roster found so far stays a valid start)."""
        extra = tuple(ShiftRequest(k, d, c, CUT_WEIGHT) for k, d, c in sorted(cuts))
        return replace(
            self, problem=replace(self.problem, shift_off_requests=self.problem.shift_off_requests + extra)
        )


def default_template() -> ContractTemplate:
    template, _ = ContractTemplate.objects.get_or_create(name=DEFAULT_TEMPLATE)
    return template


def rosterable_staff(period: RosterPeriod) -> list[Staff]:
    qs = Staff.objects.filter(home_unit_id=period.unit_id, active=True)
    if period.kind == PeriodKind.ROSTER:
        qs = qs.filter(job_role__code__in=ROSTERED_ROLES)
    assigned = Assignment.objects.filter(period=period).values_list("staff_id", flat=True)
    qs = Staff.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=assigned))
    return list(
        qs.select_related("job_role", "home_unit")
        .prefetch_related("skills", "credentials")
        .order_by("last_name", "first_name", "pk")
    )


def period_shift_types(period: RosterPeriod) -> list[ShiftType]:
    return list(
        ShiftType.objects.filter(
            unit_id=period.unit_id, active=True, on_call=period.kind == PeriodKind.ON_CALL
        )
        .prefetch_related("skills")
        .order_by("start", "code")
    )


def eligible_shifts(person: Staff, shifts: list[ShiftType]) -> set[str]:
    held = {s.code for s in person.skills.all()}
    return {s.code for s in shifts if not s.skills.all() or held & {k.code for k in s.skills.all()}}


def credential_blocks(person: Staff, days: list[dt.date], requirements) -> dict[dt.date, str]:
    """Days ``person`` may not work because a required credential is missing or expired by then."""
    held = {c.credential_type_id: c for c in person.credentials.all()}
    out: dict[dt.date, str] = {}
    for req in requirements_for(person, requirements):
        cred = held.get(req.credential_type_id)
        for day in days:
            if day in out:
                continue
            if cred is None:
                out[day] = f"no {req.credential_type.code.upper()} on record (required in this unit)"
            elif cred.expires_on is not None and cred.expires_on < day:
                out[day] = f"{req.credential_type.code.upper()} expired on {cred.expires_on:%d %b %Y}"
    return out


def build(period: RosterPeriod, *, history_days: int = HISTORY_DAYS, include_current: bool = False) -> Built:
    """The engine problem for ``period``. Pinned assignments of the period become engine pins;
    with ``include_current`` every current assignment is pinned (used to check a roster as it is)."""
    shifts = period_shift_types(period)
    shift_by_code = {s.code: s for s in shifts}
    people = rosterable_staff(period)
    days = period.days
    first_day = period.start_date - dt.timedelta(days=history_days)
    horizon = history_days + len(days)
    requirements = list(
        CredentialRequirement.objects.select_related("credential_type").filter(for_next_role_only=False)
    )
    contracts = {
        c.staff_id: c.template
        for c in StaffContract.objects.filter(staff__in=people).select_related("template")
    }
    fallback = default_template() if any(p.pk not in contracts for p in people) else None
    holidays = set(
        PublicHoliday.objects.filter(
            date__gte=first_day - dt.timedelta(days=366), date__lte=period.end_date
        ).values_list("date", flat=True)
    )

    # History: the days before the period, from any roster of this unit.
    history = defaultdict(dict)
    if history_days:
        rows = (
            Assignment.objects.filter(
                period__unit_id=period.unit_id,
                staff__in=people,
                date__gte=first_day,
                date__lt=period.start_date,
            )
            .exclude(period=period)
            .select_related("shift_type")
        )
        for a in rows:
            if a.shift_type.code in shift_by_code:
                history[str(a.staff_id)][(a.date - first_day).days] = a.shift_type.code

    # History that breaks today's maximum run (rules changed since) would make the period unsolvable;
    # keep only as much of the final run as the rule allows (the boundary still sees a run).
    for person in people:
        key = str(person.pk)
        template = contracts.get(person.pk, fallback)
        limit = (
            template.max_consecutive_days if period.kind == PeriodKind.ROSTER else period.max_on_call_in_a_row
        )
        run_days = [d for d in range(history_days - 1, -1, -1)]
        run = []
        for d in run_days:
            if d not in history[key]:
                break
            run.append(d)
        for d in run[limit:]:
            history[key].pop(d, None)

    requests = list(
        StaffRequest.objects.filter(staff__in=people)
        .exclude(status=RequestStatus.REJECTED)
        .filter(date_from__lte=period.end_date)
        .filter(
            Q(date_to__isnull=True) | Q(date_to__gte=period.start_date) | Q(date_from__gte=period.start_date)
        )
        .select_related("shift_type")
    )
    absences = list(
        Absence.objects.filter(
            staff__in=people, date_to__gte=period.start_date, date_from__lte=period.end_date
        )
    )
    blocked: dict[tuple[str, dt.date], str] = {}
    engine_staff = []
    templates: dict[str, ContractTemplate] = {}
    weekly: dict[str, int] = {}
    available_days: dict[str, int] = {}
    longest = max((s.paid_minutes for s in shifts), default=0)
    on_call = period.kind == PeriodKind.ON_CALL
    for person in people:
        key = str(person.pk)
        template = contracts.get(person.pk, fallback)
        templates[key] = template
        for day, reason in credential_blocks(person, days, requirements).items():
            blocked[(key, day)] = reason
        for r in requests:
            if r.staff_id != person.pk:
                continue
            hard = r.kind == RequestKind.UNAVAILABLE or (
                r.kind == RequestKind.LEAVE and r.status == RequestStatus.APPROVED
            )
            if hard:
                for day in days:
                    if r.covers(day):
                        blocked.setdefault(
                            (key, day), f"{r.get_kind_display().lower()}" + (f": {r.note}" if r.note else "")
                        )
        for a in absences:
            if a.staff_id == person.pk:
                for day in days:
                    if a.covers(day):
                        blocked.setdefault((key, day), f"absent ({a.reason.lower()})")
        off_days = frozenset(history_days + i for i, day in enumerate(days) if (key, day) in blocked)
        allowed = eligible_shifts(person, shifts)
        per_type = {code: 0 for code in shift_by_code if code not in allowed}
        for code, n in (template.max_shifts_per_type or {}).items():
            if code in shift_by_code and code not in per_type:
                per_type[code] = int(n)
        history_paid = sum(shift_by_code[c].paid_minutes for c in history[key].values())
        weekly_minutes = round(float(person.fte) * float(template.hours_per_week) * 60)
        weekly[key] = weekly_minutes
        available = len(days) - len(off_days)
        available_days[key] = available
        target = weekly_minutes * available / 7
        if on_call:
            contract = Contract(
                max_consecutive_work_days=period.max_on_call_in_a_row, max_shifts_per_type=per_type
            )
        else:
            casual = person.employment_type in ("casual", "agency")
            # Within one shift (or a tenth of the hours, if more) below the contract: room for leave
            # patterns, weekends and rest to fit, which a per-person search needs on long periods.
            lo = 0 if casual or not allowed else max(0, int(target) - max(longest, int(0.1 * target)))
            hi = int(target) + longest if allowed else 0
            history_weekends = len(
                {
                    (first_day + dt.timedelta(days=d)).isocalendar()[:2]
                    for d in history[key]
                    if (first_day + dt.timedelta(days=d)).weekday() >= 5
                }
            )
            # "Days off after a night block" as the engine's minimum block of days off: with the rest
            # rule (no day shift straight after a night) every night block is then followed by at
            # least that many days off. Stricter than the rule (it applies after day blocks too), but
            # native to the engine; skipped when the given history already has a shorter break.
            min_off = max(1, template.days_off_after_nights)
            if min_off > 1 and not _history_allows_min_off(history[key], history_days, min_off):
                min_off = 1
            contract = Contract(
                min_consecutive_days_off=min_off,
                min_paid_minutes=lo + history_paid,
                max_paid_minutes=hi + history_paid,
                max_shifts_per_type=per_type,
                max_consecutive_work_days=template.max_consecutive_days,
                max_weekends=math.ceil(template.weekends_per_four_weeks * period.weeks / 4)
                + history_weekends,
                min_rest_hours=float(template.min_rest_hours),
            )
        engine_staff.append(
            StaffMember(
                id=key,
                contract=contract,
                skills=frozenset(s.code for s in person.skills.all()),
                days_off=off_days,
            )
        )

    pinned: list[PinnedAssignment] = []
    for person in people:
        key = str(person.pk)
        for d in range(history_days):
            pinned.append(PinnedAssignment(key, d, history[key].get(d)))
    current = Assignment.objects.filter(period=period).select_related("shift_type")
    for a in current:
        if (
            (a.pinned or include_current)
            and a.shift_type.code in shift_by_code
            and str(a.staff_id) in templates
        ):
            if (str(a.staff_id), a.date) not in blocked:
                pinned.append(
                    PinnedAssignment(
                        str(a.staff_id), history_days + (a.date - period.start_date).days, a.shift_type.code
                    )
                )
    if include_current:
        taken = {(p.staff_id, p.day) for p in pinned}
        for person in engine_staff:
            for d in range(history_days, horizon):
                if (person.id, d) not in taken and d not in person.days_off:
                    pinned.append(PinnedAssignment(person.id, d, None))

    # Demand: weekday rows, replaced per (date, shift) by date overrides.
    demand_rows = list(
        Demand.objects.filter(unit_id=period.unit_id, shift_type__in=shifts)
        .filter(Q(date__isnull=True) | Q(date__gte=period.start_date, date__lte=period.end_date))
        .select_related("skill", "shift_type")
    )
    cover: list[CoverRequirement] = []
    labels: dict[int, str] = {}
    for i, day in enumerate(days):
        for s in shifts:
            rows = [r for r in demand_rows if r.shift_type_id == s.pk and r.date == day]
            if not rows:
                rows = [
                    r
                    for r in demand_rows
                    if r.shift_type_id == s.pk and r.date is None and r.weekday == day.weekday()
                ]
            for r in rows:
                skill = r.skill.code if r.skill_id else None
                over = OVER_TARGET if skill is None else 0
                if r.minimum:
                    labels[len(cover)] = "minimum"
                    cover.append(
                        CoverRequirement(history_days + i, s.code, r.minimum, UNDER_MINIMUM, 0, skill)
                    )
                labels[len(cover)] = "target"
                cover.append(CoverRequirement(history_days + i, s.code, r.target, UNDER_TARGET, over, skill))
                if skill is None:
                    # Steeper beyond target + 2, so hours the contracts force are spread over the
                    # period instead of piling onto a few shifts.
                    labels[len(cover)] = "spread"
                    cover.append(CoverRequirement(history_days + i, s.code, r.target + 2, 0, OVER_SPREAD))
        if on_call:
            for s in shifts:
                if not any(r.shift_type_id == s.pk for r in demand_rows):
                    labels[len(cover)] = "minimum"
                    # One person on call: a second one is waste, as bad as a gap.
                    cover.append(
                        CoverRequirement(
                            history_days + i,
                            s.code,
                            1,
                            UNDER_MINIMUM + UNDER_TARGET,
                            UNDER_MINIMUM + UNDER_TARGET,
                        )
                    )

    on_requests: list[ShiftRequest] = []
    off_requests: list[ShiftRequest] = []
    request_map: list[tuple[StaffRequest, ShiftRequest, str]] = []
    for r in requests:
        key = str(r.staff_id)
        soft = r.kind in (RequestKind.DAY_OFF, RequestKind.PREFER, RequestKind.AVOID) or (
            r.kind == RequestKind.LEAVE and r.status == RequestStatus.PENDING
        )
        if not soft or key not in templates:
            continue
        weight = REQUEST_WEIGHT.get(r.priority, 6)
        for i, day in enumerate(days):
            if not r.covers(day) or (key, day) in blocked:
                continue
            d = history_days + i
            if r.kind == RequestKind.PREFER and r.shift_type_id and r.shift_type.code in shift_by_code:
                req = ShiftRequest(key, d, r.shift_type.code, weight)
                on_requests.append(req)
                request_map.append((r, req, "on"))
            else:
                targets = (
                    [r.shift_type.code]
                    if (
                        r.kind == RequestKind.AVOID and r.shift_type_id and r.shift_type.code in shift_by_code
                    )
                    else list(shift_by_code)
                )
                for code in targets:
                    req = ShiftRequest(key, d, code, weight)
                    off_requests.append(req)
                    request_map.append((r, req, "off"))

    if on_call:
        off_extra, on_extra = on_call_fairness(period, people, shifts, days, holidays, history_days)
        off_requests += off_extra
        on_requests += on_extra
    else:
        off_requests += night_run_breaks(
            engine_staff, templates, shift_by_code, history, history_days, horizon
        )

    problem = Problem(
        name=str(period),
        horizon_days=horizon,
        shift_types=tuple(
            EngineShift(s.code, s.duration_minutes, s.start_minute, s.paid_minutes) for s in shifts
        ),
        staff=tuple(engine_staff),
        cover=tuple(cover),
        shift_on_requests=tuple(on_requests),
        shift_off_requests=tuple(off_requests),
        pinned=tuple(pinned),
        first_weekday=first_day.weekday(),
    )
    return Built(
        problem,
        period,
        first_day,
        history_days,
        {str(p.pk): p for p in people},
        shift_by_code,
        templates,
        weekly,
        available_days,
        blocked,
        request_map,
        labels,
        holidays,
    )


def night_run_breaks(
    engine_staff, templates, shifts, history, history_days: int, horizon: int
) -> list[ShiftRequest]:
    """Staggered nights-off that make a night run longer than the contract's maximum impossible.

    The engine bounds runs of working days, not runs of nights. When the night limit K is below the
    working-day limit, each person gets every (K+1)-th day of the period closed to nights (offset
    per person, so the unit always has people free for nights), and a run carried over from the
    history is cut where it would reach K+1. The closures are off-requests at ``CUT_WEIGHT``, so
    the search never keeps one, and day shifts stay open on those days.
    """
    nights = [code for code, s in shifts.items() if s.is_night]
    out: list[ShiftRequest] = []
    if not nights:
        return out
    for index, person in enumerate(engine_staff):
        limit = templates[person.id].max_consecutive_nights
        max_days = person.contract.max_consecutive_work_days
        if not limit or (max_days is not None and max_days <= limit):
            continue
        carried = 0
        while carried < history_days and history[person.id].get(history_days - 1 - carried) in nights:
            carried += 1
        closed = {
            d for d in range(history_days, horizon) if (d - history_days + index) % (limit + 1) == limit
        }
        if carried:
            closed.add(history_days + max(0, limit - carried))
        out += [ShiftRequest(person.id, d, code, CUT_WEIGHT) for d in sorted(closed) for code in nights]
    return out


def _history_allows_min_off(worked: dict[int, str], history_days: int, min_off: int) -> bool:
    """Whether the pinned history days have no inner block of days off shorter than ``min_off``."""
    row = [d in worked for d in range(history_days)]
    d = 1
    while d < history_days:
        if not row[d] and row[d - 1]:
            end = d
            while end < history_days and not row[end]:
                end += 1
            if end < history_days and end - d < min_off:
                return False
            d = end
        else:
            d += 1
    return True


def is_weekend_or_holiday(day: dt.date, holidays: set[dt.date]) -> bool:
    return day.weekday() >= 5 or day in holidays


def on_call_fairness(period, people, shifts, days, holidays, history_days):
    """Soft requests that steer weekends and holidays on call toward each person's fair share over a year.

    The engine has no fairness term, so the rolling-year imbalance becomes off-requests on this
    period's weekend and holiday days for the people above the mean, weighted by how far above.
    (People below the mean need no wish: the cover has to come from someone.)
    """
    since = period.start_date - dt.timedelta(days=365)
    past = Assignment.objects.filter(
        period__unit_id=period.unit_id,
        period__kind=PeriodKind.ON_CALL,
        staff__in=people,
        date__gte=since,
        date__lt=period.start_date,
    )
    counts = defaultdict(int)
    for staff_id, day in past.values_list("staff_id", "date"):
        if is_weekend_or_holiday(day, holidays):
            counts[staff_id] += 1
    if not people:
        return [], []
    mean = sum(counts[p.pk] for p in people) / len(people)
    off, on = [], []
    for p in people:
        gap = counts[p.pk] - mean
        if gap < 0.5:
            continue
        weight = max(1, round(abs(gap) * FAIRNESS_WEIGHT))
        for i, day in enumerate(days):
            if not is_weekend_or_holiday(day, holidays):
                continue
            for s in shifts:
                req = ShiftRequest(str(p.pk), history_days + i, s.code, weight)
                off.append(req)
    return off, on


def rows_from_roster(built: Built, roster: Roster) -> list[tuple[Staff, dt.date, ShiftType]]:
    """The period's (staff, date, shift type) triples of an engine roster (history days dropped)."""
    out = []
    for key, row in roster.items():
        person = built.staff.get(key)
        if person is None:
            continue
        for d in built.period_days:
            code = row[d]
            if code is not None:
                out.append((person, built.date_of(d), built.shifts[code]))
    return out
