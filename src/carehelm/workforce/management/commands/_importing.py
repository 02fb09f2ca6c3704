"""Shared body of the CSV import commands: read the file, run the service, print problems."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from carehelm.audit.context import acting
from carehelm.validation import InvalidInput


def run_import(command, importer, path: str, username: str | None) -> None:
    from carehelm.accounts.models import User

    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    actor = None
    if username:
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"no user named {username!r}")
    with acting(user=actor, source="cli"):
        try:
            result = importer(actor=actor, content=file.read_bytes(), filename=file.name)
        except InvalidInput as exc:
            raise CommandError(exc.describe(limit=200)) from None
    command.stdout.write(command.style.SUCCESS(f"{file.name}: {result.created} added, {result.updated} updated."))
