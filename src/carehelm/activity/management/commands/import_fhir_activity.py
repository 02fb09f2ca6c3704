"""``carehelm import_fhir_activity FILE [FILE ...] [--facility CODE] [--learn-locations]``.

Each FHIR R4 Bundle is read whole (Patient, Encounter with location history and hospitalization,
Location, Organization) and imported all or nothing; a bad bundle is reported entry by entry and
nothing from it is written.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from carehelm.activity.services import import_activity
from carehelm.audit.context import acting
from carehelm.engines.interop.fhir_activity import FhirReadError, read_bundle_file
from carehelm.organization.models import Facility
from carehelm.validation import InvalidInput


class Command(BaseCommand):
    help = "Import patient activity from FHIR R4 Bundles (all or nothing per file)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument(
            "--facility",
            help="facility code the encounters belong to (default: matched by "
            "organization, else the only hospital)",
        )
        parser.add_argument("--learn-locations", action="store_true")

    def handle(self, *args, files, facility=None, learn_locations=False, **opts):
        fac = None
        if facility:
            fac = Facility.objects.filter(code=facility).first()
            if fac is None:
                raise CommandError(f"--facility {facility!r}: no such facility")
        failed = 0
        for path in files:
            try:
                batch = read_bundle_file(path)
                with acting(source="cli"):
                    summary = import_activity(
                        batch, source="fhir", facility=fac, learn_locations=learn_locations
                    )
            except (FhirReadError, InvalidInput, OSError) as exc:
                self.stderr.write(f"{path}: not imported, nothing written:\n{exc}")
                failed += 1
                continue
            self.stdout.write(
                f"{path}: {summary.patients} patients, {summary.encounters} encounters, "
                f"{summary.stays} unit stays imported ({summary.skipped} encounters of no counted "
                "class skipped)"
            )
        if failed:
            raise CommandError(f"{failed} file(s) not imported", returncode=1)
