"""Starting, reporting on and cancelling Runs. Tasks call ``report`` and ``should_stop``."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from carehelm.audit.services import record
from carehelm.runs.models import Run, RunStatus

log = logging.getLogger(__name__)


class RunCancelled(Exception):
    pass


def start_run(*, kind: str, title: str, actor=None, facility_id=None, unit_id=None) -> Run:
    return Run.objects.create(kind=kind, title=title, created_by=actor if getattr(actor, "pk", None) else None,
                              facility_id=facility_id, unit_id=unit_id)


def report(run_id: int, *, progress: float | None = None, message: str | None = None, detail: dict | None = None) -> None:
    """Record progress from inside a task. Raises RunCancelled when a cancel was asked for."""
    fields = {}
    if progress is not None:
        fields["progress"] = max(0.0, min(1.0, progress))
    if message is not None:
        fields["message"] = message[:300]
    if detail is not None:
        fields["detail"] = detail
    if fields:
        Run.objects.filter(pk=run_id).update(**fields)
    if should_stop(run_id):
        raise RunCancelled()


def should_stop(run_id: int) -> bool:
    return Run.objects.filter(pk=run_id, cancel_requested=True).exists()


def mark_running(run_id: int) -> None:
    Run.objects.filter(pk=run_id).update(status=RunStatus.RUNNING, started_at=timezone.now())


def finish(run_id: int, *, result: dict | None = None, error: str = "", cancelled: bool = False) -> None:
    status = RunStatus.CANCELLED if cancelled else (RunStatus.FAILED if error else RunStatus.SUCCEEDED)
    fields = {"status": status, "result": result or {}, "error": error[:4000], "finished_at": timezone.now()}
    if status == RunStatus.SUCCEEDED:
        fields["progress"] = 1.0
    Run.objects.filter(pk=run_id).update(**fields)


@transaction.atomic
def request_cancel(*, actor, run: Run) -> Run:
    if not run.finished:
        run.cancel_requested = True
        run.save(update_fields=["cancel_requested"])
        record(action="run.cancel_requested", obj=run, summary=f"Cancel requested for {run.title}",
               facility_id=run.facility_id, unit_id=run.unit_id)
    return run


def run_task_body(run_id: int, body) -> None:
    """Run ``body(run_id)`` with status bookkeeping: the shared shape of every long task."""
    mark_running(run_id)
    try:
        result = body(run_id)
    except RunCancelled:
        finish(run_id, cancelled=True)
    except Exception as exc:  # noqa: BLE001 - a task must always leave its Run finished
        log.exception("run %s failed", run_id)
        finish(run_id, error=f"{type(exc).__name__}: {exc}")
    else:
        finish(run_id, result=result or {})
