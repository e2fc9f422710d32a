"""Every entry of the shared scenario file, through the commands.

In-process (call_command on the test database, fresh for each test) for every
entry, and as real `manage.py` subprocesses on a new SQLite file for a few,
exactly as the shared checker runs them.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.commands.scenarios import (
    checker_messages,
    load_scenarios,
    manage,
    parse_export,
    scenario_failures,
    write_jsonl,
)

SCENARIOS = load_scenarios()
SUBPROCESS_SCENARIOS = ["F03", "F13"]
SUMMARY = re.compile(
    r"events=\d+ profiles_created=\d+ merges=\d+ warnings=\d+ seconds=\d+\.\d+"
)


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario_through_the_commands(scenario, run, tmp_path, monkeypatch):
    for name, value in scenario["env"].items():
        monkeypatch.setenv(name, value)
        if hasattr(settings, name):
            monkeypatch.setattr(settings, name, value)
    for args in scenario["setup"]:
        assert run("configure_identifier", *args).exit_code == 0

    path = write_jsonl(tmp_path / "events.jsonl", checker_messages(scenario))
    resolved = run("resolve_events", str(path))
    exported = parse_export(run("export_profiles").stdout)

    assert SUMMARY.fullmatch(resolved.stdout.strip())
    assert scenario_failures(scenario, exported) == []


@pytest.mark.parametrize("scenario_id", SUBPROCESS_SCENARIOS)
def test_scenario_as_the_checker_runs_it(scenario_id, tmp_path):
    [scenario] = [s for s in SCENARIOS if s["id"] == scenario_id]
    env = {**scenario["env"], "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    def stdout_of(*args: str) -> str:
        done = manage(*args, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    stdout_of("migrate", "--noinput")
    for args in scenario["setup"]:
        stdout_of("configure_identifier", *args)
    path = write_jsonl(tmp_path / "events.jsonl", checker_messages(scenario))
    resolved = stdout_of("resolve_events", str(path))
    exported = parse_export(stdout_of("export_profiles"))

    assert SUMMARY.fullmatch(resolved.splitlines()[-1])
    assert scenario_failures(scenario, exported) == []
