"""find_profile / find_or_create_profile outcomes (DOMAIN.md 1.5, rule 0.10)."""

from __future__ import annotations

import pytest

from profiles.models import AddressType, Identifier, Profile
from profiles.resolution import ingest_message
from profiles.search import (
    Outcome,
    SearchResult,
    find_or_create_profile,
    find_profile,
    find_profile_by_identifier,
    get_canonical_profile,
)
from tests.engine.conftest import identifiers_of, map_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat_mapped(mapped):
    map_channel("chat", to="user_id")


@pytest.fixture
def jane(chat_mapped):
    return ingest_message(
        {
            "type": "identify",
            "userId": "Jane-1",
            "traits": {"email": "jane@x.com", "phone": "+14155550123"},
        }
    ).profile


@pytest.mark.parametrize(
    ("address_type", "address"),
    [
        ("voice", "+14155550123"),
        ("voice", "tel:+1 415 555 0123"),
        ("sms", "(415) 555-0123"),
        ("whatsapp", "whatsapp:+14155550123"),
        ("email", "Jane <Jane@X.com>"),
        ("email", "  JANE@x.com "),
        ("chat", " Jane-1 "),
    ],
)
def test_found(jane, address_type, address):
    assert find_profile(address_type=address_type, address=address) == SearchResult(
        outcome=Outcome.FOUND, profile=jane
    )


@pytest.mark.parametrize(
    ("address_type", "address", "outcome"),
    [
        ("sms", "+14155550999", Outcome.NOT_FOUND),
        ("chat", "jane-1", Outcome.NOT_FOUND),  # raw ids keep their case
        ("voice", "client:alice", Outcome.INVALID_ADDRESS),
        ("voice", "sip:alice@example.test", Outcome.INVALID_ADDRESS),
        ("sms", "03432640000", Outcome.INVALID_ADDRESS),
        ("email", "not an address", Outcome.INVALID_ADDRESS),
        ("messenger", "messenger:123", Outcome.NOT_MAPPED),
        ("fax", "+14155550123", Outcome.UNKNOWN_ADDRESS_TYPE),
    ],
)
def test_other_outcomes(jane, address_type, address, outcome):
    assert find_profile(address_type=address_type, address=address) == SearchResult(
        outcome=outcome
    )


def test_disabled_wins_over_not_mapped():
    AddressType.objects.filter(key="messenger").update(search_enabled=False)

    result = find_profile(address_type="messenger", address="messenger:1")

    assert result.outcome == Outcome.SEARCH_DISABLED


def test_messenger_prefix_is_stripped(mapped):
    custom = Identifier.objects.create(key="psid", display_name="psid", priority=12)
    AddressType.objects.filter(key="messenger").update(identifier=custom)

    created = find_or_create_profile(address_type="messenger", address="messenger:77")

    assert identifiers_of(created.profile) == {"psid:77"}
    assert created.created is True


def test_blocked_address_never_creates(chat_mapped):
    result = find_or_create_profile(address_type="chat", address="undefined")

    assert result == SearchResult(outcome=Outcome.INVALID_ADDRESS)
    assert Profile.objects.count() == 0


def test_created_profile_then_receives_events(mapped):
    created = find_or_create_profile(
        address_type="sms", address="+442071838750"
    ).profile

    result = ingest_message(
        {"type": "identify", "userId": "u12", "traits": {"phone": "+44 20 7183 8750"}}
    )

    assert result.profile == created
    assert identifiers_of(created) == {"phone:+442071838750", "user_id:u12"}


def test_find_profile_by_identifier(jane):
    assert (
        find_profile_by_identifier(identifier_key="phone", value="415-555-0123") == jane
    )
    assert (
        find_profile_by_identifier(identifier_key="email", value="JANE@X.COM") == jane
    )
    assert find_profile_by_identifier(identifier_key="phone", value="12") is None
    assert find_profile_by_identifier(identifier_key="nope", value="x") is None


def test_get_canonical_profile_follows_merges(jane):
    other = ingest_message({"type": "identify", "anonymousId": "a-9"}).profile
    ingest_message({"type": "identify", "userId": "Jane-1", "anonymousId": "a-9"})

    assert get_canonical_profile(uid=other.uid) == jane
    assert get_canonical_profile(uid=jane.uid) == jane
    assert get_canonical_profile(uid="use_missing") is None
