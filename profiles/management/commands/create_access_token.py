"""`manage.py create_access_token NAME`: a token for the lookup and Profile
APIs.

The token is printed once, alone on the last line of stdout, so that scripts
can take it with `tail -n 1`; only its hash is stored.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from profiles.credentials import CredentialError, create_access_token


class Command(BaseCommand):
    help = "Create an access token for the lookup and Profile APIs (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who reads with it, e.g. flex-prod")

    def handle(self, *args, **options):
        try:
            token, secret = create_access_token(name=options["name"], actor="cli")
        except CredentialError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Access token {token.name!r} created. It is shown this once; store it now:"
        )
        self.stdout.write(secret)
