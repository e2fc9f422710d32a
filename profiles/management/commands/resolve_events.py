"""`manage.py resolve_events PATH`: resolve a JSON Lines file of messages.

Stdout carries one line only, the last one:
`events=N profiles_created=N merges=N warnings=N seconds=F`, where `events`
counts the messages stored by this run (a message whose messageId is already
stored is acknowledged and not counted) and `warnings` counts the engine's
warnings plus every line that was skipped. Each of them is named on stderr with
its line number: a skipped line (not UTF-8, not JSON, not a valid message) with
the reason, an engine warning with its code and identifier type. Blank lines
are ignored. Progress goes to stderr every few seconds on big files.
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from profiles.resolution import ingest_message, load_settings
from profiles.validation import InvalidMessage, check_message

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 5.0
SETTINGS_EVERY = 1000


@dataclass
class Tally:
    lines: int = 0
    events: int = 0
    duplicates: int = 0
    profiles_created: int = 0
    merges: int = 0
    warnings: int = 0

    def summary(self, seconds: float) -> str:
        return (
            f"events={self.events} profiles_created={self.profiles_created} "
            f"merges={self.merges} warnings={self.warnings} seconds={seconds:.3f}"
        )


class Command(BaseCommand):
    help = "Resolve a JSON Lines file of Segment-spec messages, in file order."
    # Lets tests hand in a stream for "-" without touching sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON Lines file, or - for stdin")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1,
            help="messages per database transaction (default 1). Above 1 each "
            "message is a savepoint in a transaction committed every N messages: "
            "faster for a bulk load, but a batch holds its locks until it "
            "commits, so keep 1 while other writers are running",
        )
        parser.add_argument(
            "--source",
            default="cli",
            help="source name stored on each event; messageIds are unique per "
            "source, so a replay with the same source applies nothing twice",
        )

    def handle(self, *args, **options):
        path = options["path"]
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        self.batch_size = options["batch_size"]
        started = time.monotonic()

        if path == "-":
            stream = options.get("stdin") or sys.stdin.buffer
            tally = self.resolve_stream(stream, source=options["source"])
        else:
            try:
                with open(path, "rb") as stream:
                    tally = self.resolve_stream(stream, source=options["source"])
            except OSError as error:
                raise CommandError(f"cannot read {path}: {error.strerror}") from error

        if tally.duplicates:
            self.stderr.write(f"{tally.duplicates} already stored, not applied again")
        self.stdout.write(tally.summary(time.monotonic() - started))

    def resolve_stream(self, stream: Iterable[bytes | str], *, source: str) -> Tally:
        tally = Tally()
        last_progress = time.monotonic()
        lines = enumerate(stream, start=1)
        loaded_at_line = 0
        while batch := list(itertools.islice(lines, self.batch_size)):
            # Settings are read once per SETTINGS_EVERY lines, not per message,
            # so a change saved during a long run applies soon after.
            if loaded_at_line == 0 or batch[0][0] - loaded_at_line >= SETTINGS_EVERY:
                self.snapshot = load_settings()
                loaded_at_line = batch[0][0]
            with transaction.atomic() if self.batch_size > 1 else nullcontext():
                for number, raw in batch:
                    self.resolve_line(raw, number=number, source=source, tally=tally)

            if time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                last_progress = time.monotonic()
                self.stderr.write(
                    f"resolve_events: {tally.lines} lines read, "
                    f"{tally.events} events stored"
                )
        return tally

    def resolve_line(
        self, raw: bytes | str, *, number: int, source: str, tally: Tally
    ) -> None:
        tally.lines = number
        message = self.parse_line(raw, number=number)
        if message is None:
            if raw.strip():
                tally.warnings += 1
            return
        self.resolve_message(message, number=number, source=source, tally=tally)

    def parse_line(self, raw: bytes | str, *, number: int) -> dict[str, Any] | None:
        """The message on this line, or None (with the reason on stderr)."""
        if not raw.strip():
            return None
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            message = json.loads(text)
        except UnicodeDecodeError:
            self.stderr.write(f"line {number}: skipped, not UTF-8 text")
            return None
        except ValueError as error:
            self.stderr.write(f"line {number}: skipped, not valid JSON ({error})")
            return None

        if not isinstance(message, dict):
            self.stderr.write(f"line {number}: skipped, not a JSON object")
            return None
        try:
            return check_message(message)
        except InvalidMessage as error:
            self.stderr.write(f"line {number}: skipped, not a valid message: {error}")
            return None

    def resolve_message(
        self, message: dict[str, Any], *, number: int, source: str, tally: Tally
    ) -> None:
        try:
            result = ingest_message(message, source=source, snapshot=self.snapshot)
        except Exception:
            # One message the engine cannot take must not cost the others; the
            # traceback goes to stderr through logging, the line is skipped.
            logger.exception("line %s: not resolved", number)
            self.stderr.write(f"line {number}: skipped, the engine failed on it")
            tally.warnings += 1
            return

        if result.duplicate:
            tally.duplicates += 1
            return
        tally.events += 1
        tally.profiles_created += int(result.created)
        tally.merges += result.merges
        tally.warnings += len(result.warnings)
        for warning in result.warnings:
            # The code and the identifier type say what happened; the value
            # stays on the stored event, out of terminals and CI logs.
            self.stderr.write(
                f"line {number}: {warning.get('code', 'warning')} "
                f"({warning.get('identifier') or 'event'})"
            )
