"""The Segment-compatible tracking API: `/v1/<type>`, `/v1/batch`, `/v1/import`.

Each valid message is stored and resolved by the engine in its own
transaction, so a message that fails never undoes another. The answer is
`{"success": true}`, with the refused messages listed under `errors`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from console.api.http import (
    credential_from_headers,
    read_body,
    tracking_error_response,
)
from profiles.credentials import authenticate_write_key
from profiles.models import WriteKey
from profiles.resolution import ingest_message, load_settings
from profiles.validation import (
    MAX_REQUEST_BYTES,
    CheckedRequest,
    RequestRejected,
    check_batch,
    check_single,
    parse_json_body,
)

logger = logging.getLogger(__name__)


def batch(request: HttpRequest) -> JsonResponse:
    return _accept(request, message_type=None)


def identify(request: HttpRequest) -> JsonResponse:
    return _accept(request, message_type="identify")


def track(request: HttpRequest) -> JsonResponse:
    return _accept(request, message_type="track")


def page(request: HttpRequest) -> JsonResponse:
    return _accept(request, message_type="page")


def screen(request: HttpRequest) -> JsonResponse:
    return _accept(request, message_type="screen")


def group(request: HttpRequest) -> JsonResponse:
    return _accept(request, message_type="group")


def alias(request: HttpRequest) -> JsonResponse:
    return _accept(request, message_type="alias")


def _accept(request: HttpRequest, *, message_type: str | None) -> JsonResponse:
    received_at = timezone.now()
    header_key = credential_from_headers(request)
    write_key = None
    if header_key is not None:
        # A key in the header decides: a wrong one is not rescued by the body.
        write_key = authenticate_write_key(secret=header_key)
        if write_key is None:
            return _unauthorized()

    try:
        body = parse_json_body(read_body(request, limit=MAX_REQUEST_BYTES))
        if write_key is None:
            body_key = body.get("writeKey")
            write_key = authenticate_write_key(
                secret=body_key if isinstance(body_key, str) else ""
            )
            if write_key is None:
                return _unauthorized()
        if message_type is None:
            checked = check_batch(body)
        else:
            checked = check_single(body, message_type=message_type)
    except RequestRejected as rejection:
        return _rejected(400, rejection.code, rejection.message)

    if not checked.messages:
        return _rejected(
            400, "no_valid_message", _no_valid_message(checked), errors=checked.errors
        )
    return _store(checked, write_key=write_key, received_at=received_at)


def _store(
    checked: CheckedRequest, *, write_key: WriteKey, received_at: datetime
) -> JsonResponse:
    errors = list(checked.errors)
    failed = 0
    snapshot = load_settings()
    for index, message in checked.messages:
        try:
            ingest_message(
                message,
                source=write_key.name,
                received_at=received_at,
                snapshot=snapshot,
            )
        except Exception as exc:
            # Unexpected (a bug or a lost database): the others still go in,
            # and a 500 makes the client retry; messageId dedupes the stored.
            # Database errors quote the payload, so the traceback, which may
            # hold emails or phones, is logged only at DEBUG.
            logger.error(
                "ingest failed for message %s of a batch from write key %s: %s",
                index,
                write_key.pk,
                type(exc).__name__,
            )
            logger.debug("ingest failure", exc_info=True)
            failed += 1
            errors.append(
                {"index": index, "error": "The message could not be stored; retry."}
            )

    errors.sort(key=lambda error: error["index"])
    if failed:
        return _rejected(
            500,
            "internal_error",
            f"{failed} message(s) could not be stored; retrying is safe.",
            errors=errors,
        )
    answer: dict[str, Any] = {"success": True}
    if errors:
        answer["errors"] = errors
    return JsonResponse(answer)


def _no_valid_message(checked: CheckedRequest) -> str:
    if len(checked.errors) == 1:
        return checked.errors[0]["error"]
    if not checked.errors:
        return "The batch holds no message."
    return "No message in the batch is valid; see 'errors'."


def _unauthorized() -> JsonResponse:
    response = _rejected(
        401,
        "authentication_error",
        "A valid write key is required: HTTP Basic with the key as user name "
        "and an empty password, or 'writeKey' in the body.",
    )
    response["WWW-Authenticate"] = 'Basic realm="tracking"'
    return response


def _rejected(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return tracking_error_response(status, code, message, **extra)
