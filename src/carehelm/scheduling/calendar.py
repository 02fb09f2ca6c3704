"""A person's published shifts as an iCalendar (RFC 5545) feed, for their phone's calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from carehelm.scheduling.models import Assignment, PeriodStatus
from carehelm.workforce.models import Staff


def feed_for(staff: Staff, *, host: str = "carehelm", days_back: int = 60) -> bytes:
    zone = ZoneInfo(settings.TIME_ZONE)
    cal = Calendar()
    cal.add("prodid", "-//Carehelm//Rosters//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Shifts — {staff.full_name}")
    since = timezone.localdate() - dt.timedelta(days=days_back)
    rows = (
        Assignment.objects.filter(staff=staff, period__status=PeriodStatus.PUBLISHED, date__gte=since)
        .select_related("shift_type", "period__unit")
        .order_by("date")
    )
    stamp = timezone.now()
    for a in rows:
        shift = a.shift_type
        event = Event()
        event.add("uid", f"assignment-{a.pk}@{host}")
        event.add("summary", f"{shift.name} ({shift.code}) — {a.period.unit.name}")
        event.add("dtstart", shift.starts_at(a.date).replace(tzinfo=zone))
        event.add("dtend", shift.ends_at(a.date).replace(tzinfo=zone))
        event.add("dtstamp", stamp)
        event.add("location", str(a.period.unit))
        if shift.on_call:
            event.add("categories", ["On call"])
        cal.add_component(event)
    return cal.to_ical()
