"""``carehelm import_synthea FOLDER [--facility CODE]``: a Synthea CSV export, all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from carehelm.activity.services import import_activity
from carehelm.audit.context import acting
from carehelm.engines.interop.synthea_csv import SyntheaReadError, read_synthea_csv
from carehelm.organization.models import Facility
from carehelm.validation import InvalidInput


class Command(BaseCommand):
    help = "Import patient activity from a Synthea CSV export folder (patients.csv, encounters.csv, ...)."

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument(
            "--facility",
            help="facility code the encounters belong to (default: matched by "
            "organization name, else the only hospital)",
        )

    def handle(self, *args, folder, facility=None, **opts):
        fac = None
        if facility:
            fac = Facility.objects.filter(code=facility).first()
            if fac is None:
                raise CommandError(f"--facility {facility!r}: no such facility")
        bars: dict[str, tqdm] = {}

        def progress(file_name: str, rows: int) -> None:
            bar = bars.get(file_name)
            if bar is None:
                bar = bars[file_name] = tqdm(desc=file_name, unit="row", file=self.stderr._out, leave=False)
            bar.update(rows - bar.n)

        try:
            batch = read_synthea_csv(folder, on_progress=progress)
            with acting(source="cli"):
                summary = import_activity(batch, source="synthea", facility=fac)
        except (SyntheaReadError, InvalidInput, OSError) as exc:
            raise CommandError(f"{folder}: not imported, nothing written:\n{exc}") from None
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            f"{folder}: {summary.patients} patients, {summary.encounters} encounters imported "
            f"({summary.skipped} encounters of no counted class skipped)"
        )
