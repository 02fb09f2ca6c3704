"""Background work of the quality app: the KPI rebuild, run by ``db_worker`` with a Run row.

``rebuild_kpis_task.enqueue(run_id=..., facility_ids=[...] | None, actor_id=...)``; tests call
``rebuild_kpis_task.call(...)`` or use the ImmediateBackend.
"""

from __future__ import annotations

from django_tasks import task

from carehelm.runs.services import run_task_body


@task()
def rebuild_kpis_task(
    run_id: int, facility_ids: list[int] | None = None, actor_id: int | None = None
) -> None:
    from carehelm.accounts.models import User
    from carehelm.quality import services

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    run_task_body(
        run_id, lambda rid: services.rebuild_kpis(actor=actor, facility_ids=facility_ids, run_id=rid)
    )
