from django.core.management.base import BaseCommand, CommandError

from carehelm.audit.context import acting
from carehelm.demo.build import DEMO_PASSWORD, build_demo, database_is_empty


class Command(BaseCommand):
    help = "Load the deterministic demo health system (Riverbend Health) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when data is already there")
        parser.add_argument("--scale", type=float, default=1.0, help="shrink the demo (e.g. 0.1 for tests)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, if_empty=False, scale=1.0, seed=None, **opts):
        if not database_is_empty():
            if if_empty:
                self.stdout.write("Demo data already present; nothing loaded.")
                return
            raise CommandError("The database already holds a health system; the demo loads into an empty one.")
        kwargs = {"scale": scale}
        if seed is not None:
            kwargs["seed"] = seed
        self.stdout.write("Loading the demo health system (Riverbend Health)…")
        with acting(source="cli"):
            summary = build_demo(**kwargs)
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {summary.facilities} facilities, {summary.units} units, {summary.beds} beds, "
            f"{summary.staff} staff, {summary.credentials} credentials."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for username, description in summary.users:
            self.stdout.write(f"  {username:<17} {description}")
