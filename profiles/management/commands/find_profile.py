"""`manage.py find_profile ADDRESS_TYPE ADDRESS [--create]`.

Prints the profile found (or created) as one export line on stdout. Otherwise
exits 1 with exactly one of `not found`, `search disabled`, `not mapped`,
`invalid address` on stderr, or `unknown address type: <key>`.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from profiles.export import export_profile
from profiles.search import Outcome, find_or_create_profile, find_profile


class Command(BaseCommand):
    help = "Look a profile up by a contact-center address, as the lookup API does."

    def add_arguments(self, parser):
        parser.add_argument("address_type", help="voice, sms, whatsapp, email, ...")
        parser.add_argument("address", help="the caller's address, e.g. +14155550123")
        parser.add_argument(
            "--create",
            action="store_true",
            help="on no match, create a profile holding only this address",
        )

    def handle(self, *args, **options):
        address_type = options["address_type"]
        if options["create"]:
            result = find_or_create_profile(
                address_type=address_type, address=options["address"], source="cli"
            )
        else:
            result = find_profile(address_type=address_type, address=options["address"])

        if result.profile is not None:
            self.stdout.write(json.dumps(export_profile(profile=result.profile)))
            return

        if result.outcome is Outcome.UNKNOWN_ADDRESS_TYPE:
            self.stderr.write(f"unknown address type: {address_type}")
        else:
            self.stderr.write(str(result.outcome))
        raise SystemExit(1)
