"""Judge tracking API messages before they reach the engine (rule 0.9).

A request is refused as a whole only when it cannot be read as a batch at all
or breaks a request limit; otherwise every message is judged on its own and
the valid ones go on, so one bad message never costs the others. What passes
is safe to store: it fits its limit, its fields have the types the engine
reads, and it holds no text that PostgreSQL cannot keep (NUL characters and
lone surrogates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

KIB = 1024
MAX_MESSAGE_BYTES = 32 * KIB
MAX_REQUEST_BYTES = 500 * KIB
MAX_BATCH_MESSAGES = 2500
MAX_MESSAGE_ID_LENGTH = 100
NUMBER_OUT_OF_RANGE = "The message holds a number too large to store (beyond a double)."
MAX_GROUP_ID_LENGTH = 500

MESSAGE_TYPES = ("identify", "track", "page", "screen", "group", "alias")

# The ids a message of each type must carry (one of them at least).
REQUIRED_IDS = {
    "identify": ("userId", "anonymousId"),
    "track": ("userId", "anonymousId"),
    "page": ("userId", "anonymousId"),
    "screen": ("userId", "anonymousId"),
    "group": ("groupId",),
}
ID_FIELDS = ("userId", "anonymousId", "previousId", "groupId")
TEXT_FIELDS = (
    "messageId",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
    "name",
    "category",
)
OBJECT_FIELDS = ("traits", "properties", "context", "integrations")
# Fields a batch carries for all of its messages.
SHARED_OBJECT_FIELDS = ("context", "integrations")


class RequestRejected(ValueError):
    """The whole request is refused; nothing of it is stored."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidMessage(ValueError):
    """One message is refused; the message says why."""


@dataclass
class CheckedRequest:
    """The messages of a request: those to store, by index, and the refused."""

    messages: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def parse_json_body(data: bytes) -> dict[str, Any]:
    """The request body (already within its size limit) as a JSON object, or
    RequestRejected."""
    try:
        body = json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise RequestRejected("invalid_json", "The body is not valid JSON.") from error
    if not isinstance(body, dict):
        raise RequestRejected("invalid_json", "The body must be a JSON object.")
    return body


def check_batch(body: dict[str, Any]) -> CheckedRequest:
    """Judge the messages of a `/v1/batch` body one by one.

    The batch's `context` and `integrations` are merged under each message's
    own (the message's keys win), and its `sentAt` fills a message without one.
    """
    messages = body.get("batch")
    if not isinstance(messages, list):
        raise RequestRejected(
            "invalid_batch", "The body must hold a list of messages under 'batch'."
        )
    if len(messages) > MAX_BATCH_MESSAGES:
        raise RequestRejected(
            "too_many_messages",
            f"A batch holds at most {MAX_BATCH_MESSAGES} messages; "
            f"this one holds {len(messages)}.",
        )
    shared = _shared_fields(body)

    checked = CheckedRequest()
    for index, message in enumerate(messages):
        try:
            if not isinstance(message, dict):
                raise InvalidMessage("A message must be a JSON object.")
            checked.messages.append(
                (index, check_message(_with_shared(message, shared)))
            )
        except InvalidMessage as error:
            checked.errors.append({"index": index, "error": str(error)})
    return checked


def check_single(body: dict[str, Any], *, message_type: str) -> CheckedRequest:
    """Judge the body of `/v1/<type>`: one message whose type the path sets.

    A body that names another type is refused rather than silently retyped:
    a client that sends a track to `/v1/identify` has a bug worth seeing.
    """
    checked = CheckedRequest()
    body_type = body.get("type")
    try:
        if body_type is not None and body_type != message_type:
            raise InvalidMessage(
                f"The message has type {_as_json(body_type)} but was sent to "
                f"/v1/{message_type}."
            )
        checked.messages.append((0, check_message({**body, "type": message_type})))
    except InvalidMessage as error:
        checked.errors.append({"index": 0, "error": str(error)})
    return checked


def check_message(message: dict[str, Any]) -> dict[str, Any]:
    """The message ready to store (without any `writeKey`), or InvalidMessage."""
    message = {key: value for key, value in message.items() if key != "writeKey"}
    message_type = message.get("type")
    if message_type not in MESSAGE_TYPES:
        raise InvalidMessage(
            f"'type' must be one of {', '.join(MESSAGE_TYPES)}; "
            f"got {_as_json(message_type)}."
        )

    for name in ID_FIELDS:
        value = message.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, str | int | float)
        ):
            raise InvalidMessage(f"'{name}' must be a string or a number.")
    for name in TEXT_FIELDS:
        if message.get(name) is not None and not isinstance(message[name], str):
            raise InvalidMessage(f"'{name}' must be a string.")
    for name in OBJECT_FIELDS:
        if message.get(name) is not None and not isinstance(message[name], dict):
            raise InvalidMessage(f"'{name}' must be an object.")
    _check_context(message.get("context") or {})

    if len(message.get("messageId") or "") > MAX_MESSAGE_ID_LENGTH:
        raise InvalidMessage(
            f"'messageId' is longer than {MAX_MESSAGE_ID_LENGTH} characters."
        )
    if len(str(message.get("groupId") or "")) > MAX_GROUP_ID_LENGTH:
        raise InvalidMessage(
            f"'groupId' is longer than {MAX_GROUP_ID_LENGTH} characters."
        )
    if message_type == "track" and not (
        isinstance(message.get("event"), str) and message["event"]
    ):
        raise InvalidMessage("A track message needs an 'event' name (a string).")
    _check_ids_present(message)
    _check_size_and_text(message)
    return message


def _as_json(value: Any) -> str:
    """A value as JSON spells it (null, true, "text"), cut to 100 characters."""
    return json.dumps(value, default=str)[:100]


def _check_context(context: dict[str, Any]) -> None:
    traits = context.get("traits")
    if traits is not None and not isinstance(traits, dict):
        raise InvalidMessage("'context.traits' must be an object.")
    external_ids = context.get("externalIds")
    if external_ids is None:
        return
    if not isinstance(external_ids, list) or not all(
        isinstance(entry, dict) for entry in external_ids
    ):
        raise InvalidMessage("'context.externalIds' must be a list of objects.")


def _check_ids_present(message: dict[str, Any]) -> None:
    # A field counts as present even when the engine later blocks its value.
    if message["type"] == "alias":
        missing = [
            name for name in ("previousId", "userId") if message.get(name) is None
        ]
        if missing:
            raise InvalidMessage("An alias message needs 'previousId' and 'userId'.")
        return
    required = REQUIRED_IDS[message["type"]]
    if all(message.get(name) is None for name in required):
        names = " or ".join(f"'{name}'" for name in required)
        article = "An" if message["type"][0] in "aeiou" else "A"
        raise InvalidMessage(f"{article} {message['type']} message needs {names}.")


def _check_size_and_text(message: dict[str, Any]) -> None:
    _check_text(message)
    try:
        size = len(
            json.dumps(
                message, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode()
        )
    except UnicodeEncodeError as error:
        raise InvalidMessage("The message holds text that is not valid Unicode.") from (
            error
        )
    except ValueError as error:
        # Python reads 1e400 as infinity, which no JSON column can store.
        raise InvalidMessage(NUMBER_OUT_OF_RANGE) from error
    if size > MAX_MESSAGE_BYTES:
        raise InvalidMessage(
            f"The message is {size} bytes; the limit is {MAX_MESSAGE_BYTES} (32 KiB)."
        )


def _check_text(message: dict[str, Any]) -> None:
    # PostgreSQL's jsonb cannot hold U+0000; walk without recursion because a
    # hostile message may nest deeply.
    pending: list[Any] = [message]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and "\x00" in item:
            raise InvalidMessage("The message holds a NUL character (\\u0000).")


def _shared_fields(body: dict[str, Any]) -> dict[str, Any]:
    shared: dict[str, Any] = {}
    for name in SHARED_OBJECT_FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise RequestRejected(
                "invalid_batch", f"The batch's '{name}' must be an object."
            )
        shared[name] = value
    sent_at = body.get("sentAt")
    if isinstance(sent_at, str):
        shared["sentAt"] = sent_at
    return shared


def _with_shared(message: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    if not shared:
        return message
    merged = dict(message)
    for name in SHARED_OBJECT_FIELDS:
        if name not in shared:
            continue
        own = message.get(name)
        if own is None:
            merged[name] = dict(shared[name])
        elif isinstance(own, dict):
            merged[name] = {**shared[name], **own}
    if "sentAt" in shared and message.get("sentAt") is None:
        merged["sentAt"] = shared["sentAt"]
    return merged


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def request_too_large(limit: int = MAX_REQUEST_BYTES) -> RequestRejected:
    """The refusal of a body over `limit` bytes (measured decompressed)."""
    return RequestRejected(
        "request_too_large",
        f"The body is larger than {limit // KIB} KiB once decompressed.",
    )
