"""The scenarios of DOMAIN.md sections 6 and 7 that go through HTTP."""

from __future__ import annotations

import pytest

from profiles.models import Event

from .conftest import canonical_profiles, holder, store_counts

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup"


def lookup(client, token, address_type, address):
    return client.get(
        LOOKUP,
        {"address_type": address_type, "address": address},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_21_profile_api_addressing(send, read):
    send("/v1/identify", {"userId": "u1", "traits": {"phone": "+14155550123"}})

    found = read("phone:%2B14155550123", "traits")
    wrong_token = read("phone:%2B14155550123", "traits", token="pat_wrong")
    unknown = read("phone:%2B14155550199", "traits")

    assert found.status_code == 200
    assert found.json()["traits"] == {"phone": "+14155550123"}
    assert wrong_token.status_code == 401
    assert wrong_token.json()["error"]["code"] == "authentication_error"
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": {"code": "not_found", "message": "Profile was not found."}
    }


def test_22_tracking_api_auth_and_size(send):
    track = send("/v1/track", {"userId": "u1", "event": "Tap"})
    too_big_call = send(
        "/v1/track", {"userId": "u2", "event": "Tap", "properties": {"x": "y" * 33_000}}
    )
    too_big_batch = send(
        "/v1/batch",
        {
            "batch": [
                {"type": "track", "userId": f"u{index}", "event": "Tap",
                 "properties": {"x": "y" * 30_000}}
                for index in range(3, 21)
            ]
        },
    )  # fmt: skip
    valid_batch = send(
        "/v1/batch",
        {
            "batch": [
                {"type": "identify", "userId": "u1", "traits": {"plan": "pro"}},
                {"type": "track", "userId": "u1", "event": "Order Completed"},
                {"type": "page", "anonymousId": "an1", "name": "Home"},
            ]
        },
    )

    assert track.status_code == 200
    assert too_big_call.status_code == 400
    assert too_big_batch.status_code == 400
    assert too_big_batch.json()["error"]["code"] == "request_too_large"
    assert valid_batch.json() == {"success": True}
    assert canonical_profiles() == {
        frozenset({"user_id:u1"}),
        frozenset({"anonymous_id:an1"}),
    }
    assert holder("user_id:u1").events.count() == 3
    assert Event.objects.filter(profile=None).count() == 0


def test_f01_alias_of_two_identified_users_answers_200_and_merges_nothing(send):
    send("/v1/identify", {"userId": "u-alba", "anonymousId": "anon-a1"})
    send("/v1/identify", {"userId": "u-bram", "anonymousId": "anon-b1"})

    response = send("/v1/alias", {"previousId": "u-bram", "userId": "u-alba"})

    assert response.json() == {"success": True}
    assert canonical_profiles() == {
        frozenset({"user_id:u-alba", "anonymous_id:anon-a1"}),
        frozenset({"user_id:u-bram", "anonymous_id:anon-b1"}),
    }
    alias = Event.objects.get(type="alias")
    assert {(w["code"], w["identifier"]) for w in alias.warnings} == {
        ("limit_exceeded", "user_id")
    }


def test_f02_junk_ids_never_join_strangers(send):
    response = send(
        "/v1/batch",
        {
            "batch": [
                {"type": "identify", "userId": "u-cato", "anonymousId": "undefined"},
                {"type": "identify", "userId": "u-dina", "anonymousId": "undefined"},
                {"type": "track", "userId": "u-eli", "anonymousId": "[object Object]",
                 "event": "Page Viewed"},
                {"type": "identify", "userId": "null", "anonymousId": "a-real-9",
                 "traits": {"email": "fenn@example.test"}},
                {"type": "identify", "userId": "   ", "anonymousId": "a-real-10"},
            ]
        },
    )  # fmt: skip

    assert response.json() == {"success": True}
    assert canonical_profiles() == {
        frozenset({"user_id:u-cato"}),
        frozenset({"user_id:u-dina"}),
        frozenset({"user_id:u-eli"}),
        frozenset({"anonymous_id:a-real-9", "email:fenn@example.test"}),
        frozenset({"anonymous_id:a-real-10"}),
    }
    assert Event.objects.count() == 5
    assert all(event.warnings for event in Event.objects.all())


M1 = {"type": "track", "anonymousId": "a-jo", "event": "Page Viewed"}
M2 = {
    "type": "identify",
    "userId": "u-jo",
    "anonymousId": "a-jo",
    "traits": {"email": "jo@example.test"},
}
M3 = {"type": "track", "userId": "u-jo", "event": "Signed Up"}


@pytest.mark.parametrize(
    "calls",
    [
        [[M1], [M2], [M3]],
        [[M3], [M1], [M2]],
        [[M2], [M3], [M1]],
        [[M3, M1, M2]],
    ],
    ids=["M1-M2-M3", "M3-M1-M2", "M2-M3-M1", "batch-M3-M1-M2"],
)
def test_f04_arrival_order_does_not_matter(send, calls):
    for messages in calls:
        assert send("/v1/batch", {"batch": messages}).json() == {"success": True}

    assert canonical_profiles() == {
        frozenset({"user_id:u-jo", "anonymous_id:a-jo", "email:jo@example.test"})
    }
    assert holder("user_id:u-jo").events.count() == 3


def test_f08_stitched_history_is_found_by_email_in_any_case(
    client, send, read, access_token, contact_center_mapping
):
    send("/v1/track", {"anonymousId": "a-pia", "event": "Pricing Viewed"})
    send(
        "/v1/identify",
        {
            "userId": "u-pia",
            "anonymousId": "a-pia",
            "traits": {"email": "Pia@Example.test"},
        },
    )

    found = lookup(client, access_token, "email", "PIA@example.test")
    timeline = read("email:pia@example.test", "events", sort="asc").json()["data"]

    profile = holder("user_id:u-pia")
    assert found.json()["profile"]["id"] == profile.uid
    assert {"type": "email", "display_name": "email", "value": "pia@example.test"} in (
        found.json()["profile"]["identifiers"]
    )
    assert [(item["type"], item["event"]) for item in timeline] == [
        ("track", "Pricing Viewed"),
        ("identify", ""),
    ]
    assert canonical_profiles() == {
        frozenset({"user_id:u-pia", "anonymous_id:a-pia", "email:pia@example.test"})
    }


def test_f10_every_phone_format_finds_the_one_profile(
    client, send, access_token, contact_center_mapping
):
    send("/v1/identify", {"userId": "u-tao", "traits": {"phone": "(202) 555-0143"}})
    profile = holder("user_id:u-tao")

    answers = [
        lookup(client, access_token, "voice", "+12025550143"),
        lookup(client, access_token, "sms", "+1 202-555-0143"),
        lookup(client, access_token, "whatsapp", "whatsapp:+12025550143"),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert {answer.json()["profile"]["id"] for answer in answers} == {profile.uid}
    assert canonical_profiles() == {frozenset({"user_id:u-tao", "phone:+12025550143"})}


def test_f11_email_case_and_spaces_fold_but_dots_and_plus_do_not(send, read):
    for body in [
        {"userId": "u-uma", "traits": {"email": "Uma.Ray@Example.TEST"}},
        {"anonymousId": "a-uma2", "traits": {"email": "  uma.ray@example.test "}},
        {"anonymousId": "a-v", "traits": {"email": "umaray@example.test"}},
        {"anonymousId": "a-w", "traits": {"email": "uma.ray+promo@example.test"}},
    ]:
        assert send("/v1/identify", body).json() == {"success": True}

    assert canonical_profiles() == {
        frozenset(
            {"user_id:u-uma", "email:uma.ray@example.test", "anonymous_id:a-uma2"}
        ),
        frozenset({"anonymous_id:a-v", "email:umaray@example.test"}),
        frozenset({"anonymous_id:a-w", "email:uma.ray+promo@example.test"}),
    }
    by_api = read("email:Uma.Ray@example.test", "external_ids").json()["data"]
    assert {item["id"] for item in by_api} == {
        "u-uma",
        "uma.ray@example.test",
        "a-uma2",
    }
    plus = read("email:uma.ray+promo@example.test", "external_ids").json()["data"]
    assert {item["id"] for item in plus} == {"a-w", "uma.ray+promo@example.test"}


def test_rejected_requests_leave_the_scenarios_store_unchanged(send, read):
    send("/v1/identify", {"userId": "u1", "traits": {"email": "a@x.com"}})
    before = store_counts()

    send("/v1/identify", {"traits": {"email": "b@x.com"}})
    send("/v1/batch", {"batch": [{"type": "alias", "userId": "u1"}]})
    send("/v1/track", {"userId": "u1", "event": "Tap"}, key="wk_nope")

    assert store_counts() == before
    assert read("user_id:u1", "traits").json()["traits"] == {"email": "a@x.com"}
