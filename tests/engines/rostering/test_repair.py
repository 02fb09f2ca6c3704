"""Minimum-perturbation re-solve (the sick-call repair)."""

from dataclasses import replace

from carehelm.engines.rostering.curtois import read_instance
from carehelm.engines.rostering.evaluate import evaluate
from carehelm.engines.rostering.solver import repair, solve


def test_unchanged_inputs_change_nothing(instance_path):
    problem = read_instance(instance_path(2))
    published = solve(problem, time_limit=5, workers=2, seed=0).roster
    result = repair(problem, published, time_limit=5)
    assert result.roster == published
    assert result.stats["changes"] == 0


def test_a_sick_call_frees_that_day_and_changes_little_else(instance_path):
    problem = read_instance(instance_path(2))
    published = solve(problem, time_limit=5, workers=2, seed=0).roster
    staff_id, day = next((s, d) for s, row in published.items() for d in range(3, 10) if row[d] is not None)
    sick = tuple(replace(p, days_off=p.days_off | {day}) if p.id == staff_id else p for p in problem.staff)
    changed = replace(problem, staff=sick)
    result = repair(changed, published, change_cost=50, time_limit=10)
    assert result.roster[staff_id][day] is None
    assert evaluate(changed, result.roster).violations == []
    changes = [
        (s, d) for s, row in result.roster.items() for d, shift in enumerate(row) if shift != published[s][d]
    ]
    assert (staff_id, day) in changes
    # far fewer changes than re-solving from scratch would make; the exact count depends on the
    # contracts, but it must not touch most of the roster
    assert len(changes) <= 12
    assert result.stats["changes"] == len(changes)
