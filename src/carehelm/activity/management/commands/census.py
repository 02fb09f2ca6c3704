"""``carehelm census [--at ISO-DATETIME] [--facility CODE] [--json]``: the census as it stood then."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from carehelm.activity.selectors import census_at
from carehelm.organization.models import Facility


def parse_instant(text: str):
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(f"--at {text!r}: expected an ISO date-time such as 2026-01-15T08:00")
        moment = timezone.datetime(day.year, day.month, day.day)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Print the census per unit as it stood at an instant (default now)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--at", help="ISO date-time (local time of the health system unless it has an offset)"
        )
        parser.add_argument("--facility", help="facility code")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, at=None, facility=None, json=False, **opts):
        try:
            moment = parse_instant(at) if at else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        fac = None
        if facility:
            fac = Facility.objects.filter(code=facility).first()
            if fac is None:
                raise CommandError(f"--facility {facility!r}: no such facility")
        census = census_at(moment, facility=fac)
        if json:
            self.stdout.write(_json.dumps(census))
            return
        self.stdout.write(f"Census at {census['at']}")
        self.stdout.write(
            f"{'facility':<10} {'unit':<8} {'occ':>4} {'in':>4} {'out':>4} {'unav':>5} {'open':>5} "
            f"{'staffed':>7} {'occ%':>6}"
        )
        for row in census["units"]:
            pct = "—" if row["occupancy_pct"] is None else f"{row['occupancy_pct']:.1f}"
            self.stdout.write(
                f"{row['facility']:<10} {row['unit']:<8} {row['occupied']:>4} {row['pending_in']:>4} "
                f"{row['pending_out']:>4} {row['unavailable']:>5} {row['open']:>5} "
                f"{row['staffed_beds']:>7} {pct:>6}"
            )


_json = json
