"""Writing to the audit trail. Every service function that changes data calls ``record``."""

from __future__ import annotations

import datetime as dt
import decimal

from django.db import models

from carehelm.audit.context import current
from carehelm.audit.models import AuditEvent


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """The concrete field values of a row, as JSON-safe plain values, for before/after diffs."""
    out = {}
    for f in instance._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        if f.name in {"password"}:
            continue
        value = getattr(instance, f.attname)
        out[f.name] = _plain(value)
    return out


def diff(before: dict, after: dict) -> dict:
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def record(
    *,
    action: str,
    obj: models.Model | None = None,
    summary: str,
    changes: dict | None = None,
    facility_id: int | None = None,
    unit_id: int | None = None,
    staff_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor=None,
) -> AuditEvent:
    ctx = current()
    actor = actor if actor is not None else ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    scope = _scope_of(obj) if obj is not None else {}
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=(actor.get_username() if actor is not None else f"system:{ctx.source}")[:150],
        action=action,
        summary=summary[:300],
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        object_repr=(str(obj) if obj is not None else "")[:200],
        changes=changes or {},
        facility_id=facility_id if facility_id is not None else scope.get("facility_id"),
        unit_id=unit_id if unit_id is not None else scope.get("unit_id"),
        staff_id=staff_id if staff_id is not None else scope.get("staff_id"),
        request_id=ctx.request_id,
        source=ctx.source,
    )


def _scope_of(obj: models.Model) -> dict:
    """Where an object sits in the organization, so the trail is restricted like the object."""
    label = obj._meta.label_lower
    if label == "workforce.staff":
        return {"facility_id": obj.home_unit.facility_id, "unit_id": obj.home_unit_id, "staff_id": obj.pk}
    if label == "workforce.staffcredential":
        return {
            "facility_id": obj.staff.home_unit.facility_id,
            "unit_id": obj.staff.home_unit_id,
            "staff_id": obj.staff_id,
        }
    if label == "organization.unit":
        return {"facility_id": obj.facility_id, "unit_id": obj.pk}
    if label == "organization.facility":
        return {"facility_id": obj.pk}
    if label == "organization.room":
        return {"facility_id": obj.unit.facility_id, "unit_id": obj.unit_id}
    if label == "organization.bed":
        return {"facility_id": obj.room.unit.facility_id, "unit_id": obj.room.unit_id}
    for attr in ("unit", "facility"):
        field = next((f for f in obj._meta.concrete_fields if f.name == attr), None)
        if field is not None and field.is_relation:
            target = getattr(obj, attr)
            if target is not None:
                return _scope_of(target)
    # Rows that carry their scope as plain ids (e.g. runs.Run).
    facility_id, unit_id = getattr(obj, "facility_id", None), getattr(obj, "unit_id", None)
    if isinstance(facility_id, int) or isinstance(unit_id, int):
        return {"facility_id": facility_id, "unit_id": unit_id}
    return {}
