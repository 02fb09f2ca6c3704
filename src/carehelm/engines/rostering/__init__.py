"""Nurse-rostering engine: a pure-Python CP-SAT (OR-Tools) solver, no Django.

Public API
----------
Model (:mod:`.model`), typed frozen dataclasses:

- ``Problem(name, horizon_days, shift_types, staff, cover=(), shift_on_requests=(),
  shift_off_requests=(), forbidden_successions=frozenset(), pinned=(), first_weekday=0)``
- ``ShiftType(id, duration_minutes, start_minute=0, paid_minutes=None)`` — real start time; a
  shift may run past midnight; rest between shifts is computed from these times.
- ``StaffMember(id, contract=Contract(), skills=frozenset(), days_off=frozenset())``
- ``Contract(min_paid_minutes, max_paid_minutes, min/max_paid_minutes_per_week,
  max_shifts_per_type, max/min_consecutive_work_days, min_consecutive_days_off, max_weekends,
  min_rest_hours)``
- ``ShiftRequest(staff_id, day, shift_id, weight)`` (on- and off-requests),
  ``CoverRequirement(day, shift_id, requirement, under_weight, over_weight, skill=None)`` (with a
  skill, only staff holding it count), ``PinnedAssignment(staff_id, day, shift_id | None)``.
- ``Roster = dict[staff_id, list[shift_id | None]]``, one entry per day.
- ``validate(problem)`` raises ``ProblemError`` naming every fault.

Boundary rules (those of the Curtois & Qu benchmark): days outside the horizon count as off for
the maximum consecutive days; blocks of work or rest touching the first or last day are exempt
from the minimum-length rules.

Functions:

- ``read_instance(path) -> Problem`` — Curtois & Qu format; a bad file raises ``ProblemError``
  naming the file, line and field.
- ``evaluate(problem, roster) -> Evaluation(objective, violations, request_penalty,
  cover_penalty)`` — independent of the solver.
- ``solve(problem, *, time_limit=60, workers=2, seed=0, hint=None, on_progress=None) ->
  SolveResult(status, roster, objective, lower_bound, stats)``. ``status`` is "optimal",
  "feasible", "infeasible" or "unknown" (no roster found in time; ``roster`` is then None).
  ``on_progress(Progress(objective, lower_bound, elapsed, phase))`` is called on each improving
  roster. With ``workers=1`` and a fixed seed the run is deterministic (budgets in CP-SAT
  deterministic time, half of ``time_limit``; only a run overshooting the limit by twice the
  limit or a minute, whichever is more, is cut by the wall clock, reported in
  ``stats["wall_guard_tripped"]``). A roster with a hard violation is
  never returned.
- ``repair(problem, published, *, change_cost=50, time_limit=10, workers=2, seed=0,
  on_progress=None) -> SolveResult`` — minimum-perturbation re-solve for changed inputs (sick
  call = new fixed day off, new pins, new cover): minimises objective + ``change_cost`` per
  changed staff-day; ``stats["changes"]`` counts them.

How it solves (details in :mod:`.solver`, :mod:`.construct`, :mod:`.formulation`,
:mod:`.columns`, :mod:`.branching`): a constructive start, one person at a time, priced by the
cover the others leave open (CP-SAT up to four weeks and 60 people; beyond, dynamic programmes
over block states and shift sequences that build a year for 150 people in seconds), fast cell
moves (:mod:`.cells`: one person's day or two, two people's same day, checked incrementally
against every hard rule), passes of exact single-person best responses, CP-SAT on the full model
for small instances, column generation (schedule-per-person relaxation: a tight lower bound,
then rosters from CP-SAT over the converged LP's support and from branch-and-price on single
assignments, which can prove a roster optimal, else a price-and-dive) for horizons up to 8
weeks, then large-neighbourhood search re-optimising staff x day rectangles with CP-SAT in two
threads.

CLI: ``carehelm roster solve|check|bench`` (:mod:`.cli`).
"""

from .curtois import parse_instance, read_instance
from .evaluate import Evaluation, Violation, evaluate
from .model import (
    Contract,
    CoverRequirement,
    PinnedAssignment,
    Problem,
    ProblemError,
    Roster,
    ShiftRequest,
    ShiftType,
    StaffMember,
    validate,
)
from .solver import Progress, SolveResult, repair, solve

__all__ = [
    "Contract",
    "CoverRequirement",
    "Evaluation",
    "PinnedAssignment",
    "Problem",
    "ProblemError",
    "Progress",
    "Roster",
    "ShiftRequest",
    "ShiftType",
    "SolveResult",
    "StaffMember",
    "Violation",
    "evaluate",
    "parse_instance",
    "read_instance",
    "repair",
    "solve",
    "validate",
]
