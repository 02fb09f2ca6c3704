"""The rostering problem as typed dataclasses, and its validation.

A :class:`Problem` is everything the solver needs: a horizon of days (day 0 falls on
``first_weekday``, 0 = Monday), shift types with real start times, staff with skills and a
:class:`Contract`, requests, cover requirements and pinned assignments. A roster is a
``dict[staff_id, list[shift_id | None]]`` with one entry per day (``None`` = off).

Boundary conventions (those of the Curtois & Qu benchmark, and the safe reading when no history
is known): days before day 0 and after the last day count as days off for the maximum
consecutive working days; a block of work or of days off touching the first or last day is exempt
from the minimum-length rules; successions and rest are only checked inside the horizon.

:func:`validate` raises :class:`ProblemError` listing every problem it finds (unknown shift,
negative weight, impossible contract, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Roster = dict[str, list[str | None]]

MINUTES_PER_DAY = 24 * 60


class ProblemError(ValueError):
    """A problem (or an input file) is malformed; the message names every fault found."""


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift. ``start_minute`` is minutes after midnight; a shift may run past midnight."""

    id: str
    duration_minutes: int
    start_minute: int = 0
    paid_minutes: int | None = None  # None: the whole duration is paid

    @property
    def paid(self) -> int:
        return self.duration_minutes if self.paid_minutes is None else self.paid_minutes


@dataclass(frozen=True)
class Contract:
    """Per-person working-time rules. ``None`` means no limit."""

    min_paid_minutes: int = 0
    max_paid_minutes: int | None = None
    min_paid_minutes_per_week: int = 0
    max_paid_minutes_per_week: int | None = None
    # Shift types absent from the mapping are unlimited; 0 means never.
    max_shifts_per_type: Mapping[str, int] = field(default_factory=dict)
    max_consecutive_work_days: int | None = None
    min_consecutive_work_days: int = 1
    min_consecutive_days_off: int = 1
    max_weekends: int | None = None
    # Minimum hours between the end of one shift and the start of the next, from real shift times.
    min_rest_hours: float = 0.0


@dataclass(frozen=True)
class StaffMember:
    id: str
    contract: Contract = field(default_factory=Contract)
    skills: frozenset[str] = frozenset()
    days_off: frozenset[int] = frozenset()  # hard: never works on these days


@dataclass(frozen=True)
class ShiftRequest:
    """A wish to work (on-request) or not to work (off-request) ``shift_id`` on ``day``."""

    staff_id: str
    day: int
    shift_id: str
    weight: int


@dataclass(frozen=True)
class CoverRequirement:
    """``requirement`` people on ``shift_id`` on ``day``; with ``skill``, only people holding it count."""

    day: int
    shift_id: str
    requirement: int
    under_weight: int
    over_weight: int
    skill: str | None = None


@dataclass(frozen=True)
class PinnedAssignment:
    """A decision the solver must keep: ``shift_id`` on ``day`` (``None``: pinned off)."""

    staff_id: str
    day: int
    shift_id: str | None


@dataclass(frozen=True)
class Problem:
    name: str
    horizon_days: int
    shift_types: tuple[ShiftType, ...]
    staff: tuple[StaffMember, ...]
    cover: tuple[CoverRequirement, ...] = ()
    shift_on_requests: tuple[ShiftRequest, ...] = ()
    shift_off_requests: tuple[ShiftRequest, ...] = ()
    # (first, next): ``next`` may not be worked the day after ``first`` (for every staff member).
    forbidden_successions: frozenset[tuple[str, str]] = frozenset()
    pinned: tuple[PinnedAssignment, ...] = ()
    first_weekday: int = 0  # weekday of day 0, 0 = Monday

    def weekday(self, day: int) -> int:
        return (self.first_weekday + day) % 7

    def is_weekend(self, day: int) -> bool:
        return self.weekday(day) >= 5

    def weekend_index(self, day: int) -> int:
        """Calendar weekend (or week) number of ``day``; Saturday and Sunday share one."""
        return (self.first_weekday + day) // 7

    def week_index(self, day: int) -> int:
        """Calendar week (Monday to Sunday) of ``day``."""
        return (self.first_weekday + day) // 7


def rest_forbidden_successions(shifts: tuple[ShiftType, ...], min_rest_hours: float) -> set[tuple[str, str]]:
    """Pairs (a, b) where b the next day starts less than ``min_rest_hours`` after a ends."""
    if min_rest_hours <= 0:
        return set()
    need = min_rest_hours * 60
    pairs = set()
    for a in shifts:
        end = a.start_minute + a.duration_minutes
        for b in shifts:
            if MINUTES_PER_DAY + b.start_minute - end < need:
                pairs.add((a.id, b.id))
    return pairs


def validate(problem: Problem) -> None:
    """Raise :class:`ProblemError` naming every fault in ``problem``; return None if it is sound."""
    errors: list[str] = []
    H = problem.horizon_days
    if H <= 0:
        errors.append(f"horizon_days must be positive, got {H}")
    if not 0 <= problem.first_weekday <= 6:
        errors.append(f"first_weekday must be 0..6, got {problem.first_weekday}")
    shift_ids = [s.id for s in problem.shift_types]
    if len(set(shift_ids)) != len(shift_ids):
        errors.append("duplicate shift type ids")
    known_shifts = set(shift_ids)
    for s in problem.shift_types:
        if s.duration_minutes <= 0:
            errors.append(f"shift {s.id}: duration_minutes must be positive")
        if s.paid < 0:
            errors.append(f"shift {s.id}: paid minutes must not be negative")
        if not 0 <= s.start_minute < MINUTES_PER_DAY:
            errors.append(f"shift {s.id}: start_minute must be within the day (0..1439)")
    staff_ids = [p.id for p in problem.staff]
    if len(set(staff_ids)) != len(staff_ids):
        errors.append("duplicate staff ids")
    known_staff = {p.id: p for p in problem.staff}
    for p in problem.staff:
        c = p.contract
        for sid, n in c.max_shifts_per_type.items():
            if sid not in known_shifts:
                errors.append(f"staff {p.id}: max_shifts_per_type names unknown shift {sid!r}")
            if n < 0:
                errors.append(f"staff {p.id}: max_shifts_per_type[{sid}] is negative")
        if c.max_paid_minutes is not None and c.min_paid_minutes > c.max_paid_minutes:
            errors.append(f"staff {p.id}: min_paid_minutes {c.min_paid_minutes} > max {c.max_paid_minutes}")
        if (
            c.max_paid_minutes_per_week is not None
            and c.min_paid_minutes_per_week > c.max_paid_minutes_per_week
        ):
            errors.append(f"staff {p.id}: weekly minimum minutes above weekly maximum")
        if c.max_consecutive_work_days is not None and c.max_consecutive_work_days < 1:
            errors.append(f"staff {p.id}: max_consecutive_work_days must be at least 1")
        if (
            c.max_consecutive_work_days is not None
            and c.min_consecutive_work_days > c.max_consecutive_work_days
        ):
            errors.append(f"staff {p.id}: min_consecutive_work_days above max_consecutive_work_days")
        if c.min_consecutive_work_days < 1 or c.min_consecutive_days_off < 1:
            errors.append(f"staff {p.id}: minimum consecutive days must be at least 1")
        if c.max_weekends is not None and c.max_weekends < 0:
            errors.append(f"staff {p.id}: max_weekends is negative")
        if c.min_rest_hours < 0:
            errors.append(f"staff {p.id}: min_rest_hours is negative")
        longest = max((s.paid for s in problem.shift_types), default=0)
        if c.min_paid_minutes > longest * H:
            errors.append(
                f"staff {p.id}: min_paid_minutes {c.min_paid_minutes} cannot be reached in {H} days"
            )
        for d in p.days_off:
            if not 0 <= d < H:
                errors.append(f"staff {p.id}: day off {d} outside the horizon 0..{H - 1}")
    for kind, requests in (
        ("shift-on", problem.shift_on_requests),
        ("shift-off", problem.shift_off_requests),
    ):
        for r in requests:
            if r.staff_id not in known_staff:
                errors.append(f"{kind} request: unknown staff {r.staff_id!r}")
            if r.shift_id not in known_shifts:
                errors.append(f"{kind} request for {r.staff_id}: unknown shift {r.shift_id!r}")
            if not 0 <= r.day < H:
                errors.append(f"{kind} request for {r.staff_id}: day {r.day} outside the horizon")
            if r.weight < 0:
                errors.append(f"{kind} request for {r.staff_id} day {r.day}: negative weight {r.weight}")
    for c in problem.cover:
        if c.shift_id not in known_shifts:
            errors.append(f"cover day {c.day}: unknown shift {c.shift_id!r}")
        if not 0 <= c.day < H:
            errors.append(f"cover for {c.shift_id}: day {c.day} outside the horizon")
        if c.requirement < 0:
            errors.append(f"cover day {c.day} shift {c.shift_id}: negative requirement")
        if c.under_weight < 0 or c.over_weight < 0:
            errors.append(f"cover day {c.day} shift {c.shift_id}: negative weight")
    for a, b in problem.forbidden_successions:
        if a not in known_shifts or b not in known_shifts:
            errors.append(f"forbidden succession ({a}, {b}) names an unknown shift")
    for pin in problem.pinned:
        if pin.staff_id not in known_staff:
            errors.append(f"pinned assignment: unknown staff {pin.staff_id!r}")
            continue
        if not 0 <= pin.day < H:
            errors.append(f"pinned assignment for {pin.staff_id}: day {pin.day} outside the horizon")
        if pin.shift_id is not None:
            if pin.shift_id not in known_shifts:
                errors.append(f"pinned assignment for {pin.staff_id}: unknown shift {pin.shift_id!r}")
            elif pin.day in known_staff[pin.staff_id].days_off:
                errors.append(f"pinned assignment for {pin.staff_id} day {pin.day} falls on a fixed day off")
            elif known_staff[pin.staff_id].contract.max_shifts_per_type.get(pin.shift_id, 1) == 0:
                errors.append(f"pinned assignment for {pin.staff_id}: may never work shift {pin.shift_id}")
    if errors:
        raise ProblemError(f"problem {problem.name!r} is invalid:\n  " + "\n  ".join(errors))
