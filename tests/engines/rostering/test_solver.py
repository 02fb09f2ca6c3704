"""The solver: published optima on small instances, no hard violation, pins, determinism."""

import pytest

from carehelm.engines.rostering.curtois import read_instance
from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.index import OFF, ProblemIndex
from carehelm.engines.rostering.model import (
    Contract,
    CoverRequirement,
    PinnedAssignment,
    Problem,
    ProblemError,
    ShiftType,
    StaffMember,
)
from carehelm.engines.rostering.solver import _Search, solve

# Published optimal objectives (bench/data/curtois/best_known.csv, all sources agree).
PUBLISHED_OPTIMUM = {1: 607, 2: 828, 3: 1001}


def _solve_and_check(problem, time_limit):
    seen = []
    result = solve(problem, time_limit=time_limit, workers=2, seed=0, on_progress=seen.append)
    evaluation = evaluate(problem, result.roster)
    assert evaluation.violations == []
    assert evaluation.objective == result.objective
    # every progress report is an improvement, ending at the returned objective
    objectives = [p.objective for p in seen]
    assert objectives == sorted(objectives, reverse=True) and objectives[-1] == result.objective
    return result


@pytest.mark.parametrize("n", [1, 2])
def test_reaches_the_published_optimum_on_small_instances(instance_path, n):
    # The solver stops as soon as it proves the optimum (0.1 s and about 5 s here).
    result = _solve_and_check(read_instance(instance_path(n)), time_limit=60)
    assert result.objective == PUBLISHED_OPTIMUM[n]
    assert result.lower_bound is not None and result.lower_bound <= PUBLISHED_OPTIMUM[n]


def test_comes_within_one_percent_of_the_published_optimum_on_instance3(instance_path):
    # Two workers search against the wall clock, so runs differ: Instance3 reaches 1001 in most
    # runs (4-7 s in the benchmark) but was seen to stop at 1003 and 1010 in test runs.
    result = _solve_and_check(read_instance(instance_path(3)), time_limit=20)
    assert PUBLISHED_OPTIMUM[3] <= result.objective <= PUBLISHED_OPTIMUM[3] * 1.01
    assert result.lower_bound is not None and result.lower_bound <= PUBLISHED_OPTIMUM[3]


def test_a_medium_instance_gives_a_roster_with_no_hard_violation(instance_path):
    problem = read_instance(instance_path(7))
    result = solve(problem, time_limit=6, workers=2, seed=1)
    assert result.roster is not None
    assert evaluate(problem, result.roster).violations == []
    assert result.objective >= 1056  # the proven optimum bounds every roster from below


def test_pinned_assignments_are_kept_even_against_the_objective(instance_path):
    problem = read_instance(instance_path(1))
    free = solve(problem, time_limit=5, workers=2, seed=0)
    # Pin two cells to the opposite of what the optimal roster does.
    pins = []
    for staff_id, row in free.roster.items():
        for day in range(1, len(row) - 1):
            if row[day] is not None and len(pins) < 1:
                pins.append(PinnedAssignment(staff_id, day, None))
            elif row[day] is None and row[day - 1] is not None and row[day + 1] is not None and len(pins) < 2:
                pins.append(PinnedAssignment(staff_id, day, "D"))
    pinned_problem = type(problem)(**{**problem.__dict__, "pinned": tuple(pins)})
    result = solve(pinned_problem, time_limit=5, workers=2, seed=0)
    assert result.roster is not None
    for pin in pins:
        assert result.roster[pin.staff_id][pin.day] == pin.shift_id
    assert evaluate(pinned_problem, result.roster).violations == []


def test_one_worker_and_a_fixed_seed_give_the_same_roster(instance_path):
    problem = read_instance(instance_path(1))
    a = solve(problem, time_limit=5, workers=1, seed=7)
    b = solve(problem, time_limit=5, workers=1, seed=7)
    assert a.roster == b.roster and a.objective == b.objective == 607


def test_one_worker_replays_exactly_on_a_long_horizon_too(instance_path):
    # Instance20 (182 days) goes through the dynamic-programme start, the cell moves (bounded by
    # a count of tried moves, not the clock) and the search; none of it may depend on timing.
    problem = read_instance(instance_path(20))
    a = solve(problem, time_limit=5, workers=1, seed=3)
    b = solve(problem, time_limit=5, workers=1, seed=3)
    assert a.stats["cell_gain"] > 0
    assert a.roster == b.roster and a.objective == b.objective


def test_real_shift_times_and_skills_drive_the_roster():
    early = ShiftType("E", 480, start_minute=7 * 60)
    night = ShiftType("N", 600, start_minute=21 * 60)
    rest = Contract(min_rest_hours=11, max_consecutive_work_days=5)
    staff = (
        StaffMember("icu1", rest, skills=frozenset({"icu"})),
        StaffMember("icu2", rest, skills=frozenset({"icu"})),
        StaffMember("gen1", rest),
    )
    cover = []
    for d in range(7):
        cover.append(CoverRequirement(d, "N", 1, 100, 1, skill="icu"))
        cover.append(CoverRequirement(d, "E", 1, 100, 1))
    problem = Problem("ward", 7, (early, night), staff, cover=tuple(cover))
    result = solve(problem, time_limit=5, workers=2, seed=0)
    assert evaluate(problem, result.roster).violations == []
    for d in range(7):
        night_staff = [s for s, row in result.roster.items() if row[d] == "N"]
        assert night_staff and all(s.startswith("icu") for s in night_staff)
    for row in result.roster.values():  # a night (ends 07:00) is never followed by an early
        assert all(not (a == "N" and b == "E") for a, b in zip(row, row[1:], strict=False))


def test_a_roster_whose_cost_is_in_the_millions_is_still_reported_and_improved():
    # One nurse cannot cover two posts a day: each uncovered post costs 1,000,000, so every
    # roster costs millions. Such a roster must still be reported live and searched like any
    # other (large hospitals' and Instance24's objectives pass 100,000).
    early = ShiftType("E", 480)
    staff = (StaffMember("A", Contract(max_consecutive_work_days=7)),)
    cover = tuple(CoverRequirement(d, "E", 2, 1_000_000, 1) for d in range(7))
    problem = Problem("short-staffed", 7, (early,), staff, cover=cover)
    result = _solve_and_check(problem, time_limit=5)
    # 7 days x 2 posts, the nurse covers one post a day: 7 uncovered posts.
    assert result.objective == 7 * 1_000_000
    assert result.roster["A"] == ["E"] * 7


def test_an_invalid_problem_is_refused_with_every_fault_named():
    bad = Problem(
        "bad",
        7,
        (ShiftType("E", 480),),
        (StaffMember("A", Contract(min_paid_minutes=900, max_paid_minutes=480)),),
        cover=(CoverRequirement(2, "X", 1, -5, 1),),
    )
    with pytest.raises(ProblemError) as err:
        solve(bad, time_limit=1)
    message = str(err.value)
    assert "min_paid_minutes 900 > max 480" in message
    assert "unknown shift 'X'" in message
    assert "negative weight" in message


def test_moves_around_an_open_weekend_shift_draw_first_who_works_the_other_day_of_that_weekend():
    # Sunday (day 6) needs two on D and nobody works it; P3 works Saturday. Taking Sunday costs
    # P3 no weekend of their allowance, so the moves around that shift should include P3 far more
    # often than a random draw of two people in eight would (a quarter of the time).
    day = ShiftType("D", 480, start_minute=8 * 60)
    staff = tuple(StaffMember(f"P{i}", contract=Contract(max_weekends=1)) for i in range(8))
    problem = Problem("weekend", 7, (day,), staff, cover=(CoverRequirement(6, "D", 2, 100, 1),))
    idx = ProblemIndex(problem)
    search = _Search(problem, idx, 10, 1, 0, None)
    grid = [[OFF] * 7 for _ in range(8)]
    grid[3][5] = 0
    search.best_grid = grid
    drawn = sum(3 in search.cover_driven_staff(list(range(8)), 0, 7, 2) for _ in range(400))
    assert drawn >= 240
