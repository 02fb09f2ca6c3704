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


# Four shifts with real times: with 11 hours of rest, a late (ends 22:00) may not be followed by
# an early (06:00), and a night (ends 06:00 the next morning) by anything but another night.
# "E" followed by "N" is forbidden outright. So the successions are not one pattern repeated:
# each shift forbids a different set the next day.
E = ShiftType("E", 480, start_minute=6 * 60)
DAY = ShiftType("D", 480, start_minute=9 * 60)
L = ShiftType("L", 480, start_minute=14 * 60)
N = ShiftType("N", 480, start_minute=22 * 60)
RULES = Contract(min_rest_hours=11, max_consecutive_work_days=3, min_consecutive_work_days=2)


def _every_roster(days: int) -> list[list[str | None]]:
    import itertools

    return [list(r) for r in itertools.product([None, "E", "D", "L", "N"], repeat=days)]


def _model_rosters(problem, start, rect) -> set[tuple]:
    """Every roster the model of ``rect`` admits (``start`` fixes the rest), by full enumeration."""
    idx = ProblemIndex(problem)
    sub = SubModel(idx, start, rect)
    sub.model.proto.clear_objective()
    found: set[tuple] = set()

    class Collect(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            found.add(tuple(idx.to_roster(sub.read(self, start))["A"]))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.enumerate_all_solutions = True
    assert solver.Solve(sub.model, Collect()) == cp_model.OPTIMAL
    return found


def test_the_model_admits_exactly_the_rosters_the_evaluator_finds_valid():
    problem = Problem(
        "rest", 5, (E, DAY, L, N), (StaffMember("A", RULES),), forbidden_successions=frozenset({("E", "N")})
    )
    valid = {tuple(r) for r in _every_roster(5) if not evaluate(problem, {"A": r}).violations}
    assert ("L", "E", None, None, None) not in valid and ("N", "N", None, None, None) in valid
    assert 0 < len(valid) < 5**5
    assert _model_rosters(problem, [[OFF] * 5], Rectangle([0], 0, 5)) == valid


def test_a_window_inside_a_roster_keeps_the_rules_with_its_fixed_neighbours():
    # Days 0 and 6 are fixed (a late before the window, a night after it); the model of days 1-5
    # must admit exactly the valid rosters with those ends.
    problem = Problem(
        "window", 7, (E, DAY, L, N), (StaffMember("A", RULES),), forbidden_successions=frozenset({("E", "N")})
    )
    idx = ProblemIndex(problem)
    start = [[idx.shift_index["L"], OFF, OFF, OFF, OFF, OFF, idx.shift_index["N"]]]
    inside = [["L", *r, "N"] for r in _every_roster(5)]
    valid = {tuple(r) for r in inside if not evaluate(problem, {"A": r}).violations}
    assert 0 < len(valid)
    assert _model_rosters(problem, start, Rectangle([0], 1, 6)) == valid
