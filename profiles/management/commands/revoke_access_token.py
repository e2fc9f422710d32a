"""`manage.py revoke_access_token NAME`: the token stops working at once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from profiles.credentials import CredentialError, revoke_access_token


class Command(BaseCommand):
    help = "Revoke an access token by name."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, **options):
        try:
            token = revoke_access_token(name=options["name"], actor="cli")
        except CredentialError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Access token {token.name!r} is revoked.")
