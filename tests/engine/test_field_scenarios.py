"""DOMAIN.md section 7 (F01-F13) at the domain level; F05 and F06 under real
concurrency live in test_concurrency.py."""

from __future__ import annotations

import pytest

from profiles.merge import (
    AlreadyMerged,
    AlreadyPresent,
    IdentifierRefused,
    MergeRefused,
    add_identifier,
    merge_profiles,
)
from profiles.models import AuditEntry, Event, ExternalId, Identifier
from profiles.search import Outcome, find_profile, find_profile_by_identifier
from tests.engine.conftest import (
    Feed,
    codes,
    holder,
    identifiers_of,
    map_channel,
    profile_sets,
)

pytestmark = pytest.mark.django_db


def test_f01_alias_of_two_identified_users_does_not_merge(feed):
    feed({"type": "identify", "userId": "u-alba", "anonymousId": "anon-a1"})
    feed({"type": "identify", "userId": "u-bram", "anonymousId": "anon-b1"})

    result = feed({"type": "alias", "previousId": "u-bram", "userId": "u-alba"})

    assert profile_sets() == {
        frozenset({"user_id:u-alba", "anonymous_id:anon-a1"}),
        frozenset({"user_id:u-bram", "anonymous_id:anon-b1"}),
    }
    assert result.profile == holder("user_id:u-alba")
    assert codes(result) == ["limit_exceeded", "limit_exceeded"]
    assert {w["value"] for w in result.warnings} == {"u-alba", "u-bram"}
    with pytest.raises(MergeRefused) as refused:
        merge_profiles(
            survivor=holder("user_id:u-alba"),
            other=holder("user_id:u-bram"),
            actor="cli",
        )
    assert refused.value.message == (
        "Refused: it would break the identifier limit of user_id (limit 1) "
        "on one profile."
    )
    assert len(profile_sets()) == 2 and not AuditEntry.objects.exists()


def test_f01_alias_of_an_anonymous_id_links_it(feed):
    feed({"type": "track", "event": "E", "anonymousId": "anon-1"})

    result = feed({"type": "alias", "previousId": "anon-1", "userId": "u-1"})

    assert profile_sets() == {frozenset({"anonymous_id:anon-1", "user_id:u-1"})}
    assert result.warnings == []


def test_f02_junk_ids_never_join_strangers(feed):
    results = [
        feed({"type": "identify", "userId": "u-cato", "anonymousId": "undefined"}),
        feed({"type": "identify", "userId": "u-dina", "anonymousId": "undefined"}),
        feed(
            {
                "type": "track",
                "event": "Page Viewed",
                "userId": "u-eli",
                "anonymousId": "[object Object]",
            }
        ),
        feed(
            {
                "type": "identify",
                "userId": "null",
                "anonymousId": "a-real-9",
                "traits": {"email": "fenn@example.test"},
            }
        ),
        feed({"type": "identify", "userId": "   ", "anonymousId": "a-real-10"}),
    ]

    assert profile_sets() == {
        frozenset({"user_id:u-cato"}),
        frozenset({"user_id:u-dina"}),
        frozenset({"user_id:u-eli"}),
        frozenset({"anonymous_id:a-real-9", "email:fenn@example.test"}),
        frozenset({"anonymous_id:a-real-10"}),
    }
    assert [codes(r) for r in results] == [["blocked_value"]] * 5
    assert [r.warnings[0]["identifier"] for r in results] == [
        "anonymous_id",
        "anonymous_id",
        "anonymous_id",
        "user_id",
        "user_id",
    ]
    assert Event.objects.filter(profile__isnull=True).count() == 0


def test_f03_shared_device_does_not_join_two_people(feed):
    gil = feed({"type": "identify", "userId": "u-gil", "anonymousId": "dev-7"})
    feed({"type": "track", "event": "Logged Out", "anonymousId": "dev-7"})
    hana = feed({"type": "identify", "userId": "u-hana", "anonymousId": "dev-7"})
    cart = feed({"type": "track", "event": "Cart Viewed", "anonymousId": "dev-7"})

    assert profile_sets() == {
        frozenset({"user_id:u-gil", "anonymous_id:dev-7"}),
        frozenset({"user_id:u-hana"}),
    }
    assert hana.profile != gil.profile and hana.created is True
    assert hana.warnings == [
        {
            "code": "limit_exceeded",
            "identifier": "anonymous_id",
            "message": "Not attached: it would break the user_id limit of 1.",
            "value": "dev-7",
        }
    ]
    assert cart.profile == gil.profile
    assert gil.profile.events.count() == 3 and hana.profile.events.count() == 1


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
def test_f04_order_of_arrival_does_not_matter(order):
    messages = [
        {"type": "track", "anonymousId": "a-jo", "event": "Page Viewed"},
        {
            "type": "identify",
            "userId": "u-jo",
            "anonymousId": "a-jo",
            "traits": {"email": "jo@example.test"},
        },
        {"type": "track", "userId": "u-jo", "event": "Signed Up"},
    ]
    feed = Feed("f04")

    for index in order:
        feed(messages[index])

    assert profile_sets() == {
        frozenset({"user_id:u-jo", "anonymous_id:a-jo", "email:jo@example.test"})
    }
    assert holder("user_id:u-jo").events.count() == 3


def test_f06_merges_in_both_directions_then_ingest(feed):
    p1 = feed({"type": "identify", "userId": "u-mia"}).profile
    p2 = feed(
        {
            "type": "identify",
            "traits": {"email": "mia@example.test"},
            "anonymousId": "x",
        }
    ).profile

    merge = merge_profiles(survivor=p1, other=p2, actor="admin-1")
    with pytest.raises(AlreadyMerged) as again:
        merge_profiles(survivor=p2, other=p1, actor="admin-2")
    result = feed(
        {"type": "identify", "userId": "u-mia", "traits": {"email": "mia@example.test"}}
    )

    assert (merge.survivor, merge.merged, merge.kind) == (p1, p2, "manual")
    assert again.value.survivor == p1
    assert result.profile == p1 and result.merges == 0
    assert profile_sets() == {
        frozenset({"user_id:u-mia", "email:mia@example.test", "anonymous_id:x"})
    }
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_label, entry.target) == (
        "profile.merge",
        "admin-1",
        p1.uid,
    )


def test_f07_object_traits_merge_key_by_key(feed):
    feed(
        {
            "type": "identify",
            "userId": "u-noa",
            "traits": {"plan": "pro", "address": {"city": "Springfield", "zip": "1"}},
        }
    )
    feed(
        {
            "type": "identify",
            "anonymousId": "a-noa",
            "traits": {"address": {"postal_code": "00001", "zip": "2"}},
        }
    )

    result = feed({"type": "identify", "userId": "u-noa", "anonymousId": "a-noa"})

    # Where both sides hold a key, the side whose trait was written last wins.
    assert result.profile.traits == {
        "plan": "pro",
        "address": {"city": "Springfield", "postal_code": "00001", "zip": "2"},
    }


def test_f08_stitched_history_is_found_by_email(feed):
    map_channel("email", to="email")
    feed({"type": "track", "anonymousId": "a-pia", "event": "Pricing Viewed"})
    feed(
        {
            "type": "identify",
            "userId": "u-pia",
            "anonymousId": "a-pia",
            "traits": {"email": "Pia@Example.test"},
        }
    )

    console = find_profile_by_identifier(
        identifier_key="email", value="pia@example.test"
    )
    lookup = find_profile(address_type="email", address="PIA@example.test")

    assert lookup.outcome == Outcome.FOUND and console == lookup.profile
    assert list(console.events.values_list("name", flat=True)) == ["Pricing Viewed", ""]
    assert identifiers_of(console) >= {"email:pia@example.test"}


def test_f09_invalid_phones_are_never_identifiers(feed):
    results = [
        feed(
            {"type": "identify", "userId": "u-quin", "traits": {"phone": "03432640000"}}
        ),
        feed({"type": "identify", "userId": "u-rae", "traits": {"phone": "+1234567"}}),
        feed({"type": "identify", "userId": "u-sol", "traits": {"phone": ""}}),
    ]

    assert profile_sets() == {
        frozenset({"user_id:u-quin"}),
        frozenset({"user_id:u-rae"}),
        frozenset({"user_id:u-sol"}),
    }
    assert [codes(r) for r in results] == [["invalid_phone"]] * 3
    assert results[0].profile.traits == {"phone": "03432640000"}
    with pytest.raises(IdentifierRefused):
        add_identifier(
            profile=results[2].profile,
            identifier_key="phone",
            value="03432640000",
            actor="admin",
        )
    assert not ExternalId.objects.filter(identifier__key="phone").exists()


def test_f10_lookup_format_differs_from_stored_format(feed):
    map_channel("voice", "sms", "whatsapp", to="phone")
    tao = feed(
        {"type": "identify", "userId": "u-tao", "traits": {"phone": "(202) 555-0143"}}
    ).profile

    found = [
        find_profile(address_type="voice", address="+12025550143"),
        find_profile(address_type="sms", address="+1 202-555-0143"),
        find_profile(address_type="whatsapp", address="whatsapp:+12025550143"),
    ]
    console = [
        find_profile_by_identifier(identifier_key="phone", value=typed)
        for typed in ["202-555-0143", "2025550143", "+1 (202) 555 0143"]
    ]

    assert [(r.outcome, r.profile) for r in found] == [(Outcome.FOUND, tao)] * 3
    assert console == [tao] * 3
    assert identifiers_of(tao) == {"user_id:u-tao", "phone:+12025550143"}


def test_f10_voice_sdk_and_sip_callers_are_not_phones():
    map_channel("voice", to="phone")

    for address in ["client:alice", "sip:alice@example.test"]:
        result = find_profile(address_type="voice", address=address)
        assert result.outcome == Outcome.INVALID_ADDRESS


def test_f11_email_case_and_the_reverse_trap(feed):
    uma = feed(
        {
            "type": "identify",
            "userId": "u-uma",
            "traits": {"email": "Uma.Ray@Example.TEST"},
        }
    ).profile
    feed(
        {
            "type": "identify",
            "anonymousId": "a-uma2",
            "traits": {"email": "  uma.ray@example.test "},
        }
    )
    feed(
        {
            "type": "identify",
            "anonymousId": "a-v",
            "traits": {"email": "umaray@example.test"},
        }
    )
    feed(
        {
            "type": "identify",
            "anonymousId": "a-w",
            "traits": {"email": "uma.ray+promo@example.test"},
        }
    )

    assert profile_sets() == {
        frozenset(
            {"user_id:u-uma", "email:uma.ray@example.test", "anonymous_id:a-uma2"}
        ),
        frozenset({"anonymous_id:a-v", "email:umaray@example.test"}),
        frozenset({"anonymous_id:a-w", "email:uma.ray+promo@example.test"}),
    }
    assert holder("user_id:u-uma") == uma


def test_f12_double_submits_are_harmless(feed):
    p1 = feed({"type": "identify", "userId": "u-1"}).profile
    p2 = feed({"type": "identify", "anonymousId": "a-2"}).profile

    merge_profiles(survivor=p1, other=p2, actor="admin")
    with pytest.raises(AlreadyMerged) as second:
        merge_profiles(survivor=p1, other=p2, actor="admin")
    added = add_identifier(
        profile=p1, identifier_key="email", value="x@example.test", actor="admin"
    )
    with pytest.raises(AlreadyPresent) as present:
        add_identifier(
            profile=p2, identifier_key="email", value="X@example.test", actor="admin"
        )

    assert second.value.survivor == p1
    assert present.value.external_id == added
    assert ExternalId.objects.filter(identifier__key="email").count() == 1
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        "profile.add_identifier",
        "profile.merge",
    ]


def test_f13_over_the_limit_drops_the_value_not_the_profile(feed):
    Identifier.objects.filter(key="email").update(limit=2)
    for email in ["w1", "w2"]:
        feed(
            {
                "type": "identify",
                "userId": "u-wen",
                "traits": {"email": f"{email}@example.test"},
            }
        )

    third = feed(
        {
            "type": "identify",
            "userId": "u-wen",
            "traits": {"email": "w3@example.test", "plan": "pro"},
        }
    )
    track = feed({"type": "track", "userId": "u-wen", "event": "Order Completed"})
    profile_after_4 = profile_sets()
    fifth = feed(
        {
            "type": "identify",
            "anonymousId": "a-x",
            "traits": {"email": "w3@example.test"},
        }
    )

    assert profile_after_4 == {
        frozenset({"user_id:u-wen", "email:w1@example.test", "email:w2@example.test"})
    }
    assert third.profile == track.profile and third.profile.traits["plan"] == "pro"
    assert third.warnings == [
        {
            "code": "limit_exceeded",
            "identifier": "email",
            "message": "Not attached: it would break the email limit of 2.",
            "value": "w3@example.test",
        }
    ]
    assert track.warnings == [] and track.profile.events.count() == 4
    assert fifth.created is True
    assert identifiers_of(fifth.profile) == {
        "anonymous_id:a-x",
        "email:w3@example.test",
    }
