"""Extraction sources, event fields, windows, caps and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profiles.merge import MergeRefused, merge_profiles
from profiles.models import Event, ExternalId, Identifier, Merge, Profile
from profiles.resolution import ingest_message, load_settings
from profiles.search import get_canonical_profile
from tests.engine.conftest import codes, identifiers_of, profile_sets

pytestmark = pytest.mark.django_db


def test_json_number_and_string_are_the_same_user_id():
    first = ingest_message({"type": "identify", "userId": 12345})

    second = ingest_message({"type": "identify", "userId": "12345"})
    third = ingest_message({"type": "identify", "userId": "012345"})

    assert second.profile == first.profile
    assert third.profile != first.profile
    assert profile_sets() == {
        frozenset({"user_id:12345"}),
        frozenset({"user_id:012345"}),
    }


def test_boolean_and_object_ids_are_refused_with_a_warning():
    result = ingest_message(
        {
            "type": "identify",
            "userId": True,
            "anonymousId": {"id": 1},
            "traits": {"email": ["a@x.com"]},
        }
    )

    assert result.profile is None
    assert codes(result) == [
        "invalid_type",
        "invalid_type",
        "invalid_type",
        "unresolved",
    ]
    assert [w.get("field") for w in result.warnings[:3]] == [
        "userId",
        "anonymousId",
        "traits.email",
    ]
    assert Event.objects.get().profile is None


def test_device_ids_by_device_type():
    result = ingest_message(
        {
            "type": "track",
            "event": "Opened",
            "anonymousId": "a1",
            "context": {
                "device": {
                    "type": "ios",
                    "id": "dev-1",
                    "advertisingId": "ad-1",
                    "adTrackingEnabled": True,
                    "token": "tok-1",
                }
            },
        }
    )
    android = ingest_message(
        {
            "type": "track",
            "event": "Opened",
            "anonymousId": "a2",
            "context": {
                "device": {"type": "android", "id": "dev-2", "advertisingId": "ad-2"}
            },
        }
    )

    assert identifiers_of(result.profile) == {
        "anonymous_id:a1",
        "ios.id:dev-1",
        "ios.idfa:ad-1",
        "ios.push_token:tok-1",
    }
    # No advertising id without adTrackingEnabled = true.
    assert identifiers_of(android.profile) == {"anonymous_id:a2", "android.id:dev-2"}


def test_google_analytics_client_id():
    result = ingest_message(
        {
            "type": "page",
            "anonymousId": "a1",
            "integrations": {"Google Analytics": {"clientId": "GA1.2.3"}},
        }
    )

    assert identifiers_of(result.profile) == {"anonymous_id:a1", "ga_client_id:GA1.2.3"}


def test_external_ids_known_types_and_malformed_entries():
    result = ingest_message(
        {
            "type": "identify",
            "userId": "u1",
            "context": {
                "externalIds": [
                    {"id": "B@X.com", "type": "email", "collection": "users"},
                    {"id": "acct-1", "type": "crm_id", "collection": "accounts"},
                    {"id": "z", "type": "Bad Type"},
                    "not an object",
                    {"id": {"nested": 1}, "type": "shop_id", "collection": "users"},
                ]
            },
        }
    )

    assert identifiers_of(result.profile) == {"user_id:u1", "email:b@x.com"}
    assert codes(result) == ["invalid_identifier_type", "invalid_type", "invalid_type"]
    assert not Identifier.objects.filter(key__in=["crm_id", "shop_id"]).exists()


def test_group_traits_are_not_the_persons():
    result = ingest_message(
        {
            "type": "group",
            "groupId": "g1",
            "userId": "u1",
            "traits": {"email": "team@x.com", "name": "Team"},
        }
    )

    assert identifiers_of(result.profile) == {"user_id:u1"}
    assert result.profile.traits == {}


def test_track_properties_give_identifiers_but_not_traits():
    result = ingest_message(
        {
            "type": "track",
            "event": "Signed Up",
            "userId": "u1",
            "properties": {"email": "a@x.com", "plan": "pro"},
        }
    )

    assert identifiers_of(result.profile) == {"user_id:u1", "email:a@x.com"}
    assert result.profile.traits == {}
    assert result.event.name == "Signed Up"


def test_rudderstack_identify_traits_in_context():
    result = ingest_message(
        {
            "type": "identify",
            "userId": "u1",
            "context": {"traits": {"email": "a@x.com", "name": "Ann"}},
            "traits": {"name": "Anna"},
        }
    )

    assert identifiers_of(result.profile) == {"user_id:u1", "email:a@x.com"}
    assert result.profile.traits == {"email": "a@x.com", "name": "Anna"}


def test_event_fields_and_timestamps():
    received = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    exact = ingest_message(
        {
            "type": "screen",
            "name": "Home",
            "userId": "u1",
            "messageId": "m1",
            "timestamp": "2024-04-01T10:00:00+02:00",
        },
        source="ios-app",
        received_at=received,
    )
    original = ingest_message(
        {
            "type": "track",
            "event": "E",
            "userId": "u1",
            "originalTimestamp": "2024-04-02T00:00:00",
        },
        received_at=received,
    )
    bad = ingest_message(
        {"type": "track", "event": "E", "userId": "u1", "timestamp": "yesterday"},
        received_at=received,
    )

    event = exact.event
    assert (event.type, event.name, event.source, event.message_id) == (
        "screen",
        "Home",
        "ios-app",
        "m1",
    )
    assert event.timestamp == datetime(2024, 4, 1, 8, 0, tzinfo=UTC)
    assert event.payload["timestamp"] == "2024-04-01T10:00:00+02:00"
    assert original.event.timestamp == datetime(2024, 4, 2, tzinfo=UTC)
    assert bad.event.timestamp == received
    assert bad.warnings == [
        {
            "code": "invalid_timestamp",
            "identifier": "",
            "message": "timestamp is not an ISO 8601 time; the time received is used.",
            "field": "timestamp",
            "value": "yesterday",
        }
    ]


def test_a_repeated_message_id_is_acknowledged_and_not_applied():
    first = ingest_message(
        {"type": "identify", "userId": "u1", "messageId": "m1", "traits": {"n": 1}}
    )

    again = ingest_message(
        {"type": "identify", "userId": "u1", "messageId": "m1", "traits": {"n": 2}}
    )
    other_source = ingest_message(
        {"type": "identify", "userId": "u1", "messageId": "m1"}, source="web"
    )

    assert again.duplicate is True and again.event == first.event
    assert again.profile == first.profile
    assert Event.objects.filter(source="").count() == 1
    assert other_source.duplicate is False
    first.profile.refresh_from_db()
    assert first.profile.traits == {"n": 1}


def test_event_without_usable_identifiers_is_stored_without_a_profile():
    result = ingest_message({"type": "track", "event": "E", "anonymousId": "null"})

    assert result.profile is None and result.event.profile is None
    assert codes(result) == ["blocked_value", "unresolved"]
    assert Profile.objects.count() == 0


def test_alias_of_two_unknown_user_ids_keeps_the_first():
    result = ingest_message({"type": "alias", "previousId": "u-old", "userId": "u-new"})

    assert profile_sets() == {frozenset({"user_id:u-new"})}
    assert [(w["code"], w["value"]) for w in result.warnings] == [
        ("limit_exceeded", "u-old")
    ]


def test_weekly_window_only_counts_recent_anonymous_ids():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for day in range(5):
        ingest_message(
            {
                "type": "track",
                "event": "E",
                "userId": "u1",
                "anonymousId": f"a{day}",
                "timestamp": (start + timedelta(days=day)).isoformat(),
            }
        )

    within = ingest_message(
        {
            "type": "track",
            "event": "E",
            "userId": "u1",
            "anonymousId": "a5",
            "timestamp": (start + timedelta(days=6)).isoformat(),
        }
    )
    later = ingest_message(
        {
            "type": "track",
            "event": "E",
            "userId": "u1",
            "anonymousId": "a6",
            "timestamp": (start + timedelta(days=9)).isoformat(),
        }
    )

    assert codes(within) == ["limit_exceeded"]
    assert within.warnings[0]["message"] == (
        "Not attached: it would break the anonymous_id limit of 5 weekly."
    )
    assert later.warnings == []
    assert identifiers_of(later.profile) == {"user_id:u1"} | {
        f"anonymous_id:a{i}" for i in (0, 1, 2, 3, 4, 6)
    }


def test_tightened_limit_does_not_freeze_a_profile():
    for n in range(3):
        ingest_message(
            {"type": "identify", "userId": "u1", "traits": {"email": f"{n}@x.com"}}
        )
    Identifier.objects.filter(key="email").update(limit=2)

    result = ingest_message(
        {
            "type": "identify",
            "userId": "u1",
            "anonymousId": "a1",
            "traits": {"plan": "pro"},
        }
    )

    assert result.warnings == []
    assert "anonymous_id:a1" in identifiers_of(result.profile)
    assert result.profile.traits["plan"] == "pro"


def test_merge_cap_resolves_to_the_best_holder_without_merging():
    survivor = ingest_message({"type": "identify", "userId": "u-big"}).profile
    Profile.objects.bulk_create(Profile(merged_into=survivor) for _ in range(100))
    other = ingest_message({"type": "identify", "anonymousId": "a-other"}).profile

    result = ingest_message(
        {"type": "track", "event": "E", "userId": "u-big", "anonymousId": "a-other"}
    )

    assert result.profile == survivor and result.merges == 0
    assert codes(result) == ["merge_cap"]
    assert get_canonical_profile(uid=other.uid) == other
    with pytest.raises(MergeRefused, match="100 merges"):
        merge_profiles(survivor=survivor, other=other, actor="cli")


def test_identifier_cap_stops_attaching_but_events_still_resolve():
    profile = ingest_message({"type": "identify", "userId": "u-many"}).profile
    crm = Identifier.objects.create(
        key="crm_id", display_name="crm_id", priority=12, limit=1000
    )
    ExternalId.objects.bulk_create(
        ExternalId(profile=profile, identifier=crm, value=str(n)) for n in range(999)
    )

    result = ingest_message(
        {"type": "track", "event": "E", "userId": "u-many", "anonymousId": "a-new"}
    )

    assert result.profile == profile
    assert codes(result) == ["identifier_cap"]
    assert not ExternalId.objects.filter(value="a-new").exists()


def test_tombstones_point_straight_at_the_canonical_profile():
    a = ingest_message({"type": "identify", "userId": "u-a"}).profile
    b = ingest_message({"type": "identify", "anonymousId": "x-b"}).profile
    c = ingest_message({"type": "identify", "anonymousId": "x-c"}).profile
    ingest_message(
        {
            "type": "track",
            "event": "E",
            "anonymousId": "x-b",
            "properties": {"email": "c@x.com"},
        }
    )
    ingest_message(
        {"type": "identify", "anonymousId": "x-c", "traits": {"email": "c@x.com"}}
    )

    ingest_message({"type": "identify", "userId": "u-a", "anonymousId": "x-c"})

    b.refresh_from_db()
    c.refresh_from_db()
    assert (b.merged_into, c.merged_into) == (a, a)
    assert get_canonical_profile(uid=c.uid) == a
    assert list(Merge.objects.values_list("survivor", "merged")) == [
        (b.pk, c.pk),
        (a.pk, b.pk),
    ]


def test_manual_merge_of_a_stale_tombstone_uses_its_survivor():
    a = ingest_message({"type": "identify", "userId": "u-a"}).profile
    b = ingest_message({"type": "identify", "anonymousId": "x-b"}).profile
    c = ingest_message({"type": "identify", "anonymousId": "x-c"}).profile
    merge_profiles(survivor=a, other=b, actor="cli")

    merge = merge_profiles(survivor=b, other=c, actor="cli")

    assert (merge.survivor, merge.merged) == (a, c)
    assert profile_sets() == {
        frozenset({"user_id:u-a", "anonymous_id:x-b", "anonymous_id:x-c"})
    }


def test_an_over_long_value_is_refused_not_a_crash():
    result = ingest_message(
        {"type": "identify", "userId": "u" * 1025, "anonymousId": "a-long"}
    )

    assert identifiers_of(result.profile) == {"anonymous_id:a-long"}
    assert [(w["code"], w["identifier"]) for w in result.warnings] == [
        ("too_long", "user_id")
    ]


def test_a_settings_snapshot_serves_many_messages_as_read():
    snapshot = load_settings()
    Identifier.objects.filter(key="email").update(limit=1)

    first = ingest_message(
        {"type": "identify", "userId": "u1", "traits": {"email": "a@x.com"}},
        snapshot=snapshot,
    )
    second = ingest_message(
        {"type": "identify", "userId": "u1", "traits": {"email": "b@x.com"}},
        snapshot=snapshot,
    )

    # The snapshot still says email limit 5, so both emails are attached.
    assert second.profile == first.profile
    assert identifiers_of(second.profile) == {
        "user_id:u1",
        "email:a@x.com",
        "email:b@x.com",
    }


def test_a_type_added_by_one_message_stays_out_of_the_snapshot():
    snapshot = load_settings()
    message = {
        "type": "track",
        "event": "Bought",
        "anonymousId": "a1",
        "context": {"externalIds": [{"id": "S-1", "type": "shop_id"}]},
    }

    ingest_message({**message, "messageId": "m-1"}, snapshot=snapshot)
    result = ingest_message({**message, "messageId": "m-2"}, snapshot=snapshot)

    assert "shop_id" not in snapshot.identifiers
    assert identifiers_of(result.profile) == {"anonymous_id:a1", "shop_id:S-1"}
    assert Identifier.objects.filter(key="shop_id").count() == 1
