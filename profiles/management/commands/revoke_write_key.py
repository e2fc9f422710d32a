"""`manage.py revoke_write_key NAME`: the key stops working at once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from profiles.credentials import CredentialError, revoke_write_key


class Command(BaseCommand):
    help = "Revoke a write key by name."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, **options):
        try:
            write_key = revoke_write_key(name=options["name"], actor="cli")
        except CredentialError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Write key {write_key.name!r} is revoked.")
