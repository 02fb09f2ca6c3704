from django.core.management.base import BaseCommand

from carehelm.workforce.management.commands._importing import run_import
from carehelm.workforce.services import CREDENTIAL_CSV_COLUMNS, import_credentials_csv


class Command(BaseCommand):
    help = f"Import staff credentials from CSV, all or nothing. Columns: {', '.join(CREDENTIAL_CSV_COLUMNS)}."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="act as this user (their reach applies)")

    def handle(self, *args, file, username=None, **opts):
        run_import(self, import_credentials_csv, file, username)
