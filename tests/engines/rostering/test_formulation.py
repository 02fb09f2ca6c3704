"""The CP-SAT rectangle model: the half-weekend tie-break the search uses orders rosters by their
objective first and only then by whole weekends."""

from ortools.sat.python import cp_model

from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.formulation import Rectangle, SubModel
from carehelm.engines.rostering.index import OFF, ProblemIndex
from carehelm.engines.rostering.model import Contract, Problem, ShiftRequest, ShiftType, StaffMember

D = ShiftType("D", 480, start_minute=8 * 60)
# Exactly two shifts in the week, at most one weekend, no cover: every two-shift week that
# grants the same requests has the same objective.
TWO_SHIFTS = Contract(min_paid_minutes=960, max_paid_minutes=960, max_weekends=1)


def _solve(requests, tiebreak):
    problem = Problem(
        "week",
        7,
        (D,),
        (StaffMember("A", TWO_SHIFTS),),
        shift_on_requests=tuple(ShiftRequest("A", day, "D", 1) for day in requests),
    )
    idx = ProblemIndex(problem)
    # Start from Monday and Saturday: optimal for both cases, but a half weekend.
    start = [[0, OFF, OFF, OFF, OFF, 0, OFF]]
    sub = SubModel(idx, start, Rectangle([0], 0, 7), weekend_tiebreak=tiebreak)
    sub.add_hint(start)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.Solve(sub.model) == cp_model.OPTIMAL
    roster = idx.to_roster(sub.read(solver, start))
    evaluation = evaluate(problem, roster)
    assert evaluation.violations == []
    worked = [day for day, shift in enumerate(roster["A"]) if shift is not None]
    return worked, evaluation.objective


def test_among_equal_rosters_the_search_takes_the_whole_weekend():
    # Saturday (day 5) is asked for; the second shift may fall on any day at no cost. Sunday
    # makes a whole weekend of the one weekend A may work.
    assert _solve([5], tiebreak=True) == ([5, 6], 0)
    # The test can tell: without the tie-break the hinted half weekend is already optimal.
    assert _solve([5], tiebreak=False) == ([0, 5], 0)


def test_the_objective_comes_before_whole_weekends():
    # Friday and Saturday are both asked for: granting both (a half weekend) beats the whole
    # weekend that would leave Friday's request unmet.
    assert _solve([4, 5], tiebreak=True) == ([4, 5], 0)
