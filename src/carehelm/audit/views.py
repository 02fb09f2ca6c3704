import datetime as dt

from django.core.paginator import Paginator
from django.shortcuts import render

from carehelm.audit.models import AuditEvent
from carehelm.audit.selectors import events_for


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def audit_log(request):
    f = request.GET
    staff = f.get("staff")
    qs = events_for(request.user, action=f.get("action", "").strip(), object_type=f.get("object_type", ""),
                    object_id=f.get("object_id", ""), actor=f.get("actor", "").strip(), since=_date(f.get("since")),
                    until=_date(f.get("until")), staff_id=int(staff) if staff and staff.isdigit() else None)
    page = Paginator(qs, 50).get_page(f.get("page"))
    q = f.copy()
    q.pop("page", None)
    types = AuditEvent.objects.restrict(request.user, "view").values_list("object_type", flat=True).distinct()
    return render(request, "audit/log.html", {"page": page, "f": f, "querystring": q.urlencode(),
                                              "object_types": sorted(set(types))})
