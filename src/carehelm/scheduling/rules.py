"""The hard rules of a roster, in a manager's words: the engine's evaluator plus the night-block rules.

``breaches(built, roster, staff=None) -> list[Breach]`` lists every hard-rule breach of an engine
roster (the full horizon, history included) with a message naming the person, the dates and the
rule, e.g. "Ana Diaz: D on Tue 03 Mar starts 0.0 h after N ends; the contract needs 11 h rest".

Rules the engine checks (via :func:`carehelm.engines.rostering.evaluate.evaluate`): minimum rest
from the real shift times, maximum consecutive working days, weekends, shift maxima (including
shifts a person lacks the skill for), hours over the contract, hard days off (credentials, leave,
unavailability, absences). Rules checked here, because the engine does not know night blocks:
maximum consecutive nights and days off after a night block.

``night_cuts(built, roster)`` gives, per person, the engine days that must become days off to end
each night-rule breach; the solve loop adds them and solves on.
"""

from __future__ import annotations

from dataclasses import dataclass

from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.model import Roster
from carehelm.scheduling.problem_builder import Built

# Rules a manager may knowingly break by hand: being under the contract's minimum hours is
# pressure to show, not a reason to refuse a change; a pin is overridden by changing it.
NOT_BLOCKING_BY_HAND = {"min_minutes", "min_week_minutes", "pinned"}


@dataclass(frozen=True)
class Breach:
    rule: str
    staff_key: str | None
    day: int | None
    message: str

    @property
    def identity(self) -> tuple:
        return (self.rule, self.staff_key, self.day)

    def __str__(self) -> str:
        return self.message


def _fmt(built: Built, day: int) -> str:
    return f"{built.date_of(day):%a %d %b}"


def _name(built: Built, key: str | None) -> str:
    person = built.staff.get(key or "")
    return person.full_name if person else str(key)


def breaches(
    built: Built, roster: Roster, *, staff: set[str] | None = None, by_hand: bool = False
) -> list[Breach]:
    out: list[Breach] = []
    evaluation = evaluate(built.problem, roster)
    people = {p.id: p for p in built.problem.staff}
    for v in evaluation.violations:
        if staff is not None and v.staff_id not in staff:
            continue
        if by_hand and v.rule in NOT_BLOCKING_BY_HAND:
            continue
        if v.rule == "min_days_off" and _break_includes_leave(built, roster, v.staff_id, v.day):
            continue  # a sick day or leave between shifts is not a rest break the roster chose
        out.append(Breach(v.rule, v.staff_id, v.day, _describe(built, v, roster, people)))
    out += night_breaches(built, roster, staff=staff)
    return out


def _break_includes_leave(built: Built, roster: Roster, key: str | None, day: int | None) -> bool:
    row = roster.get(key or "", [])
    d = day or 0
    while d < len(row) and row[d] is None:
        if (key, built.date_of(d)) in built.blocked:
            return True
        d += 1
    return False


def _describe(built: Built, v, roster: Roster, people) -> str:
    name = _name(built, v.staff_id)
    person = people.get(v.staff_id)
    contract = person.contract if person else None
    row = roster.get(v.staff_id or "", [])
    if v.rule == "succession" and v.day is not None:
        a, b = built.shifts[row[v.day]], built.shifts[row[v.day + 1]]
        ends = a.ends_at(built.date_of(v.day))
        starts = b.starts_at(built.date_of(v.day + 1))
        rest = (starts - ends).total_seconds() / 3600
        return (
            f"{name}: {b.code} on {_fmt(built, v.day + 1)} starts {rest:.1f} h after {a.code} on "
            f"{_fmt(built, v.day)} ends; the contract needs {contract.min_rest_hours:g} h rest"
        )
    if v.rule == "day_off" and v.day is not None:
        reason = built.blocked.get((v.staff_id, built.date_of(v.day)), "a fixed day off")
        return f"{name} may not work on {_fmt(built, v.day)}: {reason}"
    if v.rule == "max_consecutive" and v.day is not None:
        run = 0
        while v.day + run < len(row) and row[v.day + run] is not None:
            run += 1
        return (
            f"{name}: works {run} days in a row from {_fmt(built, v.day)}; "
            f"the contract allows {contract.max_consecutive_work_days}"
        )
    if v.rule == "max_shifts":
        parts = v.message.split()
        code = parts[-3] if len(parts) >= 3 else "?"
        limit = contract.max_shifts_per_type.get(code) if contract else None
        if limit == 0:
            return f"{name} may not work {code} shifts: lacks the skill it needs"
        return f"{name}: more {code} shifts than the contract allows ({limit})"
    if v.rule == "max_weekends":
        return f"{name}: more weekends than the contract allows ({contract.max_weekends} in the period with history)"
    if v.rule == "max_minutes":
        return f"{name}: over the contract's hours for the period (more than one shift above FTE hours)"
    if v.rule == "min_minutes":
        return f"{name}: under the contract's hours for the period (more than one shift below FTE hours)"
    return f"{name}: {v.message}"


def _night_runs(built: Built, row: list[str | None]) -> list[tuple[int, int]]:
    runs, start = [], None
    for d, code in enumerate([*row, None]):
        night = code is not None and built.shifts[code].is_night
        if night and start is None:
            start = d
        elif not night and start is not None:
            runs.append((start, d - start))
            start = None
    return runs


def night_breaches(built: Built, roster: Roster, *, staff: set[str] | None = None) -> list[Breach]:
    out = []
    for key, (rule, day, msg) in _night_findings(built, roster, staff):
        out.append(Breach(rule, key, day, msg))
    return out


def _night_findings(built: Built, roster: Roster, staff: set[str] | None):
    """Night-rule breaches on the period's days (history days are given and cannot change)."""
    for key, row in roster.items():
        if staff is not None and key not in staff:
            continue
        template = built.templates.get(key)
        if template is None:
            continue
        name = _name(built, key)
        limit, rest_days = template.max_consecutive_nights, template.days_off_after_nights
        for start, length in _night_runs(built, row):
            if limit and length > limit and start + length - 1 >= built.history_days:
                day = max(start + limit, built.history_days)
                yield (
                    key,
                    (
                        "max_nights",
                        day,
                        f"{name}: {length} nights in a row from {_fmt(built, start)}; "
                        f"the contract allows {limit}",
                    ),
                )
            end = start + length - 1
            for d in range(max(end + 1, built.history_days), min(len(row), end + 1 + rest_days)):
                code = row[d]
                if code is not None and not built.shifts[code].is_night:
                    yield (
                        key,
                        (
                            "rest_after_nights",
                            d,
                            f"{name}: {code} on {_fmt(built, d)} comes {d - end} day(s) after a night block "
                            f"ending {_fmt(built, end)}; the contract needs {rest_days} days off",
                        ),
                    )
                    break


def night_cuts(built: Built, roster: Roster) -> set[tuple[str, int, str]]:
    """(staff, engine day, shift code) cells to forbid so the night-block rules hold around every
    night block of ``roster``: no day or evening shift in the days off after a block, and no night
    that would make a block longer than allowed. Cells already forbidden stay forbidden in the
    solve loop, so the set only grows and the search settles."""
    cuts: set[tuple[str, int, str]] = set()
    nights = [c for c, s in built.shifts.items() if s.is_night]
    days = [c for c, s in built.shifts.items() if not s.is_night]
    horizon = built.problem.horizon_days
    people = {p.id: p for p in built.problem.staff}
    for key, row in roster.items():
        template = built.templates.get(key)
        if template is None:
            continue
        limit, rest_days = template.max_consecutive_nights, template.days_off_after_nights
        if people[key].contract.min_consecutive_days_off >= rest_days:
            rest_days = 0  # the engine's minimum block of days off already keeps this rule
        max_days = people[key].contract.max_consecutive_work_days
        if limit and max_days is not None and max_days <= limit:
            limit = 0  # no run of any shifts may be longer, so neither may a run of nights
        for start, length in _night_runs(built, row):
            end = start + length - 1
            for d in range(end + 1, min(horizon, end + 1 + rest_days)):
                cuts.update((key, d, c) for c in days)
            if limit and length >= limit:
                for d in (start - 1, end + 1):
                    if 0 <= d < horizon:
                        cuts.update((key, d, c) for c in nights)
            if limit and length > limit:
                for d in range(start + limit, end + 1):
                    cuts.update((key, d, c) for c in nights)
    return {c for c in cuts if c[1] >= built.history_days}
