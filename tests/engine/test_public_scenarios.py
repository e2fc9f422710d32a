"""Every entry of the shared scenarios (tests/scenarios/public.json), run
through ingest_message.

The checker's own procedure (scenarios/README.md) is followed: defaults from the
migrations, `setup` applied to the identifier settings, messageId and timestamp
filled in when missing, then the exact set of profiles, the listed traits, the
event counts and the forbidden groups are asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiles.models import Event, Identifier
from tests.engine.conftest import Feed, holder, profile_sets

SCENARIOS = Path(__file__).parents[1] / "scenarios" / "public.json"


def load() -> list[dict]:
    return json.loads(SCENARIOS.read_text())


def apply_setup(args: list[str]) -> None:
    """The subset of `configure_identifier KEY --limit N` the file uses."""
    key, *options = args
    assert options[0] == "--limit" and len(options) == 2, args
    Identifier.objects.filter(key=key).update(limit=int(options[1]))


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", load(), ids=lambda s: s["id"])
def test_public_scenario(scenario, settings):
    for name, value in scenario["env"].items():
        setattr(settings, name, value)
    for args in scenario["setup"]:
        apply_setup(args)
    feed = Feed(scenario["id"])

    for message in scenario["events"]:
        feed(message)

    if scenario["profiles"] is not None:
        assert profile_sets() == {frozenset(p) for p in scenario["profiles"]}
    for type_value, traits in scenario["traits"].items():
        profile = holder(type_value)
        for key, value in traits.items():
            assert profile.traits.get(key) == value, key
    for type_value, count in scenario["events_count"].items():
        assert Event.objects.filter(profile=holder(type_value)).count() == count
    for group in scenario["forbid"]:
        assert not any(set(group) <= p for p in profile_sets())
