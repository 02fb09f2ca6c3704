"""``carehelm export_fhir [--out FILE] [--as USERNAME]``: the organization, staff and credentials as a FHIR R4 Bundle.

Without ``--as`` the operator exports everything; with it, only what that user may view.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from carehelm.accounts.models import User
from carehelm.audit.context import acting
from carehelm.workforce.fhir import export_bundle


class Command(BaseCommand):
    help = (
        "Export facilities, units, rooms, beds, staff and credentials as a FHIR R4 collection Bundle (JSON)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="write the bundle to this file (default: standard output)")
        parser.add_argument("--as", dest="username", help="export only what this user may view")

    def handle(self, *args, out=None, username=None, **opts):
        user = None
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user named {username!r}")
        with acting(user=user, source="cli"):
            bundle = export_bundle(user)
        text = json.dumps(bundle, indent=2, ensure_ascii=False)
        if out:
            try:
                with open(out, "w", encoding="utf-8") as fh:
                    fh.write(text + "\n")
            except OSError as exc:
                raise CommandError(f"{out}: cannot write: {exc.strerror}") from None
            counts: dict[str, int] = {}
            for entry in bundle["entry"]:
                kind = entry["resource"]["resourceType"]
                counts[kind] = counts.get(kind, 0) + 1
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no resources"
            self.stderr.write(f"wrote {out}: {summary}")
        else:
            sys.stdout.write(text + "\n")
