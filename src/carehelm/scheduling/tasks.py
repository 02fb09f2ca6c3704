"""Background work: generating a roster (``solve_roster``), run by the django-tasks database worker.

The task reports live figures (best penalty, proven bound, elapsed) to its Run about once a second
and stops within one solve slice when the Run's cancel is requested.
"""

from __future__ import annotations

from django_tasks import task

from carehelm.runs import services as runs
from carehelm.runs.models import Run


@task()
def solve_roster(run_id: int, period_id: int, time_limit: float = 30.0, workers: int = 2) -> None:
    runs.run_task_body(run_id, lambda rid: generate(rid, period_id, time_limit, workers))


def generate(run_id: int, period_id: int, time_limit: float, workers: int = 2) -> dict:
    from carehelm.scheduling import problem_builder as pb
    from carehelm.scheduling import services
    from carehelm.scheduling.models import RosterPeriod
    from carehelm.scheduling.solving import solve_built

    period = RosterPeriod.objects.select_related("unit").get(pk=period_id)
    runs.report(run_id, progress=0.02, message="Reading demand, rules, requests and credentials…")
    built = pb.build(period)
    hint = services.current_roster(built)
    hint = hint if any(c for row in hint.values() for c in row[built.history_days :]) else None
    runs.report(
        run_id,
        progress=0.05,
        message=f"Solving: {len(built.staff)} staff × {len(period.days)} days",
        detail={"staff": len(built.staff), "days": len(period.days)},
    )

    def tick(figures) -> bool:
        Run.objects.filter(pk=run_id).update(
            progress=min(0.95, 0.05 + 0.9 * figures.elapsed / max(1.0, time_limit)),
            message=f"Searching ({figures.phase or 'starting'})…",
            detail=figures.as_detail(),
        )
        return runs.should_stop(run_id)

    outcome = solve_built(built, time_limit=time_limit, workers=workers, hint=hint, tick=tick)
    if outcome.status == "cancelled":
        raise runs.RunCancelled()
    if outcome.roster is None:
        raise RuntimeError("no roster satisfies the hard rules (check leave, credentials and contracts)")
    created = services.save_solution(period=period, outcome=outcome)
    return {
        "status": outcome.status,
        "penalty": outcome.objective,
        "lower_bound": outcome.lower_bound,
        "elapsed": round(outcome.elapsed, 1),
        "shifts": created,
        "hard_breaches": [b.message for b in outcome.breaches],
        "notes": outcome.notes,
    }
