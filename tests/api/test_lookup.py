"""The contact-center lookup: `GET` looks, `POST` may create (rule 0.10)."""

from __future__ import annotations

import json

import pytest

from profiles.credentials import create_access_token, revoke_access_token
from profiles.models import AddressType, Identifier, Profile

from .conftest import basic, holder, store_counts

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup"


@pytest.fixture
def known(send, contact_center_mapping):
    """P(u1) holding a phone and an email, with a name."""
    send(
        "/v1/identify",
        {
            "userId": "u1",
            "traits": {"phone": "(415) 555-0123", "email": "Ann@x.com", "name": "Ann"},
        },
    )
    return holder("user_id:u1")


@pytest.fixture
def bearer(access_token):
    return {"HTTP_AUTHORIZATION": f"Bearer {access_token}"}


def post(client, body, **headers):
    return client.post(LOOKUP, json.dumps(body), "application/json", **headers)


@pytest.mark.parametrize(
    ("address_type", "address"),
    [
        ("sms", "+1 (415) 555-0123"),
        ("voice", "+14155550123"),
        ("whatsapp", "whatsapp:+14155550123"),
        ("email", "ANN@X.COM"),
        ("email", "Ann <ann@x.com>"),
    ],
)
def test_get_finds_the_profile_by_any_mapped_address(
    client, bearer, known, address_type, address
):
    response = client.get(
        LOOKUP, {"address_type": address_type, "address": address}, **bearer
    )

    assert response.status_code == 200
    assert response.json() == {
        "profile": {
            "id": known.uid,
            "identifiers": [
                {"type": "user_id", "display_name": "user_id", "value": "u1"},
                {"type": "email", "display_name": "email", "value": "ann@x.com"},
                {"type": "phone", "display_name": "phone", "value": "+14155550123"},
            ],
            "traits": {"phone": "(415) 555-0123", "email": "Ann@x.com", "name": "Ann"},
        },
        "created": False,
    }
    assert response["Request-Id"]


def test_identifiers_carry_their_display_names(client, bearer, known):
    Identifier.objects.filter(key="phone").update(display_name="Phone number")

    response = client.get(
        LOOKUP, {"address_type": "sms", "address": "+14155550123"}, **bearer
    )

    assert response.json()["profile"]["identifiers"][2] == {
        "type": "phone",
        "display_name": "Phone number",
        "value": "+14155550123",
    }


def test_the_token_may_be_the_basic_user_name(client, access_token, known):
    response = client.get(
        LOOKUP,
        {"address_type": "sms", "address": "+14155550123"},
        HTTP_AUTHORIZATION=basic(access_token),
    )

    assert response.status_code == 200


def test_get_never_creates(client, bearer, contact_center_mapping):
    response = client.get(
        LOOKUP, {"address_type": "sms", "address": "+442071838750"}, **bearer
    )

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "No profile holds this address."}
    }
    assert store_counts() == (0, 0, 0)


def test_post_creates_a_profile_holding_only_that_identifier(
    client, bearer, contact_center_mapping
):
    response = post(
        client, {"address_type": "sms", "address": "+44 20 7183 8750"}, **bearer
    )

    profile = Profile.objects.get()
    assert response.status_code == 200
    assert response.json() == {
        "profile": {
            "id": profile.uid,
            "identifiers": [
                {"type": "phone", "display_name": "phone", "value": "+442071838750"}
            ],
            "traits": {},
        },
        "created": True,
    }

    again = post(client, {"address_type": "sms", "address": "+442071838750"}, **bearer)
    assert again.json()["created"] is False
    assert again.json()["profile"]["id"] == profile.uid
    assert Profile.objects.count() == 1


def test_post_with_create_false_only_looks(client, bearer, contact_center_mapping):
    response = post(
        client,
        {"address_type": "sms", "address": "+442071838750", "create": False},
        **bearer,
    )

    assert response.status_code == 404
    assert store_counts() == (0, 0, 0)


def test_post_create_defaults_to_the_setting(
    client, bearer, contact_center_mapping, settings
):
    settings.LOOKUP_CREATES_PROFILES = False

    response = post(
        client, {"address_type": "sms", "address": "+442071838750"}, **bearer
    )

    assert response.status_code == 404
    assert store_counts() == (0, 0, 0)


def test_a_disabled_address_type_is_409_and_creates_nothing(client, bearer, known):
    AddressType.objects.filter(key="voice").update(search_enabled=False)
    before = store_counts()

    response = post(
        client, {"address_type": "voice", "address": "+14155550123"}, **bearer
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "search_disabled",
            "message": "Search by this address type is disabled.",
        }
    }
    assert store_counts() == before


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"address_type": "chat", "address": "visitor-1"}, 422, "not_mapped",
         "This address type is not mapped to an identifier."),
        ({"address_type": "fax", "address": "+14155550123"}, 400,
         "unknown_address_type", "There is no such address type."),
        ({"address_type": "sms", "address": "+1234567"}, 422, "invalid_address",
         "The address is not a valid value for the mapped identifier."),
        ({"address_type": "sms", "address": "03432640000"}, 422, "invalid_address",
         "The address is not a valid value for the mapped identifier."),
        ({"address_type": "voice", "address": "client:alice"}, 422,
         "invalid_address",
         "The address is not a valid value for the mapped identifier."),
        ({"address_type": "email", "address": "not-an-email"}, 422,
         "invalid_address",
         "The address is not a valid value for the mapped identifier."),
        ({"address_type": "sms"}, 400, "invalid_request",
         "'address' must be a non-empty string."),
        ({"address_type": "sms", "address": 14155550123}, 400, "invalid_request",
         "'address' must be a non-empty string."),
        ({"address_type": ["sms"], "address": "+1"}, 400, "invalid_request",
         "'address_type' must be a non-empty string."),
        ({"address_type": "sms", "address": "+14155550124", "create": "yes"}, 400,
         "invalid_request", "'create' must be true or false."),
    ],
)  # fmt: skip
def test_refused_lookups_answer_their_code_and_create_nothing(
    client, bearer, contact_center_mapping, body, status, code, message
):
    response = post(client, body, **bearer)

    assert response.status_code == status
    assert response.json() == {"error": {"code": code, "message": message}}
    assert store_counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{oops", "The body is not valid JSON."),
        (b'"sms"', "The body must be a JSON object."),
    ],
)
def test_a_malformed_body_is_400(client, bearer, contact_center_mapping, data, message):
    response = client.post(LOOKUP, data, "application/json", **bearer)

    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid_request", "message": message}}


def test_get_without_parameters_is_400(client, bearer):
    response = client.get(LOOKUP, {"address_type": "sms"}, **bearer)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "Give both 'address_type' and 'address'.",
        }
    }


@pytest.mark.parametrize("authorization", [None, "Bearer pat_wrong", basic("")])
def test_a_missing_or_wrong_token_is_401(client, contact_center_mapping, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = post(
        client, {"address_type": "sms", "address": "+442071838750"}, **headers
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_error"
    assert store_counts() == (0, 0, 0)


def test_a_revoked_token_is_401(client, contact_center_mapping):
    _, secret = create_access_token(name="old", actor="test")
    revoke_access_token(name="old", actor="test")

    response = client.get(
        LOOKUP,
        {"address_type": "sms", "address": "+14155550123"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    assert response.status_code == 401


def test_a_write_key_is_not_an_access_token(client, write_key, contact_center_mapping):
    response = client.get(
        LOOKUP,
        {"address_type": "sms", "address": "+14155550123"},
        HTTP_AUTHORIZATION=basic(write_key),
    )

    assert response.status_code == 401


def test_an_oversized_body_is_400(client, bearer, contact_center_mapping):
    body = {"address_type": "sms", "address": "+442071838750", "pad": "x" * 20_000}

    response = post(client, body, **bearer)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "The body is larger than 16 KiB once decompressed.",
        }
    }
    assert store_counts() == (0, 0, 0)
