"""What every JSON endpoint shares: credentials from headers, bodies, answers.

Credentials arrive as the user name of HTTP Basic auth (Segment's way: the
secret, a colon, an empty password) or as a Bearer token. They are never
logged: Django's request logger writes the path of a refused request, not its
headers, and nothing here logs a header.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from profiles.credentials import authenticate_access_token
from profiles.validation import RequestRejected, request_too_large

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

# Gzip adds a few bytes per block even to data it cannot shrink.
GZIP_OVERHEAD_BYTES = 4096


def api_view(*, tracking: bool = False, **views_by_method: View) -> View:
    """One URL, one view function per HTTP method, JSON 405 for the rest
    (in the tracking API's error shape when `tracking`).

    The endpoints are exempt from CSRF: it protects browser sessions, and
    these callers authenticate with a key on every request instead.
    """
    refuse = tracking_error_response if tracking else error_response

    @csrf_exempt
    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view = views_by_method.get(request.method or "")
        if view is None:
            response = refuse(
                405,
                "method_not_allowed",
                f"Use {' or '.join(sorted(views_by_method))}.",
            )
            response["Allow"] = ", ".join(sorted(views_by_method))
        else:
            response = view(request, *args, **kwargs)
        response["Request-Id"] = uuid.uuid4().hex
        if response.status_code >= 400:
            _log_refusal(request, response)
        return response

    return dispatch


def _log_refusal(request: HttpRequest, response: HttpResponse) -> None:
    # Django's request logger would write the path, and a Profile API path
    # holds an email or a phone; this line names the route instead.
    match = request.resolver_match
    route = match.route if match else "?"
    level = logging.ERROR if response.status_code >= 500 else logging.WARNING
    logger.log(
        level,
        "%s %s answered %s (request %s)",
        request.method,
        route,
        response.status_code,
        response["Request-Id"],
    )
    response._has_been_logged = True  # type: ignore[attr-defined]


def credential_from_headers(request: HttpRequest) -> str | None:
    """The secret in `Authorization` (Basic user name or Bearer), else None.

    A header that is present but unreadable gives "", which matches nothing,
    so that a broken header is refused rather than ignored.
    """
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme != "basic":
        return ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    user, _, _password = decoded.partition(":")
    return user


def read_body(request: HttpRequest, *, limit: int) -> bytes:
    """The body, gunzipped when `Content-Encoding: gzip`, at most `limit` bytes.

    Decompression stops as soon as the output passes the limit, so a small
    gzip bomb costs no more memory than an honest body.
    """
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in {"", "identity"}:
        data = request.read(limit + 1)
        if len(data) > limit:
            raise request_too_large(limit)
        return data
    if encoding not in {"gzip", "x-gzip"}:
        raise RequestRejected(
            "unsupported_content_encoding",
            f"Content-Encoding {encoding!r} is not supported; use gzip or none.",
        )

    compressed = request.read(limit + GZIP_OVERHEAD_BYTES + 1)
    if len(compressed) > limit + GZIP_OVERHEAD_BYTES:
        raise request_too_large(limit)
    return gunzip(compressed, limit=limit)


def gunzip(data: bytes, *, limit: int) -> bytes:
    """Decompress gzip data (several members allowed) up to `limit` bytes."""
    output = bytearray()
    remaining = data
    while True:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            output += decompressor.decompress(remaining, limit + 1 - len(output))
        except zlib.error as error:
            raise RequestRejected(
                "invalid_gzip", "The body is not valid gzip data."
            ) from error
        if len(output) > limit:
            raise request_too_large(limit)
        if not decompressor.eof:
            raise RequestRejected("invalid_gzip", "The gzip data is truncated.")
        remaining = decompressor.unused_data
        if not remaining:
            return bytes(output)


def error_response(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    """`{"error": {"code", "message"}}`, the error shape of the read APIs."""
    return JsonResponse(
        {"error": {"code": code, "message": message}, **extra}, status=status
    )


def tracking_error_response(
    status: int, code: str, message: str, **extra: Any
) -> JsonResponse:
    """`{"success": false, "error": {"code", "message"}}`, the tracking API's."""
    return JsonResponse(
        {"success": False, "error": {"code": code, "message": message}, **extra},
        status=status,
    )


def is_api_path(path: str) -> bool:
    """Whether a request path belongs to one of the JSON APIs."""
    return path.startswith(("/v1/", "/api/")) or path in {"/v1", "/api"}


def is_tracking_path(path: str) -> bool:
    """Whether a path is under the tracking API's /v1/ (not the Profile API)."""
    return (
        is_api_path(path)
        and path.startswith("/v1")
        and not (path.startswith("/v1/spaces/"))
    )


def access_token_refusal(request: HttpRequest) -> JsonResponse | None:
    """None when the request carries an active access token, else the 401."""
    secret = credential_from_headers(request) or ""
    if authenticate_access_token(secret=secret) is not None:
        return None
    response = error_response(
        401,
        "authentication_error",
        "A valid access token is required: HTTP Basic with the token as user "
        "name and an empty password, or 'Authorization: Bearer <token>'.",
    )
    response["WWW-Authenticate"] = 'Basic realm="Unified Profiles"'
    return response
