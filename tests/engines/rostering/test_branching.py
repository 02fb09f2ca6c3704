"""Branch-and-price: branching decisions reach pricing, and the tree finds and proves the
published optimum of small benchmark instances."""

import time

import pytest

from carehelm.engines.rostering import branching, columns
from carehelm.engines.rostering.construct import keeps_rules
from carehelm.engines.rostering.curtois import read_instance
from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.index import OFF, ProblemIndex

# Published optimal objectives (bench/data/curtois/best_known.csv, all sources agree).
PUBLISHED_OPTIMUM = {1: 607, 2: 828, 3: 1001}


def _converged_pool(idx):
    start = [[OFF] * idx.H for _ in range(idx.E)]
    pool, _bound, _lp, stats = columns.generate(idx, start, deadline=time.monotonic() + 60, workers=1, seed=0)
    assert stats["cg_converged"]
    return pool


def test_pricing_keeps_the_branching_decisions(instance_path):
    idx = ProblemIndex(read_instance(instance_path(2)))
    pool = _converged_pool(idx)
    _value, mu, pi, _x = pool.solve_master()
    pricer = columns.Pricer(idx, pool, 0)
    eager = pi + 1000.0  # every shift at a premium: the person works as much as the rules allow
    found, _bound, _dt = pricer.price(eager, float(mu[0]), 5.0, 0)
    assert found
    worked = next(d for d, s in enumerate(found[-1]) if s != OFF)
    shift = found[-1][worked]
    # Off on a day the best schedule works, and on another day the shift it worked.
    other = next(d for d in range(idx.H) if d != worked and shift in idx.day_options(0, d))
    assert pricer.assume([(worked, OFF, True), (other, shift, True)])
    again, _bound, _dt = pricer.price(eager, float(mu[0]), 5.0, 0)
    assert again
    for sched in again:
        assert sched[worked] == OFF and sched[other] == shift
        assert keeps_rules(idx, 0, list(sched))
    assert pricer.assume([(other, shift, False)])
    again, _bound, _dt = pricer.price(eager, float(mu[0]), 5.0, 0)
    assert all(sched[other] != shift for sched in again)
    pricer.assume([])


def test_decisions_no_schedule_can_keep_make_the_node_infeasible(instance_path):
    idx = ProblemIndex(read_instance(instance_path(1)))
    pool = _converged_pool(idx)
    pricer = columns.Pricer(idx, pool, 0)
    # Two decisions down one branch: works a shift on a day, and is off that same day.
    day = next(d for d in range(idx.H) if idx.day_options(0, d))
    assert pricer.assume([(day, idx.day_options(0, day)[0], True), (day, OFF, True)])
    _value, mu, pi, _x = pool.solve_master()
    found, bound, _dt = pricer.price(pi, float(mu[0]), 5.0, 0)
    assert found == [] and bound == float("inf")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_tree_finds_and_proves_the_published_optimum(instance_path, n):
    problem = read_instance(instance_path(n))
    idx = ProblemIndex(problem)
    pool = _converged_pool(idx)
    grid, proven, stats = branching.branch_and_price(
        idx, pool, 10**9, deadline=time.monotonic() + 120, workers=1, seed=0
    )
    assert grid is not None and proven, stats
    evaluation = evaluate(problem, idx.to_roster(grid))
    assert evaluation.violations == []
    assert evaluation.objective == PUBLISHED_OPTIMUM[n]


def test_a_tree_cut_short_proves_nothing(instance_path):
    idx = ProblemIndex(read_instance(instance_path(5)))
    pool = _converged_pool(idx)
    _grid, proven, _stats = branching.branch_and_price(
        idx, pool, 10**9, deadline=time.monotonic() + 0.5, workers=1, seed=0
    )
    assert not proven
