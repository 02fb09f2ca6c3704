"""Score any roster against a problem, independently of the solver.

``evaluate(problem, roster) -> Evaluation`` gives the objective (the penalty the Curtois & Qu
tables report: unmet on-requests, granted off-requests, weighted under- and over-cover) and the
full list of hard-rule :class:`Violation` s. It reads the rules straight from the
:class:`~carehelm.engines.rostering.model.Problem` dataclasses and shares no code with the CP-SAT
formulation, so it is an independent check of every roster the solver returns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .model import Problem, Roster, rest_forbidden_successions


@dataclass(frozen=True)
class Violation:
    rule: str
    staff_id: str | None
    day: int | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Evaluation:
    objective: int
    violations: list[Violation] = field(default_factory=list)
    request_penalty: int = 0
    cover_penalty: int = 0

    @property
    def feasible(self) -> bool:
        return not self.violations


def _blocks(worked: list[bool], value: bool) -> list[tuple[int, int]]:
    """Maximal runs of ``value`` as (first day, length)."""
    runs, start = [], None
    for d, w in enumerate([*worked, not value]):
        if w == value and start is None:
            start = d
        elif w != value and start is not None:
            runs.append((start, d - start))
            start = None
    return runs


def evaluate(problem: Problem, roster: Roster) -> Evaluation:
    H = problem.horizon_days
    shifts = {s.id: s for s in problem.shift_types}
    violations: list[Violation] = []

    def flag(rule: str, staff: str | None, day: int | None, message: str) -> None:
        violations.append(Violation(rule, staff, day, message))

    clean: dict[str, list[str | None]] = {}
    for person in problem.staff:
        row = roster.get(person.id)
        if row is None:
            flag("roster", person.id, None, f"{person.id}: missing from the roster")
            row = [None] * H
        if len(row) != H:
            flag("roster", person.id, None, f"{person.id}: {len(row)} days in the roster, horizon is {H}")
            row = (list(row) + [None] * H)[:H]
        for d, sid in enumerate(row):
            if sid is not None and sid not in shifts:
                flag("roster", person.id, d, f"{person.id} day {d}: unknown shift {sid!r}")
        clean[person.id] = [s if s in shifts else None for s in row]
    for sid in roster:
        if sid not in clean:
            flag("roster", sid, None, f"{sid}: in the roster but not a staff member")

    for person in problem.staff:
        row, c, pid = clean[person.id], person.contract, person.id
        worked = [s is not None for s in row]
        forbidden = set(problem.forbidden_successions) | rest_forbidden_successions(
            problem.shift_types, c.min_rest_hours
        )
        for d in range(H - 1):
            if row[d] is not None and row[d + 1] is not None and (row[d], row[d + 1]) in forbidden:
                flag(
                    "succession",
                    pid,
                    d,
                    f"{pid}: {row[d + 1]} on day {d + 1} may not follow {row[d]} on day {d}",
                )
        counts = Counter(s for s in row if s is not None)
        for sid, n in counts.items():
            limit = c.max_shifts_per_type.get(sid)
            if limit is not None and n > limit:
                flag("max_shifts", pid, None, f"{pid}: {n} shifts of {sid}, at most {limit}")
        paid = sum(shifts[s].paid for s in row if s is not None)
        if paid < c.min_paid_minutes:
            flag("min_minutes", pid, None, f"{pid}: {paid} paid minutes, at least {c.min_paid_minutes}")
        if c.max_paid_minutes is not None and paid > c.max_paid_minutes:
            flag("max_minutes", pid, None, f"{pid}: {paid} paid minutes, at most {c.max_paid_minutes}")
        weekly: dict[int, int] = defaultdict(int)
        for d, s in enumerate(row):
            weekly[problem.week_index(d)] += shifts[s].paid if s is not None else 0
        for week, minutes in sorted(weekly.items()):
            if minutes < c.min_paid_minutes_per_week:
                flag("min_week_minutes", pid, None, f"{pid}: {minutes} paid minutes in week {week}")
            if c.max_paid_minutes_per_week is not None and minutes > c.max_paid_minutes_per_week:
                flag("max_week_minutes", pid, None, f"{pid}: {minutes} paid minutes in week {week}")
        for start, length in _blocks(worked, True):
            if c.max_consecutive_work_days is not None and length > c.max_consecutive_work_days:
                flag("max_consecutive", pid, start, f"{pid}: works {length} days in a row from day {start}")
            inner = start > 0 and start + length < H
            if inner and length < c.min_consecutive_work_days:
                flag(
                    "min_consecutive",
                    pid,
                    start,
                    f"{pid}: works only {length} days in a row from day {start}",
                )
        for start, length in _blocks(worked, False):
            inner = start > 0 and start + length < H
            if inner and length < c.min_consecutive_days_off:
                flag("min_days_off", pid, start, f"{pid}: only {length} days off in a row from day {start}")
        if c.max_weekends is not None:
            weekends = {problem.weekend_index(d) for d in range(H) if worked[d] and problem.is_weekend(d)}
            if len(weekends) > c.max_weekends:
                flag(
                    "max_weekends",
                    pid,
                    None,
                    f"{pid}: works {len(weekends)} weekends, at most {c.max_weekends}",
                )
        for d in sorted(person.days_off):
            if 0 <= d < H and worked[d]:
                flag("day_off", pid, d, f"{pid}: works on fixed day off {d}")

    for pin in problem.pinned:
        got = clean.get(pin.staff_id, [None] * H)[pin.day]
        if got != pin.shift_id:
            flag(
                "pinned",
                pin.staff_id,
                pin.day,
                f"{pin.staff_id} day {pin.day}: pinned {pin.shift_id}, has {got}",
            )

    request_penalty = 0
    for r in problem.shift_on_requests:
        if clean.get(r.staff_id, [None] * H)[r.day] != r.shift_id:
            request_penalty += r.weight
    for r in problem.shift_off_requests:
        if clean.get(r.staff_id, [None] * H)[r.day] == r.shift_id:
            request_penalty += r.weight

    skills = {p.id: p.skills for p in problem.staff}
    on_shift: dict[tuple[int, str], list[str]] = defaultdict(list)
    for pid, row in clean.items():
        for d, s in enumerate(row):
            if s is not None:
                on_shift[d, s].append(pid)
    cover_penalty = 0
    for c in problem.cover:
        people = on_shift.get((c.day, c.shift_id), [])
        n = len(people) if c.skill is None else sum(1 for p in people if c.skill in skills[p])
        cover_penalty += c.under_weight * max(0, c.requirement - n) + c.over_weight * max(
            0, n - c.requirement
        )

    return Evaluation(request_penalty + cover_penalty, violations, request_penalty, cover_penalty)
