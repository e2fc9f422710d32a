"""`manage.py configure_identifier KEY [options]`: one identifier's settings.

Other tools drive this command, so stdout carries only the identifier's
settings after the change, one `name: value` line each; messages go to
stderr, and invalid input exits with status 1 having changed nothing.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from profiles.identifiers import blocked_values_of, configure_identifier
from profiles.models import Identifier, LimitWindow, Normaliser


class Command(BaseCommand):
    help = (
        "Change one identifier's settings, creating a custom identifier when "
        "the key is new, and print its settings."
    )

    def add_arguments(self, parser):
        # Numbers and choices are checked in handle(), not by argparse, so
        # that every invalid input exits with status 1 and a plain message.
        parser.add_argument("key", help="identifier key, e.g. loyalty_id")
        parser.add_argument("--display-name", help="1-64 characters; '' resets")
        parser.add_argument(
            "--priority", help="1 is searched first; others move to make room"
        )
        parser.add_argument("--limit", help="values per profile, 1-1000")
        parser.add_argument(
            "--window", help="limit window: " + ", ".join(LimitWindow.values)
        )
        parser.add_argument(
            "--normaliser", help="value normaliser: " + ", ".join(Normaliser.values)
        )
        parser.add_argument(
            "--block",
            action="append",
            default=[],
            metavar="VALUE",
            help="block an exact value for this identifier (repeatable)",
        )
        parser.add_argument(
            "--block-pattern",
            action="append",
            default=[],
            metavar="REGEX",
            help="block values matching a regex for this identifier (repeatable)",
        )

    def handle(self, *args, **options):
        try:
            change = configure_identifier(
                key=options["key"],
                actor="cli",
                display_name=options["display_name"],
                priority=_whole_number(options["priority"], "--priority"),
                limit=_whole_number(options["limit"], "--limit"),
                window=options["window"],
                normaliser=options["normaliser"],
                block_values=options["block"],
                block_patterns=options["block_pattern"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        if change.created:
            self.stderr.write(f"Created identifier {change.identifier.key}.")
        elif not change.changed:
            self.stderr.write("Nothing changed.")
        self.stdout.write(format_identifier(change.identifier))


def _whole_number(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise CommandError(f"{option} must be a whole number, not {text!r}.") from None


def format_identifier(identifier: Identifier) -> str:
    values, patterns = blocked_values_of(identifier)
    lines = [
        ("key", identifier.key),
        ("display_name", identifier.display_name),
        ("priority", identifier.priority),
        ("type", "default" if identifier.is_default else "custom"),
        ("limit", identifier.limit),
        ("window", identifier.limit_window),
        ("normaliser", identifier.normaliser),
        # JSON lists: a blocked value may hold commas or spaces.
        ("blocked_values", json.dumps(values, ensure_ascii=False)),
        ("blocked_patterns", json.dumps(patterns, ensure_ascii=False)),
    ]
    return "\n".join(f"{name}: {value}" for name, value in lines)
