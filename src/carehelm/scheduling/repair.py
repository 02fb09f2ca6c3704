"""Sick calls on a published roster: mark the absence, rank who could take each open shift, or let the
engine re-plan the absence days with the fewest changes; apply the chosen repair.

- ``mark_absence``: the person's shifts on those days become open shifts.
- ``repair_options``: per open shift, the people who could take it without breaking a hard rule,
  ranked by the change in penalty and then cost; the first is the proposal (one change per open
  shift, nothing else moves).
- ``engine_repair``: when nobody can simply take a shift, the engine re-plans only the absence days
  (every other day pinned as published), paying ``KEEP_WEIGHT`` per changed cell (minimum
  perturbation through the engine's own objective).
- ``apply_repair`` / ``apply_replan``: re-check every hard rule with all changes applied, then save
  (audited).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from carehelm.audit.services import record
from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.model import Roster
from carehelm.scheduling import problem_builder as pb
from carehelm.scheduling.models import Absence, Assignment, AssignmentSource, RosterPeriod, ShiftType
from carehelm.scheduling.services import _apply_cells, _manage, _refuse, check_change, current_roster
from carehelm.validation import FieldProblem, InvalidInput
from carehelm.workforce.models import Staff

# --- absence and repair -----------------------------------------------------------------------


@transaction.atomic
def mark_absence(
    *,
    actor,
    period: RosterPeriod,
    staff: Staff,
    date_from: dt.date,
    date_to: dt.date | None = None,
    reason: str = "Sick",
) -> Absence:
    """Record an absence; the person's shifts on those days become open shifts for repair."""
    _manage(actor, period.unit)
    date_to = date_to or date_from
    if date_to < date_from:
        raise InvalidInput([FieldProblem("date_to", "ends before it starts")])
    rows = list(
        Assignment.objects.filter(
            period=period, staff=staff, date__gte=date_from, date__lte=date_to
        ).select_related("shift_type")
    )
    absence = Absence.objects.create(
        period=period,
        staff=staff,
        date_from=date_from,
        date_to=date_to,
        reason=reason,
        open_shifts=[[a.date.isoformat(), a.shift_type.code] for a in rows],
    )
    for a in rows:
        a.delete()
    record(
        action="scheduling.absence_marked",
        obj=period,
        staff_id=staff.pk,
        unit_id=period.unit_id,
        facility_id=period.unit.facility_id,
        summary=f"{staff} absent {date_from}–{date_to} ({reason}); {len(rows)} shift(s) open",
    )
    return absence


@dataclass
class Candidate:
    staff: Staff
    penalty_delta: int
    cost: Decimal
    overtime: bool

    @property
    def rank_key(self):
        return (self.penalty_delta, self.cost, self.staff.last_name)


@dataclass
class OpenShift:
    date: dt.date
    shift: ShiftType
    candidates: list[Candidate]
    refused: list[tuple[Staff, str]]

    @property
    def proposal(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def repair_options(*, period: RosterPeriod, absence: Absence, limit: int = 8) -> list[OpenShift]:
    """For each shift the absence left open: who could take it without breaking a hard rule, at what
    change in penalty and cost, best first. Earlier open shifts are filled with their best candidate
    before later ones are ranked, so the proposal as a whole is consistent (one change per open shift)."""
    from carehelm.scheduling.explain import shift_cost

    built = pb.build(period)
    roster = current_roster(built)
    out: list[OpenShift] = []
    for date_text, code in absence.open_shifts:
        date = dt.date.fromisoformat(date_text)
        shift = built.shifts.get(code)
        if shift is None:
            continue
        day = built.day_of(date)
        base = evaluate(built.problem, roster).objective
        candidates, refused = [], []
        for key, person in built.staff.items():
            if person.pk == absence.staff_id or roster[key][day] is not None:
                continue
            _, found, before, after = check_change(built, roster, [(key, date, code)])
            if found:
                refused.append((person, found[0].message))
                continue
            hours = _period_minutes(built, roster, key) / 60
            weekly_cap = float(built.templates[key].overtime_after_hours) * period.weeks
            overtime = hours + shift.paid_minutes / 60 > weekly_cap
            candidates.append(
                Candidate(
                    person,
                    after - base,
                    shift_cost(person, shift, date, overtime=overtime, holidays=built.holidays),
                    overtime,
                )
            )
        candidates.sort(key=lambda c: c.rank_key)
        out.append(OpenShift(date, shift, candidates[:limit], refused[:limit]))
        if candidates:
            roster[str(candidates[0].staff.pk)][day] = code
    return out


def _period_minutes(built: pb.Built, roster: Roster, key: str) -> int:
    return sum(
        built.shifts[c].paid_minutes for d, c in enumerate(roster[key]) if c and d >= built.history_days
    )


@transaction.atomic
def apply_repair(
    *, actor, period: RosterPeriod, absence: Absence, choices: dict[tuple[dt.date, str], Staff]
) -> int:
    """Put the chosen people on the open shifts, re-checking every hard rule with all choices applied."""
    _manage(actor, period.unit)
    built = pb.build(period)
    roster = current_roster(built)
    open_cells = {(dt.date.fromisoformat(d), c) for d, c in absence.open_shifts}
    changes = []
    for (date, code), person in choices.items():
        if (date, code) not in open_cells:
            raise _refuse(
                [f"{code} on {date} is not an open shift of this absence"], "The repair cannot be applied."
            )
        changes.append((str(person.pk), date, code))
    _, found, before, after = check_change(built, roster, changes)
    if found:
        raise _refuse([b.message for b in found], "The repair breaks a hard rule; nothing was saved.")
    cells = [(person, date, built.shifts[code]) for (date, code), person in choices.items()]
    _apply_cells(period, cells, AssignmentSource.REPAIR)
    absence.repaired = True
    absence.save(update_fields=["repaired"])
    RosterPeriod.objects.filter(pk=period.pk).update(penalty=after)
    for person, date, shift in cells:
        record(
            action="scheduling.repair_applied",
            obj=period,
            staff_id=person.pk,
            unit_id=period.unit_id,
            facility_id=period.unit.facility_id,
            summary=f"{person} takes {shift.code} on {date:%a %d %b} (cover for {absence.staff})",
        )
    return len(cells)


# --- repair by the engine (when no single person can take an open shift) --------------------------

# Per cell changed on the absence days: the minimum-perturbation term. Dearer than an extra person
# above target (so nobody is moved just to trim over-cover), far cheaper than a gap below target.
KEEP_WEIGHT = pb.OVER_TARGET + 1


@dataclass
class ReplanChange:
    staff: Staff
    date: dt.date
    before: str | None
    after: str | None


def engine_repair(*, period: RosterPeriod, absence: Absence, time_limit: float = 5.0) -> list[ReplanChange]:
    """Re-plan only the absence days with the engine, every other day pinned as published.

    Every assignment already on those days is an on-request the engine pays ``KEEP_WEIGHT`` to
    break, so it moves people only where that buys cover (minimum perturbation through the
    engine's own objective). Returns the changes; ``apply_replan`` checks and saves them."""
    from dataclasses import replace as dc_replace

    from carehelm.engines.rostering.model import ShiftRequest
    from carehelm.scheduling.solving import _without_minimum_hours, solve_built

    built = _without_minimum_hours(pb.build(period))
    roster = current_roster(built)
    days = {
        built.day_of(absence.date_from + dt.timedelta(days=i))
        for i in range((absence.date_to - absence.date_from).days + 1)
    }
    days = {d for d in days if d in built.period_days}
    problem = built.problem
    pins = tuple(p for p in problem.pinned if p.day not in days)
    # Every cell of those days that changes costs KEEP_WEIGHT: a kept shift is an on-request, a kept
    # day off an off-request for each shift.
    keep = tuple(ShiftRequest(k, d, row[d], KEEP_WEIGHT) for k, row in roster.items() for d in days if row[d])
    stay_off = tuple(
        ShiftRequest(k, d, code, KEEP_WEIGHT)
        for k, row in roster.items()
        for d in days
        if row[d] is None
        for code in built.shifts
    )
    free = dc_replace(
        built,
        problem=dc_replace(
            problem,
            pinned=pins,
            shift_on_requests=problem.shift_on_requests + keep,
            shift_off_requests=problem.shift_off_requests + stay_off,
        ),
    )
    outcome = solve_built(free, time_limit=time_limit, workers=2, seed=0, hint=roster)
    if outcome.roster is None:
        return []
    changes = []
    for key, person in built.staff.items():
        for d in sorted(days):
            old, new = roster[key][d], outcome.roster[key][d]
            if old != new:
                changes.append(ReplanChange(person, built.date_of(d), old, new))
    return changes


@transaction.atomic
def apply_replan(*, actor, period: RosterPeriod, absence: Absence, changes: list[ReplanChange]) -> int:
    _manage(actor, period.unit)
    built = pb.build(period)
    roster = current_roster(built)
    dates = {
        absence.date_from + dt.timedelta(days=i)
        for i in range((absence.date_to - absence.date_from).days + 1)
    }
    if any(c.date not in dates for c in changes):
        raise _refuse(["a re-plan may only change the absence days"], "The re-plan cannot be applied.")
    _, found, before, after = check_change(
        built, roster, [(str(c.staff.pk), c.date, c.after) for c in changes]
    )
    if found:
        raise _refuse([b.message for b in found], "The re-plan breaks a hard rule; nothing was saved.")
    _apply_cells(
        period,
        [(c.staff, c.date, built.shifts[c.after] if c.after else None) for c in changes],
        AssignmentSource.REPAIR,
    )
    absence.repaired = True
    absence.save(update_fields=["repaired"])
    RosterPeriod.objects.filter(pk=period.pk).update(penalty=after)
    record(
        action="scheduling.replan_applied",
        obj=period,
        unit_id=period.unit_id,
        facility_id=period.unit.facility_id,
        summary=f"Re-plan after {absence}: {len(changes)} change(s), penalty {before} → {after}",
    )
    return len(changes)
