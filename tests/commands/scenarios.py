"""The shared scenario file and the checker's rules (scenarios/README.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# A copy of the shared scenarios ships with the tests, so that a clone runs
# them anywhere; SCENARIOS_FILE points at a newer file to check against it.
SCENARIOS_FILE = Path(
    os.environ.get("SCENARIOS_FILE", REPO_ROOT / "tests" / "scenarios" / "public.json")
)
CHECKER_START = datetime(2024, 1, 1, tzinfo=UTC)


def load_scenarios() -> list[dict[str, Any]]:
    return json.loads(SCENARIOS_FILE.read_text())


def checker_messages(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """The events as the checker writes them: messageId `<id>-<index>` and
    timestamp 2024-01-01T00:00:00Z plus `index` minutes, where missing."""
    messages = []
    for index, event in enumerate(scenario["events"]):
        at = CHECKER_START + timedelta(minutes=index)
        messages.append(
            {
                "messageId": f"{scenario['id']}-{index}",
                "timestamp": at.isoformat().replace("+00:00", "Z"),
                **event,
            }
        )
    return messages


def write_jsonl(path: Path, messages: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(message) + "\n" for message in messages))
    return path


def parse_export(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def keys_of(profile: dict[str, Any]) -> frozenset[str]:
    return frozenset(f"{i['type']}:{i['value']}" for i in profile["identifiers"])


def scenario_failures(
    scenario: dict[str, Any], exported: list[dict[str, Any]]
) -> list[str]:
    """What the export gets wrong against the scenario; empty when it passes."""
    failures = []
    holder = {key: profile for profile in exported for key in keys_of(profile)}

    seen = Counter(key for profile in exported for key in keys_of(profile))
    shared = sorted(key for key, n in seen.items() if n > 1)
    if shared:
        failures.append(f"on several profiles: {shared}")

    if scenario["profiles"] is not None:
        expected = sorted(sorted(keys) for keys in scenario["profiles"])
        actual = sorted(sorted(keys_of(profile)) for profile in exported)
        if actual != expected:
            failures.append(f"profiles {actual} != {expected}")

    for key, traits in scenario["traits"].items():
        if key not in holder:
            failures.append(f"traits: no profile holds {key}")
            continue
        for name, value in traits.items():
            actual_value = holder[key]["traits"].get(name)
            if actual_value != value:
                failures.append(f"trait {name} of {key}: {actual_value!r} != {value!r}")

    for key, count in scenario["events_count"].items():
        actual_count = holder[key]["events"] if key in holder else None
        if actual_count != count:
            failures.append(f"events of {key}: {actual_count} != {count}")

    for group in scenario["forbid"]:
        for profile in exported:
            if set(group) <= keys_of(profile):
                failures.append(f"forbidden group {group} on {profile['id']}")
    return failures


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` in a real process, as the shared checker runs it."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
