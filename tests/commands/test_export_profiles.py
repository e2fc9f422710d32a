from __future__ import annotations

from datetime import UTC, datetime

import pytest

from profiles.models import Event, ExternalId, Identifier, Profile

pytestmark = pytest.mark.django_db


def attach(profile: Profile, key: str, value: str) -> None:
    ExternalId.objects.create(
        profile=profile, identifier=Identifier.objects.get(key=key), value=value
    )


def add_event(profile: Profile, name: str) -> None:
    Event.objects.create(
        profile=profile, type="track", name=name, timestamp=datetime.now(UTC)
    )


def test_export_prints_nothing_for_an_empty_store(run):
    result = run("export_profiles")

    assert (result.stdout, result.stderr, result.exit_code) == ("", "", 0)


def test_export_lists_identifiers_by_priority_then_value(run):
    created = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    profile = Profile.objects.create(
        uid="use_a", created_at=created, traits={"name": "Ann", "plan": None}
    )
    attach(profile, "anonymous_id", "an-2")
    attach(profile, "email", "b@x.com")
    attach(profile, "anonymous_id", "an-1")
    attach(profile, "user_id", "u1")
    attach(profile, "email", "a@x.com")
    add_event(profile, "Signed Up")

    result = run("export_profiles")

    assert result.stdout == (
        '{"id": "use_a", "created_at": "2024-05-01T12:30:00+00:00", '
        '"identifiers": [{"type": "user_id", "value": "u1"}, '
        '{"type": "email", "value": "a@x.com"}, '
        '{"type": "email", "value": "b@x.com"}, '
        '{"type": "anonymous_id", "value": "an-1"}, '
        '{"type": "anonymous_id", "value": "an-2"}], '
        '"traits": {"name": "Ann", "plan": null}, "events": 1, "merged_ids": []}\n'
    )


def test_export_orders_canonical_profiles_by_id_and_skips_tombstones(run):
    Profile.objects.create(uid="use_c")
    survivor = Profile.objects.create(uid="use_b")
    Profile.objects.create(uid="use_a", merged_into=survivor)

    result = run("export_profiles")

    assert [line["id"] for line in result.json_lines] == ["use_b", "use_c"]
    assert result.json_lines[0]["merged_ids"] == ["use_a"]


def test_export_follows_merge_chains_and_gathers_what_tombstones_hold(run):
    root = Profile.objects.create(uid="use_root")
    middle = Profile.objects.create(
        uid="use_middle", merged_into=root, merged_at=datetime(2024, 1, 2, tzinfo=UTC)
    )
    Profile.objects.create(
        uid="use_leaf", merged_into=middle, merged_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    Profile.objects.create(
        uid="use_direct", merged_into=root, merged_at=datetime(2024, 1, 3, tzinfo=UTC)
    )
    attach(root, "user_id", "u1")
    attach(middle, "email", "m@x.com")
    add_event(root, "A")
    add_event(middle, "B")
    add_event(middle, "C")

    [line] = run("export_profiles").json_lines

    assert line["merged_ids"] == ["use_leaf", "use_middle", "use_direct"]
    assert line["identifiers"] == [
        {"type": "user_id", "value": "u1"},
        {"type": "email", "value": "m@x.com"},
    ]
    assert line["events"] == 3
