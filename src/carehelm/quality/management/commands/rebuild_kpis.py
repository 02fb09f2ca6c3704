"""``carehelm rebuild_kpis [--facility CODE ...] [--as-of ISO]``: recompute the stored KPI values now.

The same work as the background task (``services.rebuild_kpis``), in the foreground with a
progress bar: for the operator after a bulk import, or from cron when no worker runs.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from carehelm.organization.models import Facility
from carehelm.quality import services
from carehelm.validation import InvalidInput


class Command(BaseCommand):
    help = "Recompute every KPI from the activity data and replace the stored values."

    def add_arguments(self, parser):
        parser.add_argument("--facility", nargs="*", default=None, help="facility codes (default: all)")
        parser.add_argument(
            "--as-of", default=None, help="the instant the data is complete to (default: latest)"
        )

    def handle(self, *args, facility=None, as_of=None, **options):
        ids = None
        if facility:
            found = dict(Facility.objects.filter(code__in=facility).values_list("code", "pk"))
            missing = sorted(set(facility) - set(found))
            if missing:
                raise CommandError(f"unknown facility code(s): {', '.join(missing)}")
            ids = list(found.values())
        bar = tqdm(total=100, unit="%", disable=options.get("verbosity", 1) == 0)

        def on_progress(fraction: float, message: str) -> None:
            bar.set_description(message[:60])
            bar.update(max(0, round(fraction * 100) - bar.n))

        try:
            result = services.rebuild_kpis(facility_ids=ids, as_of=as_of, on_progress=on_progress)
        except InvalidInput as exc:
            raise CommandError(exc.describe()) from exc
        finally:
            bar.close()
        self.stdout.write(
            f"{result['values']:,} KPI values from {result['encounters']:,} encounters "
            f"in {result['facilities']} facilit{'y' if result['facilities'] == 1 else 'ies'}."
        )
        for unit in result.get("units_not_configured", []):
            self.stdout.write(
                f"  activity in {unit}, which is not a configured unit: counted in the facility only"
            )
