"""The fast cell moves: their incremental rule check against the independent evaluator, and
hand-checked moves on tiny rosters."""

import random
import time

from carehelm.engines.rostering.cells import CellSearch
from carehelm.engines.rostering.construct import person_schedule
from carehelm.engines.rostering.curtois import read_instance
from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.index import OFF, ProblemIndex
from carehelm.engines.rostering.model import Contract, CoverRequirement, Problem, ShiftType, StaffMember

E = ShiftType("E", 480, start_minute=7 * 60)
L = ShiftType("L", 480, start_minute=15 * 60)
N = ShiftType("N", 480, start_minute=23 * 60)


def _person_violations(problem, idx, grid, e):
    staff_id = idx.staff_ids[e]
    return [v for v in evaluate(problem, idx.to_roster(grid)).violations if v.staff_id == staff_id]


def _valid_start(idx):
    need = [[1.0] * idx.S for _ in range(idx.H)]
    grid = []
    for e in range(idx.E):
        row = person_schedule(idx, e, need)
        assert row is not None
        grid.append(row)
    return grid


def test_the_incremental_rule_check_agrees_with_the_evaluator(instance_path):
    # Instance18: 84 days, succession rules, weekends, block lengths and narrow paid windows.
    problem = read_instance(instance_path(18))
    idx = ProblemIndex(problem)
    rng = random.Random(5)
    search = CellSearch(idx, _valid_start(idx), rng)
    answers = {True: 0, False: 0}
    for _ in range(1500):
        e = rng.randrange(idx.E)
        days = rng.sample(range(idx.H), rng.choice((1, 1, 2, 3)))
        if rng.random() < 0.5:  # two days side by side: the block rules at their sharpest
            d = rng.randrange(idx.H - 1)
            days = [d, d + 1]
        changes = [(d, rng.choice([OFF, *idx.allowed[e]])) for d in days]
        trial = [list(r) for r in search.g]
        for d, s in changes:
            trial[e][d] = s
        expected = _person_violations(problem, idx, trial, e) == []
        applied = search.try_move(e, changes, gain_below=10**15)  # any objective: rules only
        assert applied == expected, (idx.staff_ids[e], changes)
        answers[applied] += 1
    assert answers[True] > 50 and answers[False] > 50  # both answers exercised
    # The tallies it kept along the way match a count from scratch.
    assert search.objective == evaluate(problem, idx.to_roster(search.g)).objective
    assert evaluate(problem, idx.to_roster(search.g)).violations == []


def test_the_incremental_rule_check_agrees_on_weekly_limits_pins_and_days_off():
    # The product's rules that the benchmark lacks: paid minutes per week, fixed days off, pins.
    from carehelm.engines.rostering.model import PinnedAssignment

    contract = Contract(
        min_paid_minutes=2400,
        max_paid_minutes=3840,
        min_paid_minutes_per_week=960,
        max_paid_minutes_per_week=2400,
        max_shifts_per_type={"N": 3},
        max_consecutive_work_days=4,
        min_consecutive_work_days=2,
        min_consecutive_days_off=2,
        max_weekends=1,
        min_rest_hours=11,
    )
    staff = tuple(StaffMember(s, contract, days_off=frozenset({3})) for s in "ABCD")
    problem = Problem(
        "weekly", 14, (E, L, N), staff, pinned=(PinnedAssignment("A", 8, "L"), PinnedAssignment("B", 9, None))
    )
    idx = ProblemIndex(problem)
    _ = None
    grid = [
        ["E", "E", _, _, "L", "L", _, _, "L", "L", _, _, _, _],
        ["L", "L", _, _, "E", "E", _, _, _, _, "N", "N", _, _],
        ["L", "L", "L", _, _, _, _, "E", "E", "E", _, _, "L", "L"],
        [_, "N", "N", _, _, _, _, "E", "E", "L", "L", _, _, _],
    ]
    roster = {s: row for s, row in zip("ABCD", grid, strict=True)}
    assert evaluate(problem, roster).violations == []
    rng = random.Random(11)
    search = CellSearch(idx, idx.to_grid(roster), rng)
    answers = {True: 0, False: 0}
    for _ in range(3000):
        e = rng.randrange(idx.E)
        d = rng.randrange(13)
        days = rng.choice(([d], [d, d + 1], rng.sample(range(14), 2)))
        changes = [(x, rng.choice([OFF, *idx.allowed[e]])) for x in days]
        trial = [list(r) for r in search.g]
        for x, s in changes:
            trial[e][x] = s
        expected = _person_violations(problem, idx, trial, e) == []
        assert search.try_move(e, changes, gain_below=10**15) == expected, (idx.staff_ids[e], changes)
        answers[expected] += 1
    assert answers[True] > 50 and answers[False] > 50


def test_the_search_lowers_the_objective_and_breaks_no_rule(instance_path):
    problem = read_instance(instance_path(20))
    idx = ProblemIndex(problem)
    start = _valid_start(idx)
    before = evaluate(problem, idx.to_roster(start)).objective
    search = CellSearch(idx, start, random.Random(0))
    gained = search.run(time.monotonic() + 60)
    after = evaluate(problem, idx.to_roster(search.g))
    assert after.violations == []
    assert gained > 0 and after.objective == before - gained == search.objective


def _tiny(contract, cover, staff=("A", "B")):
    return Problem("tiny", 3, (E, L, N), tuple(StaffMember(s, contract) for s in staff), cover=cover)


def _run(problem, roster):
    idx = ProblemIndex(problem)
    search = CellSearch(idx, idx.to_grid(roster), random.Random(0))
    search.run(time.monotonic() + 10)
    return idx.to_roster(search.g), search.objective


def test_an_over_covered_shift_moves_to_an_under_covered_one():
    # Day 1 needs one E (under 100) and no L (over 1); A works the L. Moving A to E: 101 -> 0.
    p = _tiny(
        Contract(min_paid_minutes=480, max_paid_minutes=480),
        (CoverRequirement(1, "E", 1, 100, 1), CoverRequirement(1, "L", 0, 100, 1)),
        staff=("A",),
    )
    roster, objective = _run(p, {"A": [None, "L", None]})
    assert evaluate(p, {"A": [None, "L", None]}).objective == 101
    assert (roster, objective) == ({"A": [None, "E", None]}, 0)


def test_a_person_at_their_paid_maximum_trades_a_day_for_a_needed_one():
    # A may work one shift only (480 paid minutes). Day 0's N is surplus, day 2's E is short:
    # adding day 2 alone breaks the maximum, so the move gives day 0 up in the same step.
    p = _tiny(
        Contract(min_paid_minutes=480, max_paid_minutes=480),
        (CoverRequirement(0, "N", 0, 100, 1), CoverRequirement(2, "E", 1, 100, 1)),
        staff=("A",),
    )
    roster, objective = _run(p, {"A": ["N", None, None]})
    assert (roster, objective) == ({"A": [None, None, "E"]}, 0)


def test_two_people_swap_roles_when_only_one_can_fill_the_gap():
    # Day 1 needs one E and one N. Only A may work N (B's contract allows none); A is on E and
    # B is off. A to N and B to E covers both: 100 -> 0. Neither move alone helps.
    a = StaffMember("A", Contract(max_paid_minutes=480))
    b = StaffMember("B", Contract(max_paid_minutes=480, max_shifts_per_type={"N": 0}))
    p = Problem(
        "tiny",
        3,
        (E, L, N),
        (a, b),
        cover=(CoverRequirement(1, "E", 1, 100, 1), CoverRequirement(1, "N", 1, 100, 1)),
    )
    roster, objective = _run(p, {"A": [None, "E", None], "B": [None, None, None]})
    assert (roster, objective) == ({"A": [None, "N", None], "B": [None, "E", None]}, 0)


def test_a_rest_rule_blocks_the_move():
    # A works N on day 0; E on day 1 starts 8 hours after N ends, under the 11 hours' rest.
    p = _tiny(
        Contract(min_paid_minutes=480, max_paid_minutes=960, min_rest_hours=11),
        (CoverRequirement(1, "E", 1, 100, 1), CoverRequirement(0, "N", 1, 100, 1)),
        staff=("A",),
    )
    roster, objective = _run(p, {"A": ["N", None, None]})
    assert (roster, objective) == ({"A": ["N", None, None]}, 100)


def test_only_people_with_the_skill_fill_a_skilled_shift():
    # Day 1 needs one E nurse with the icu skill. A (no icu) already works E there, which does
    # not count; B holds icu and is off. B must take the E; A's E costs nothing either way.
    contract = Contract(max_paid_minutes=480)
    p = Problem(
        "skills",
        3,
        (E, L, N),
        (StaffMember("A", contract), StaffMember("B", contract, skills=frozenset({"icu"}))),
        cover=(CoverRequirement(1, "E", 1, 100, 1, skill="icu"),),
    )
    start = {"A": [None, "E", None], "B": [None, None, None]}
    assert evaluate(p, start).objective == 100
    roster, objective = _run(p, start)
    assert roster["B"] == [None, "E", None] and objective == 0 == evaluate(p, roster).objective
