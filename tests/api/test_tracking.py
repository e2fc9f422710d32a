"""The tracking API: auth, gzip, limits and the answers of issue 4, item 1."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from django.test import Client

from profiles.credentials import create_write_key, revoke_write_key
from profiles.models import Event

from .conftest import basic, canonical_profiles, holder, store_counts

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {
    "success": False,
    "error": {
        "code": "authentication_error",
        "message": "A valid write key is required: HTTP Basic with the key as "
        "user name and an empty password, or 'writeKey' in the body.",
    },
}


@pytest.mark.parametrize(
    ("path", "body", "stored_type", "name"),
    [
        ("/v1/identify", {"userId": "u1", "traits": {"plan": "pro"}}, "identify", ""),
        ("/v1/track", {"userId": "u1", "event": "Order Completed"}, "track",
         "Order Completed"),
        ("/v1/page", {"userId": "u1", "name": "Pricing"}, "page", "Pricing"),
        ("/v1/screen", {"userId": "u1", "name": "Home"}, "screen", "Home"),
        ("/v1/group", {"userId": "u1", "groupId": "acme"}, "group", ""),
        ("/v1/alias", {"previousId": "a1", "userId": "u1"}, "alias", ""),
    ],
)  # fmt: skip
def test_each_single_call_stores_its_type_and_resolves(
    send, path, body, stored_type, name
):
    response = send(path, body)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    event = Event.objects.get()
    assert (event.type, event.name, event.source) == (stored_type, name, "test-source")
    assert event.profile == holder("user_id:u1")
    assert response["Request-Id"]


def test_batch_and_import_resolve_every_message(send):
    body = {
        "batch": [
            {"type": "identify", "userId": "u1", "traits": {"email": "A@x.com"}},
            {"type": "track", "anonymousId": "an1", "event": "Viewed"},
            {"type": "track", "userId": "u1", "anonymousId": "an1", "event": "Paid"},
        ]
    }

    assert send("/v1/batch", body).json() == {"success": True}
    assert send(
        "/v1/import", {"batch": [{"type": "track", "userId": "u2", "event": "X"}]}
    ).json() == {"success": True}

    assert canonical_profiles() == {
        frozenset({"user_id:u1", "email:a@x.com", "anonymous_id:an1"}),
        frozenset({"user_id:u2"}),
    }
    assert holder("user_id:u1").events.count() == 3


def test_the_write_key_may_travel_in_the_body_and_is_not_stored(send, write_key):
    response = send(
        "/v1/track",
        {"userId": "u1", "event": "Tap", "writeKey": write_key},
        key="",
    )

    assert response.status_code == 200
    assert "writeKey" not in Event.objects.get().payload
    assert write_key not in json.dumps(Event.objects.get().payload)


@pytest.mark.parametrize(
    "authorization",
    [None, basic("wk_wrong"), "Basic not-base64!", "Token abc", basic("")],
)
def test_a_missing_or_wrong_key_is_401_and_stores_nothing(send, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = send("/v1/track", {"userId": "u1", "event": "Tap"}, key="", **headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert store_counts() == (0, 0, 0)


def test_a_wrong_header_key_is_not_rescued_by_a_right_body_key(send, write_key):
    response = send(
        "/v1/track",
        {"userId": "u1", "event": "Tap", "writeKey": write_key},
        key="wk_wrong",
    )

    assert response.status_code == 401
    assert store_counts() == (0, 0, 0)


def test_a_revoked_key_is_401(send):
    _, secret = create_write_key(name="old", actor="test")
    revoke_write_key(name="old", actor="test")

    response = send("/v1/track", {"userId": "u1", "event": "Tap"}, key=secret)

    assert response.status_code == 401
    assert store_counts() == (0, 0, 0)


def test_gzip_bodies_are_accepted(send):
    response = send(
        "/v1/batch",
        {"batch": [{"type": "identify", "userId": "u1"}]},
        compress=True,
    )

    assert response.json() == {"success": True}
    assert canonical_profiles() == {frozenset({"user_id:u1"})}


def test_paths_answer_without_a_trailing_slash_and_without_csrf(write_key):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/v1/track",
        json.dumps({"userId": "u1", "event": "Tap"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(write_key),
    )

    assert response.status_code == 200
    assert client.post("/v1/track/").status_code == 404


def test_get_is_405_in_json(client):
    response = client.get("/v1/batch")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {
        "success": False,
        "error": {"code": "method_not_allowed", "message": "Use POST."},
    }


def test_some_invalid_messages_are_listed_and_the_valid_ones_stored(send):
    body = {
        "batch": [
            {"type": "identify", "userId": "u1"},
            {"type": "identify", "userId": True},
            {"type": "track", "userId": "u2"},
            {"type": "track", "userId": "u3", "event": "Tap", "messageId": "m" * 101},
            {"type": "identify", "userId": "u4"},
        ]
    }

    response = send("/v1/batch", body)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "errors": [
            {"index": 1, "error": "'userId' must be a string or a number."},
            {"index": 2, "error": "A track message needs an 'event' name (a string)."},
            {"index": 3, "error": "'messageId' is longer than 100 characters."},
        ],
    }
    assert canonical_profiles() == {
        frozenset({"user_id:u1"}),
        frozenset({"user_id:u4"}),
    }


def test_a_repeated_message_id_is_acknowledged_and_applied_once(send):
    message = {
        "type": "identify",
        "userId": "u1",
        "messageId": "m-1",
        "traits": {"visits": 1},
    }

    first = send("/v1/batch", {"batch": [message]})
    again = send(
        "/v1/batch", {"batch": [{**message, "traits": {"visits": 2}}, message]}
    )

    assert first.json() == again.json() == {"success": True}
    assert Event.objects.count() == 1
    assert holder("user_id:u1").traits == {"visits": 1}


def test_rudderstack_style_context_traits_reach_the_profile(send):
    body = {
        "batch": [
            {
                "type": "identify",
                "userId": "u1",
                "channel": "server",
                "context": {"traits": {"email": "r@x.com", "name": "Rae"}},
                "integrations": {"All": True},
            }
        ]
    }

    assert send("/v1/batch", body, compress=True).json() == {"success": True}

    profile = holder("user_id:u1")
    assert canonical_profiles() == {frozenset({"user_id:u1", "email:r@x.com"})}
    assert profile.traits == {"email": "r@x.com", "name": "Rae"}


def test_batch_context_is_merged_into_each_stored_message(send):
    body = {
        "batch": [{"type": "track", "userId": "u1", "event": "Tap"}],
        "context": {"library": {"name": "custom"}},
    }

    send("/v1/batch", body)

    assert Event.objects.get().payload["context"] == {"library": {"name": "custom"}}


def test_a_mismatching_type_on_a_single_call_is_refused(send):
    response = send("/v1/identify", {"type": "track", "userId": "u1", "event": "A"})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": {
            "code": "no_valid_message",
            "message": 'The message has type "track" but was sent to /v1/identify.',
        },
        "errors": [
            {
                "index": 0,
                "error": 'The message has type "track" but was sent to /v1/identify.',
            }
        ],
    }
    assert store_counts() == (0, 0, 0)


def _oversize_message() -> dict:
    return {"type": "identify", "userId": "u1", "traits": {"bio": "x" * 33 * 1024}}


@pytest.mark.parametrize(
    ("path", "request_kwargs", "code", "message"),
    [
        ("/v1/batch", {"raw": b"{not json"}, "invalid_json",
         "The body is not valid JSON."),
        ("/v1/batch", {"raw": b""}, "invalid_json", "The body is not valid JSON."),
        ("/v1/batch", {"body": ["a"]}, "invalid_json",
         "The body must be a JSON object."),
        ("/v1/batch", {"body": {"batch": "x"}}, "invalid_batch",
         "The body must hold a list of messages under 'batch'."),
        ("/v1/batch", {"body": {"batch": []}}, "no_valid_message",
         "The batch holds no message."),
        ("/v1/batch", {"body": {"batch": [{"type": "identify"}]}},
         "no_valid_message",
         "An identify message needs 'userId' or 'anonymousId'."),
        ("/v1/batch", {"body": {"batch": [{"type": "x"}, {}]}}, "no_valid_message",
         "No message in the batch is valid; see 'errors'."),
        ("/v1/batch", {"body": {"batch": [_oversize_message()]}},
         "no_valid_message",
         "The message is 33845 bytes; the limit is 32768 (32 KiB)."),
        ("/v1/identify", {"body": _oversize_message()}, "no_valid_message",
         "The message is 33845 bytes; the limit is 32768 (32 KiB)."),
        ("/v1/batch",
         {"body": {"batch": [{"type": "identify", "userId": "u1"}] * 2501}},
         "too_many_messages",
         "A batch holds at most 2500 messages; this one holds 2501."),
        ("/v1/batch", {"body": {"batch": [], "pad": "x" * 501 * 1024}},
         "request_too_large",
         "The body is larger than 500 KiB once decompressed."),
        ("/v1/batch",
         {"body": {"batch": [], "pad": "x" * 501 * 1024}, "compress": True},
         "request_too_large",
         "The body is larger than 500 KiB once decompressed."),
        ("/v1/batch",
         {"raw": b"not gzip", "HTTP_CONTENT_ENCODING": "gzip"}, "invalid_gzip",
         "The body is not valid gzip data."),
        ("/v1/batch", {"raw": b"{}", "HTTP_CONTENT_ENCODING": "br"},
         "unsupported_content_encoding",
         "Content-Encoding 'br' is not supported; use gzip or none."),
        ("/v1/track", {"body": {"userId": ["u1"], "event": "A"}},
         "no_valid_message", "'userId' must be a string or a number."),
        ("/v1/identify", {"body": {"userId": "u1", "traits": "plan=pro"}},
         "no_valid_message", "'traits' must be an object."),
        ("/v1/identify", {"body": {"userId": "u1", "traits": {"a": "\u0000"}}},
         "no_valid_message", "The message holds a NUL character (\\u0000)."),
    ],
)  # fmt: skip
def test_a_bad_request_is_400_with_its_reason_and_changes_nothing(
    send, path, request_kwargs, code, message
):
    send("/v1/identify", {"userId": "before", "traits": {"plan": "free"}})
    before = store_counts()
    body = request_kwargs.pop("body", None)

    response = send(path, body, **request_kwargs)

    assert response.status_code == 400
    answer = response.json()
    assert answer["success"] is False
    assert answer["error"] == {"code": code, "message": message}
    assert store_counts() == before
    assert holder("user_id:before").traits == {"plan": "free"}


def test_a_gzip_bomb_is_refused_without_inflating_it(send):
    bomb = gzip.compress(b" " * 200_000_000)
    assert len(bomb) < 500 * 1024

    response = send("/v1/batch", None, raw=bomb, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "request_too_large"
    assert store_counts() == (0, 0, 0)


def test_a_batch_just_under_the_limits_is_accepted(send):
    messages = [
        {"type": "track", "userId": f"u{index}", "event": "Tap"}
        for index in range(2500)
    ]

    response = send("/v1/batch", {"batch": messages}, compress=True)

    assert response.json() == {"success": True}
    assert Event.objects.count() == 2500


def test_the_write_key_never_reaches_the_log(send, write_key, caplog):
    caplog.set_level("DEBUG")

    send("/v1/track", {"userId": "u1", "event": "Tap"}, key="wk_wrong")
    send("/v1/track", {"userId": "u1", "event": "Tap", "writeKey": write_key}, key="")

    header = base64.b64encode(f"{write_key}:".encode()).decode()
    assert write_key not in caplog.text
    assert header not in caplog.text


def test_a_message_the_engine_fails_on_does_not_undo_the_others(send, monkeypatch):
    from console.api import tracking

    real_ingest = tracking.ingest_message

    def failing_ingest(message, **kwargs):
        if message.get("userId") == "u-bad":
            raise RuntimeError("simulated database failure")
        return real_ingest(message, **kwargs)

    monkeypatch.setattr(tracking, "ingest_message", failing_ingest)
    body = {
        "batch": [
            {"type": "identify", "userId": "u1", "messageId": "m-1"},
            {"type": "identify", "userId": "u-bad", "messageId": "m-2"},
            {"type": "identify", "userId": "u3", "messageId": "m-3"},
        ]
    }

    response = send("/v1/batch", body)

    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": {
            "code": "internal_error",
            "message": "1 message(s) could not be stored; retrying is safe.",
        },
        "errors": [{"index": 1, "error": "The message could not be stored; retry."}],
    }
    assert canonical_profiles() == {
        frozenset({"user_id:u1"}),
        frozenset({"user_id:u3"}),
    }

    monkeypatch.setattr(tracking, "ingest_message", real_ingest)
    assert send("/v1/batch", body).json() == {"success": True}
    assert Event.objects.count() == 3
