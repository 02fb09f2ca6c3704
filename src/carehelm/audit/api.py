"""Audit API: read-only. There is deliberately no write, update or delete endpoint."""

import datetime as dt

from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from carehelm.audit.selectors import events_for

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor_label: str
    action: str
    summary: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    source: str
    request_id: str


@router.get("/events", response=list[AuditEventOut])
@paginate(LimitOffsetPagination)
def list_events(request, action: str = "", object_type: str = "", object_id: str = "", actor: str = "",
                since: dt.date | None = None, until: dt.date | None = None):
    return events_for(request.auth, action=action, object_type=object_type, object_id=object_id, actor=actor,
                      since=since, until=until)
