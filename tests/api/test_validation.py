"""Rule 0.9, message by message, without HTTP."""

from __future__ import annotations

import gzip
import json

import pytest

from console.api.http import gunzip
from profiles.validation import (
    MAX_MESSAGE_BYTES,
    InvalidMessage,
    RequestRejected,
    check_batch,
    check_message,
    check_single,
    parse_json_body,
)


def test_a_valid_message_comes_back_without_its_write_key():
    message = {"type": "track", "userId": "u1", "event": "Tap", "writeKey": "wk_x"}

    assert check_message(message) == {"type": "track", "userId": "u1", "event": "Tap"}


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "fly", "userId": "u1"}, "'type' must be one of identify, track, "
         'page, screen, group, alias; got "fly".'),
        ({"userId": "u1"}, "'type' must be one of identify, track, page, screen, "
         "group, alias; got null."),
        ({"type": "identify"}, "An identify message needs 'userId' or 'anonymousId'."),
        ({"type": "identify", "userId": None, "anonymousId": None},
         "An identify message needs 'userId' or 'anonymousId'."),
        ({"type": "alias", "userId": "u1"},
         "An alias message needs 'previousId' and 'userId'."),
        ({"type": "group", "userId": "u1"}, "A group message needs 'groupId'."),
        ({"type": "identify", "userId": True},
         "'userId' must be a string or a number."),
        ({"type": "identify", "userId": ["u1"]},
         "'userId' must be a string or a number."),
        ({"type": "identify", "anonymousId": {"id": 1}},
         "'anonymousId' must be a string or a number."),
        ({"type": "identify", "userId": "u1", "messageId": 7},
         "'messageId' must be a string."),
        ({"type": "identify", "userId": "u1", "messageId": "m" * 101},
         "'messageId' is longer than 100 characters."),
        ({"type": "identify", "userId": "u1", "timestamp": 1700000000},
         "'timestamp' must be a string."),
        ({"type": "identify", "userId": "u1", "traits": ["a"]},
         "'traits' must be an object."),
        ({"type": "track", "userId": "u1", "event": "x", "properties": "a"},
         "'properties' must be an object."),
        ({"type": "identify", "userId": "u1", "context": 3},
         "'context' must be an object."),
        ({"type": "identify", "userId": "u1", "context": {"traits": "x"}},
         "'context.traits' must be an object."),
        ({"type": "identify", "userId": "u1", "context": {"externalIds": [1]}},
         "'context.externalIds' must be a list of objects."),
        ({"type": "track", "userId": "u1"},
         "A track message needs an 'event' name (a string)."),
        ({"type": "track", "userId": "u1", "event": 5},
         "A track message needs an 'event' name (a string)."),
        ({"type": "group", "groupId": "g" * 501},
         "'groupId' is longer than 500 characters."),
        ({"type": "identify", "userId": "u1", "traits": {"bio": "a\x00b"}},
         "The message holds a NUL character (\\u0000)."),
        ({"type": "identify", "userId": "u1", "traits": {"bio": "\ud800"}},
         "The message holds text that is not valid Unicode."),
    ],
)  # fmt: skip
def test_an_invalid_message_is_refused_with_its_reason(message, error):
    with pytest.raises(InvalidMessage) as refused:
        check_message(message)

    assert str(refused.value) == error


def test_ids_present_but_blocked_or_numeric_still_count():
    assert check_message({"type": "identify", "userId": ""})["userId"] == ""
    assert check_message({"type": "identify", "anonymousId": 12345})["anonymousId"] == (
        12345
    )
    assert check_message({"type": "alias", "previousId": "a", "userId": "null"})


def test_a_message_over_32_kib_is_refused_and_one_at_the_limit_is_not():
    base = {"type": "identify", "userId": "u1", "traits": {"bio": ""}}
    overhead = len(json.dumps(base, separators=(",", ":")))
    at_limit = {**base, "traits": {"bio": "x" * (MAX_MESSAGE_BYTES - overhead)}}
    over = {**base, "traits": {"bio": "x" * (MAX_MESSAGE_BYTES - overhead + 1)}}

    assert check_message(at_limit) == at_limit
    with pytest.raises(InvalidMessage) as refused:
        check_message(over)
    assert (
        str(refused.value) == "The message is 32769 bytes; the limit is 32768 (32 KiB)."
    )


def test_a_batch_is_judged_message_by_message():
    body = {
        "batch": [
            {"type": "track", "userId": "u1", "event": "A"},
            "not an object",
            {"type": "track", "event": "B"},
            {"type": "identify", "anonymousId": "a1"},
        ]
    }

    checked = check_batch(body)

    assert checked.messages == [
        (0, {"type": "track", "userId": "u1", "event": "A"}),
        (3, {"type": "identify", "anonymousId": "a1"}),
    ]
    assert checked.errors == [
        {"index": 1, "error": "A message must be a JSON object."},
        {"index": 2, "error": "A track message needs 'userId' or 'anonymousId'."},
    ]


def test_batch_context_integrations_and_sent_at_reach_every_message():
    body = {
        "batch": [
            {"type": "identify", "userId": "u1", "context": {"ip": "10.0.0.1"}},
            {"type": "identify", "userId": "u2", "sentAt": "2024-02-02T00:00:00Z"},
        ],
        "context": {"ip": "10.0.0.9", "library": {"name": "x"}},
        "integrations": {"All": True},
        "sentAt": "2024-01-01T00:00:00Z",
    }

    messages = [message for _, message in check_batch(body).messages]

    assert messages == [
        {
            "type": "identify",
            "userId": "u1",
            "context": {"ip": "10.0.0.1", "library": {"name": "x"}},
            "integrations": {"All": True},
            "sentAt": "2024-01-01T00:00:00Z",
        },
        {
            "type": "identify",
            "userId": "u2",
            "sentAt": "2024-02-02T00:00:00Z",
            "context": {"ip": "10.0.0.9", "library": {"name": "x"}},
            "integrations": {"All": True},
        },
    ]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({}, "invalid_batch", "The body must hold a list of messages under 'batch'."),
        ({"batch": {"type": "track"}}, "invalid_batch",
         "The body must hold a list of messages under 'batch'."),
        ({"batch": [], "context": "x"}, "invalid_batch",
         "The batch's 'context' must be an object."),
        ({"batch": [{}] * 2501}, "too_many_messages",
         "A batch holds at most 2500 messages; this one holds 2501."),
    ],
)  # fmt: skip
def test_a_batch_that_cannot_be_read_is_refused_whole(body, code, message):
    with pytest.raises(RequestRejected) as refused:
        check_batch(body)

    assert (refused.value.code, refused.value.message) == (code, message)


def test_a_single_call_takes_its_type_from_the_path_and_refuses_another():
    assert check_single(
        {"userId": "u1", "event": "A"}, message_type="track"
    ).messages == [(0, {"userId": "u1", "event": "A", "type": "track"})]
    assert check_single(
        {"type": "track", "userId": "u1"}, message_type="identify"
    ).errors == [
        {
            "index": 0,
            "error": 'The message has type "track" but was sent to /v1/identify.',
        }
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "The body is not valid JSON."),
        (b"[1, 2]", "The body must be a JSON object."),
        (b'{"batch": NaN}', "The body is not valid JSON."),
        (b"\xff\xfe{}", "The body is not valid JSON."),
        (b"[" * 100_000 + b"]" * 100_000, "The body is not valid JSON."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(data, message):
    with pytest.raises(RequestRejected) as refused:
        parse_json_body(data)

    assert (refused.value.code, refused.value.message) == ("invalid_json", message)


def test_gunzip_reads_several_members_and_stops_past_the_limit():
    assert gunzip(gzip.compress(b"ab") + gzip.compress(b"cd"), limit=4) == b"abcd"

    bomb = gzip.compress(b"\0" * 50_000_000)
    with pytest.raises(RequestRejected) as refused:
        gunzip(bomb, limit=500 * 1024)
    assert refused.value.code == "request_too_large"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"plain text", "The body is not valid gzip data."),
        (gzip.compress(b'{"batch": []}')[:-6], "The gzip data is truncated."),
    ],
)
def test_bad_gzip_is_refused(data, message):
    with pytest.raises(RequestRejected) as refused:
        gunzip(data, limit=1000)

    assert (refused.value.code, refused.value.message) == ("invalid_gzip", message)
