from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.commands.scenarios import write_jsonl


@dataclass
class CommandRun:
    stdout: str
    stderr: str
    exit_code: int

    @property
    def last_line(self) -> str:
        return self.stdout.splitlines()[-1]

    @property
    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


@pytest.fixture
def run() -> Callable[..., CommandRun]:
    """Run a management command in-process, as `manage.py` would, capturing
    its output and its exit code (SystemExit included)."""

    def run_command(name: str, *args: str, **options: Any) -> CommandRun:
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            call_command(name, *args, stdout=stdout, stderr=stderr, **options)
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        return CommandRun(stdout.getvalue(), stderr.getvalue(), code)

    return run_command


@pytest.fixture
def events_file(tmp_path: Path) -> Callable[[list[dict[str, Any]]], str]:
    def write(messages: list[dict[str, Any]]) -> str:
        return str(write_jsonl(tmp_path / "events.jsonl", messages))

    return write
