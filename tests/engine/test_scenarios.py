"""DOMAIN.md section 6 scenarios at the domain level (HTTP-only ones elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from profiles.deletion import LastUserIdRefused, delete_profile, remove_identifier
from profiles.models import (
    AddressType,
    AuditEntry,
    Event,
    Identifier,
    Merge,
    Profile,
)
from profiles.resolution import ingest_message
from profiles.search import (
    Outcome,
    find_or_create_profile,
    find_profile,
    find_profile_by_identifier,
    get_canonical_profile,
)
from tests.engine.conftest import codes, identifiers_of, profile_sets

pytestmark = pytest.mark.django_db


def test_1_new_profile(feed):
    result = feed(
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"email": "a@x.com", "name": "Ann"},
        }
    )

    assert result.created is True
    assert profile_sets() == {frozenset({"user_id:u1", "email:a@x.com"})}
    assert result.profile.traits == {"email": "a@x.com", "name": "Ann"}
    assert result.profile.created_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert result.warnings == []


def test_2_attach_to_existing(feed):
    first = feed({"type": "identify", "userId": "u1", "traits": {"email": "a@x.com"}})

    second = feed({"type": "track", "userId": "u1", "event": "Order Completed"})

    assert second.profile == first.profile
    assert second.created is False
    assert profile_sets() == {frozenset({"user_id:u1", "email:a@x.com"})}
    assert list(first.profile.events.values_list("type", "name")) == [
        ("identify", ""),
        ("track", "Order Completed"),
    ]


def test_3_anonymous_to_known(feed):
    first = feed({"type": "page", "anonymousId": "an1", "name": "Home"})

    second = feed({"type": "track", "anonymousId": "an1", "userId": "u9", "event": "X"})

    assert second.profile == first.profile
    assert profile_sets() == {frozenset({"anonymous_id:an1", "user_id:u9"})}
    assert first.event.name == "Home"


def test_4_merge_by_shared_identifier_oldest_survives():
    a = ingest_message(
        {
            "type": "identify",
            "anonymousId": "an1",
            "traits": {"email": "a@x.com"},
            "timestamp": "2024-01-01T10:00:00Z",
        }
    ).profile
    b = ingest_message(
        {"type": "identify", "userId": "u2", "timestamp": "2024-01-01T10:05:00Z"}
    ).profile

    result = ingest_message(
        {
            "type": "track",
            "event": "Linked",
            "userId": "u2",
            "anonymousId": "an1",
            "timestamp": "2024-01-01T10:10:00Z",
        }
    )

    assert result.profile == a
    assert result.merges == 1
    assert get_canonical_profile(uid=b.uid) == a
    assert profile_sets() == {
        frozenset({"anonymous_id:an1", "email:a@x.com", "user_id:u2"})
    }
    merge = Merge.objects.get()
    assert (merge.survivor, merge.merged, merge.kind) == (a, b, "event")
    assert (merge.identifier.key, merge.value, merge.event) == (
        "user_id",
        "u2",
        result.event,
    )
    assert a.events.count() == 3


def test_8_and_9_lookup_by_phone_and_whatsapp(feed, mapped):
    profile = feed(
        {"type": "identify", "userId": "u8", "traits": {"phone": "+14155550123"}}
    ).profile

    sms = find_profile(address_type="sms", address="+1 (415) 555-0123")
    whatsapp = find_profile(address_type="whatsapp", address="whatsapp:+14155550123")

    assert (sms.outcome, sms.profile) == (Outcome.FOUND, profile)
    assert (whatsapp.outcome, whatsapp.profile) == (Outcome.FOUND, profile)


def test_10_unmapped_address_type_does_not_search(feed):
    feed({"type": "identify", "userId": "u10", "traits": {"email": "a@x.com"}})

    looked = find_profile(address_type="email", address="a@x.com")
    created = find_or_create_profile(address_type="email", address="a@x.com")

    assert looked.outcome == Outcome.NOT_MAPPED and looked.profile is None
    assert created.outcome == Outcome.NOT_MAPPED and created.profile is None
    assert Profile.objects.count() == 1


def test_11_disabled_address_type_keeps_mapping(feed, mapped):
    profile = feed(
        {"type": "identify", "userId": "u11", "traits": {"phone": "+14155550123"}}
    ).profile
    AddressType.objects.filter(key="voice").update(search_enabled=False)

    off = find_or_create_profile(address_type="voice", address="+14155550000")
    AddressType.objects.filter(key="voice").update(search_enabled=True)
    on = find_profile(address_type="voice", address="+14155550123")

    assert (off.outcome, off.profile) == (Outcome.SEARCH_DISABLED, None)
    assert (on.outcome, on.profile) == (Outcome.FOUND, profile)
    assert Profile.objects.count() == 1


def test_12_no_match_creates_a_profile_holding_only_that_phone(mapped):

    result = find_or_create_profile(address_type="sms", address="+442071838750")
    again = find_or_create_profile(address_type="sms", address="+44 20 7183 8750")

    assert (result.outcome, result.created) == (Outcome.FOUND, True)
    assert identifiers_of(result.profile) == {"phone:+442071838750"}
    assert (again.outcome, again.created, again.profile) == (
        Outcome.FOUND,
        False,
        result.profile,
    )
    assert result.profile.events.count() == 0


def test_12_lookup_only_finds_nothing(mapped):

    result = find_profile(address_type="sms", address="+442071838750")

    assert (result.outcome, result.profile) == (Outcome.NOT_FOUND, None)
    assert Profile.objects.count() == 0


def test_13_blocked_exact_value(feed):
    result = feed(
        {"type": "identify", "userId": "null", "traits": {"email": "b@x.com"}}
    )

    assert profile_sets() == {frozenset({"email:b@x.com"})}
    assert result.event.payload["userId"] == "null"
    assert result.warnings == [
        {
            "code": "blocked_value",
            "identifier": "user_id",
            "message": (
                "The value is on the blocked list and is not used as an identifier."
            ),
            "field": "userId",
            "value": "null",
        }
    ]


def test_14_blocked_by_pattern(feed):
    result = feed(
        {"type": "track", "event": "V", "userId": "0000-000", "anonymousId": "an5"}
    )

    assert profile_sets() == {frozenset({"anonymous_id:an5"})}
    assert codes(result) == ["blocked_value"]


def test_15_email_case_folding(feed):
    first = feed(
        {"type": "identify", "userId": "u3", "traits": {"email": " Jane@Example.COM "}}
    )

    second = feed(
        {
            "type": "identify",
            "anonymousId": "an7",
            "traits": {"email": "jane@example.com"},
        }
    )

    assert second.profile == first.profile
    assert profile_sets() == {
        frozenset({"user_id:u3", "email:jane@example.com", "anonymous_id:an7"})
    }
    assert (
        find_profile_by_identifier(identifier_key="email", value="JANE@example.com")
        == first.profile
    )


def test_16_phone_formats_are_one_identifier(feed):
    for raw in ["(415) 555-0123", "415.555.0123", "+1 415 555 0123"]:
        feed({"type": "identify", "userId": "u16", "traits": {"phone": raw}})

    assert profile_sets() == {frozenset({"user_id:u16", "phone:+14155550123"})}


def test_17_limit_violation_demotes_the_lower_priority_identifier(feed):
    a = feed(
        {
            "type": "identify",
            "userId": "abc123",
            "traits": {"email": "jane@example1.com"},
        }
    ).profile

    result = feed(
        {
            "type": "identify",
            "userId": "abc456",
            "traits": {"email": "jane@example1.com", "plan": "pro"},
        }
    )

    assert result.profile != a
    assert profile_sets() == {
        frozenset({"user_id:abc123", "email:jane@example1.com"}),
        frozenset({"user_id:abc456"}),
    }
    assert result.profile.traits == {"email": "jane@example1.com", "plan": "pro"}
    assert result.event.profile == result.profile
    assert result.warnings == [
        {
            "code": "limit_exceeded",
            "identifier": "email",
            "message": "Not attached: it would break the user_id limit of 1.",
            "value": "jane@example1.com",
        }
    ]
    a.refresh_from_db()
    assert "plan" not in a.traits


def test_18_trait_conflict_newer_value_wins(feed):
    ingest_message(
        {
            "type": "identify",
            "anonymousId": "a18",
            "traits": {"plan": "free"},
            "timestamp": "2024-01-01T00:00:00Z",
        }
    )
    ingest_message(
        {
            "type": "identify",
            "userId": "u18",
            "traits": {"plan": "pro"},
            "timestamp": "2024-03-01T00:00:00Z",
        }
    )

    result = ingest_message(
        {
            "type": "identify",
            "userId": "u18",
            "anonymousId": "a18",
            "timestamp": "2024-04-01T00:00:00Z",
        }
    )

    assert result.profile.traits == {"plan": "pro"}
    stamp = result.profile.trait_updated_at["plan"]
    assert stamp[0] == "2024-03-01T00:00:00+00:00"


def test_18_older_event_never_overwrites(feed):
    ingest_message(
        {
            "type": "identify",
            "userId": "u",
            "traits": {"plan": "pro"},
            "timestamp": "2024-03-01T00:00:00Z",
        }
    )

    result = ingest_message(
        {
            "type": "identify",
            "userId": "u",
            "traits": {"plan": "free", "city": "Oslo"},
            "timestamp": "2024-01-01T00:00:00Z",
        }
    )

    assert result.profile.traits == {"plan": "pro", "city": "Oslo"}


def test_same_time_later_arrival_wins():
    for plan in ["free", "pro"]:
        result = ingest_message(
            {
                "type": "identify",
                "userId": "u",
                "traits": {"plan": plan},
                "timestamp": "2024-03-01T00:00:00Z",
            }
        )

    assert result.profile.traits == {"plan": "pro"}


def test_19_non_conflicting_traits_are_united(feed):
    feed({"type": "identify", "anonymousId": "a19", "traits": {"city": "Paris"}})
    feed({"type": "identify", "userId": "u19", "traits": {"age": 30}})

    result = feed(
        {"type": "track", "event": "V", "userId": "u19", "anonymousId": "a19"}
    )

    assert result.profile.traits == {"city": "Paris", "age": 30}


def test_20_null_removes_and_empty_string_keeps(feed):
    feed(
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"nickname": "Nick", "title": "x"},
        }
    )

    result = feed(
        {"type": "identify", "userId": "u1", "traits": {"nickname": None, "title": ""}}
    )

    assert result.profile.traits == {"title": ""}


def test_removed_trait_is_not_revived_by_an_older_event():
    ingest_message(
        {
            "type": "identify",
            "userId": "u",
            "traits": {"nickname": None},
            "timestamp": "2024-03-01T00:00:00Z",
        }
    )

    result = ingest_message(
        {
            "type": "identify",
            "userId": "u",
            "traits": {"nickname": "Old"},
            "timestamp": "2024-01-01T00:00:00Z",
        }
    )

    assert result.profile.traits == {}


def test_23_deletion(feed):
    old = feed(
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"email": "a@x.com", "name": "Ann"},
        }
    ).profile
    feed({"type": "track", "userId": "u1", "event": "Bought"})

    summary = delete_profile(profile=old, actor="cli")
    result = feed({"type": "identify", "userId": "u1"})

    assert summary == {
        "profile": old.uid,
        "merged_profiles": [],
        "identifiers": 2,
        "events": 2,
    }
    assert get_canonical_profile(uid=old.uid) is None
    assert find_profile_by_identifier(identifier_key="email", value="a@x.com") is None
    assert result.created is True and result.profile.uid != old.uid
    assert result.profile.traits == {}
    assert Event.objects.count() == 1
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_label, entry.target) == (
        "profile.delete",
        "cli",
        old.uid,
    )
    assert "a@x.com" not in str(entry.before)


def test_23_deletion_takes_merged_profiles_along(feed):
    a = feed({"type": "identify", "anonymousId": "a1"}).profile
    b = feed({"type": "identify", "userId": "u1"}).profile
    feed({"type": "identify", "userId": "u1", "anonymousId": "a1"})

    summary = delete_profile(profile=b, actor="cli")

    assert summary["profile"] == a.uid and summary["merged_profiles"] == [b.uid]
    assert Profile.objects.count() == 0 and Merge.objects.count() == 0


def test_24_remove_one_identifier(feed):
    p1 = feed(
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"email": "a@x.com", "name": "Ann"},
        }
    ).profile

    remove_identifier(profile=p1, identifier_key="email", value="A@x.com", actor="cli")
    later = feed(
        {"type": "identify", "anonymousId": "an9", "traits": {"email": "a@x.com"}}
    )

    assert later.profile != p1
    assert profile_sets() == {
        frozenset({"user_id:u1"}),
        frozenset({"anonymous_id:an9", "email:a@x.com"}),
    }
    p1.refresh_from_db()
    assert p1.traits["name"] == "Ann" and p1.events.count() == 1
    entry = AuditEntry.objects.get()
    assert entry.before["identifier"] == "email" and "a@x.com" not in str(entry.before)
    with pytest.raises(LastUserIdRefused):
        remove_identifier(profile=p1, identifier_key="user_id", value="u1", actor="cli")
    assert identifiers_of(p1) == {"user_id:u1"}


def test_26_unknown_external_id_type_is_added(feed):
    result = feed(
        {
            "type": "identify",
            "userId": "u26",
            "context": {
                "externalIds": [
                    {
                        "id": "S-1",
                        "type": "shopify_id",
                        "collection": "users",
                        "encoding": "none",
                    }
                ]
            },
        }
    )

    shopify = Identifier.objects.get(key="shopify_id")
    assert (shopify.limit, shopify.limit_window, shopify.normaliser) == (
        5,
        "ever",
        "raw",
    )
    assert shopify.priority == 12 and shopify.display_name == "shopify_id"
    assert identifiers_of(result.profile) == {"user_id:u26", "shopify_id:S-1"}


def test_custom_identifier_is_read_from_its_trait_key(feed):
    Identifier.objects.create(key="loyalty_id", display_name="loyalty_id", priority=12)

    result = feed(
        {
            "type": "track",
            "event": "E",
            "anonymousId": "a",
            "properties": {"loyalty_id": 778},
        }
    )

    assert identifiers_of(result.profile) == {"anonymous_id:a", "loyalty_id:778"}
