"""``carehelm import_fhir FILE``: create or update the organization, staff and credentials of a FHIR R4 Bundle.

All or nothing: any problem refuses the whole file, each problem printed with its file, entry
and field, and the command exits with status 1.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from carehelm.accounts.models import User
from carehelm.audit.context import acting
from carehelm.validation import InvalidInput, NotAllowed
from carehelm.workforce.fhir import import_bundle


def _describe(problem) -> str:
    where = [problem.file or "bundle"]
    if problem.row is not None:
        where.append(f"entry {problem.row}")
    where.append(problem.field)
    value = f" (got {problem.value!r})" if problem.value is not None else ""
    return f"{', '.join(where)}: {problem.message}{value}"


class Command(BaseCommand):
    help = "Import a FHIR R4 Bundle of Organization, Location, Practitioner and PractitionerRole resources."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="a JSON FHIR Bundle, e.g. one written by `carehelm export_fhir --out`"
        )
        parser.add_argument("--as", dest="username", help="import as this user (their reach applies)")

    def handle(self, *args, file, username=None, **opts):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read: {exc.strerror}") from None
        user = None
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user named {username!r}")
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, desc=path.name, unit="staff", file=self.stderr._out, leave=False)
            bar.update(done - bar.n)

        try:
            with acting(user=user, source="cli"):
                summary = import_bundle(actor=user, bundle=content, filename=path.name, on_progress=progress)
        except InvalidInput as exc:
            lines = [exc.title] + [f"  - {_describe(p)}" for p in exc.problems[:50]]
            if len(exc.problems) > 50:
                lines.append(f"  … and {len(exc.problems) - 50} more")
            raise CommandError("\n".join(lines)) from None
        except NotAllowed as exc:
            raise CommandError(f"{path.name}: {exc}; nothing was saved.") from None
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(summary.describe())
