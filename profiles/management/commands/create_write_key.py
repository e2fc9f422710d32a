"""`manage.py create_write_key NAME`: a key for the tracking API.

The key is printed once, alone on the last line of stdout, so that scripts
can take it with `tail -n 1`; only its hash is stored.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from profiles.credentials import CredentialError, create_write_key


class Command(BaseCommand):
    help = "Create a write key for the tracking API and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who sends with it, e.g. web-shop")

    def handle(self, *args, **options):
        try:
            write_key, secret = create_write_key(name=options["name"], actor="cli")
        except CredentialError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Write key {write_key.name!r} created. It is shown this once; "
            "store it now:"
        )
        self.stdout.write(secret)
