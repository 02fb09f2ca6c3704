
import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from carehelm.runs import services
from carehelm.runs.selectors import runs_for

router = Router(tags=["runs"])


class RunOut(Schema):
    id: int
    kind: str
    title: str
    status: str
    progress: float
    message: str
    detail: dict
    result: dict
    error: str
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@router.get("/{run_id}", response=RunOut)
def get_run(request, run_id: int):
    return get_object_or_404(runs_for(request.auth), pk=run_id)


@router.post("/{run_id}/cancel", response=RunOut)
def cancel_run(request, run_id: int):
    run = get_object_or_404(runs_for(request.auth), pk=run_id)
    return services.request_cancel(actor=request.auth, run=run)
