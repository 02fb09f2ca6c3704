from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from carehelm.runs import services
from carehelm.runs.models import Run


def run_status(request, run_id: int):
    """The run's progress; an htmx fragment that keeps polling until the run has finished."""
    run = get_object_or_404(Run.objects.restrict(request.user, "view"), pk=run_id)
    template = "runs/_status.html" if request.htmx else "runs/detail.html"
    return render(request, template, {"run": run})


@require_POST
def run_cancel(request, run_id: int):
    run = get_object_or_404(Run.objects.restrict(request.user, "manage"), pk=run_id)
    services.request_cancel(actor=request.user, run=run)
    if request.htmx:
        return render(request, "runs/_status.html", {"run": run})
    return redirect("run-status", run.pk)
