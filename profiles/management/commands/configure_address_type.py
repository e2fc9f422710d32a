"""`manage.py configure_address_type TYPE [options]`: the command-line twin
of the Identifiers tab's row menu.

Stdout carries only the address type's settings after the change, one
`name: value` line each; invalid input exits with status 1.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from profiles.identifiers import configure_address_type
from profiles.models import AddressType, Identifier


class Command(BaseCommand):
    help = "Map, clear or switch search for one address type, and print it."

    def add_arguments(self, parser):
        parser.add_argument("type", help="address type key, e.g. sms")
        mapping = parser.add_mutually_exclusive_group()
        mapping.add_argument("--identifier", metavar="KEY", help="map to this key")
        mapping.add_argument(
            "--clear", action="store_true", help="return to 'Not mapped'"
        )
        search = parser.add_mutually_exclusive_group()
        search.add_argument(
            "--enable-search", action="store_const", const=True, dest="search"
        )
        search.add_argument(
            "--disable-search", action="store_const", const=False, dest="search"
        )

    def handle(self, *args, **options):
        address_type = AddressType.objects.filter(key=options["type"]).first()
        if address_type is None:
            known = ", ".join(AddressType.objects.values_list("key", flat=True))
            raise CommandError(
                f"Unknown address type {options['type']!r}; known: {known}."
            )

        identifier = None
        if options["identifier"] is not None:
            identifier = Identifier.objects.filter(key=options["identifier"]).first()
            if identifier is None:
                raise CommandError(f"Unknown identifier {options['identifier']!r}.")

        changed = configure_address_type(
            address_type=address_type,
            identifier=identifier,
            clear=options["clear"],
            search_enabled=options["search"],
            actor="cli",
        )
        if not changed:
            self.stderr.write("Nothing changed.")
        self.stdout.write(format_address_type(address_type))


def format_address_type(address_type: AddressType) -> str:
    identifier = address_type.identifier
    lines = [
        ("type", address_type.key),
        ("label", address_type.label),
        ("identifier", identifier.key if identifier else "not mapped"),
        ("identifier_display_name", identifier.display_name if identifier else ""),
        ("search", "enabled" if address_type.search_enabled else "disabled"),
    ]
    return "\n".join(f"{name}: {value}".rstrip() for name, value in lines)
