from django.core.management.base import BaseCommand, CommandError

from carehelm.accounts.models import User
from carehelm.accounts.services import create_api_token, revoke_api_token
from carehelm.audit.context import acting


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens. `carehelm token create USERNAME` prints a new token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("username")
        create.add_argument("--name", default="command-line token")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("username")
        revoke.add_argument("prefix")

    def handle(self, *args, verb, username, **opts):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        with acting(user=user, source="cli"):
            if verb == "create":
                _, secret = create_api_token(user=user, name=opts["name"])
                self.stdout.write(secret)
            elif verb == "list":
                for t in user.api_tokens.all():
                    state = "revoked" if t.revoked_at else "active"
                    self.stdout.write(f"{t.key_prefix}…  {t.name}  {state}  created {t.created_at:%Y-%m-%d}")
            else:
                token = user.api_tokens.filter(key_prefix__startswith=opts["prefix"][:10]).first()
                if token is None:
                    raise CommandError(f"{username} has no token starting {opts['prefix']!r}")
                revoke_api_token(user=user, token=token)
                self.stdout.write(f"revoked {token.key_prefix}…")
