"""Business events: who did what to which object, when, with the before/after of what changed.

Row-level history (every field of every domain row) is kept by django-simple-history; an
``AuditEvent`` records the business meaning ("credential renewed", "staff imported"). Events are
append-only: the model refuses updates and deletes, the admin is read-only and the API has no
write endpoint.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from carehelm.accounts.scope import RestrictedQuerySet


class AuditEventQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):  # pragma: no cover - guarded behaviour
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=150, help_text="Username at the time, or the system process.")
    action = models.CharField(max_length=64, db_index=True)
    summary = models.CharField(max_length=300)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    # Denormalised scope so restrict() can filter the trail the same way as the objects.
    facility_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    unit_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    staff_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    request_id = models.CharField(max_length=36, blank=True)
    source = models.CharField(max_length=16, default="web", help_text="web, api, cli, task, import")

    objects = AuditEventQuerySet.as_manager()
    scope_lookups = {"facility": "facility_id", "unit": "unit_id", "staff": "staff_id"}

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")
