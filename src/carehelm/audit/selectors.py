from __future__ import annotations

import datetime as dt

from carehelm.audit.models import AuditEvent


def events_for(user, *, action: str = "", object_type: str = "", object_id: str = "", actor: str = "",
               since: dt.date | None = None, until: dt.date | None = None, staff_id: int | None = None):
    qs = AuditEvent.objects.restrict(user, "view")
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if since:
        qs = qs.filter(occurred_at__date__gte=since)
    if until:
        qs = qs.filter(occurred_at__date__lte=until)
    if staff_id:
        qs = qs.filter(staff_id=staff_id)
    return qs
