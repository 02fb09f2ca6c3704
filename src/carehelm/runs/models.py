"""A Run is one piece of long work (a roster solve, a big import, a KPI rebuild) done by a worker.

The page polls the Run for progress and can ask for cancellation; the task checks
``cancel_requested`` between steps and stops cleanly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from carehelm.accounts.scope import RestrictedQuerySet


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Run(models.Model):
    kind = models.CharField(max_length=64, help_text="e.g. roster.solve, import.staff, kpi.rebuild")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0..1")
    message = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="live figures, e.g. best penalty and bound")
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    facility_id = models.BigIntegerField(null=True, blank=True)
    unit_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "facility_id", "unit": "unit_id"}

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
