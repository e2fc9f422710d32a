"""The contact-center lookup: which profile holds the address a contact came
from (DOMAIN.md 1.5, rule 0.10). `GET` only looks; `POST` may create."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from console.api.http import access_token_refusal, error_response, read_body
from profiles.reads import profile_summary
from profiles.search import (
    Outcome,
    SearchResult,
    find_or_create_profile,
    find_profile,
)
from profiles.validation import RequestRejected, parse_json_body

MAX_BODY_BYTES = 16 * 1024

FAILURES = {
    Outcome.NOT_FOUND: (404, "not_found", "No profile holds this address."),
    Outcome.SEARCH_DISABLED: (
        409,
        "search_disabled",
        "Search by this address type is disabled.",
    ),
    Outcome.NOT_MAPPED: (
        422,
        "not_mapped",
        "This address type is not mapped to an identifier.",
    ),
    Outcome.INVALID_ADDRESS: (
        422,
        "invalid_address",
        "The address is not a valid value for the mapped identifier.",
    ),
    Outcome.UNKNOWN_ADDRESS_TYPE: (
        400,
        "unknown_address_type",
        "There is no such address type.",
    ),
}


def lookup_profile(request: HttpRequest) -> JsonResponse:
    """GET: find the profile for `address_type` and `address`; never creates."""
    if refusal := access_token_refusal(request):
        return refusal
    address_type = request.GET.get("address_type", "")
    address = request.GET.get("address", "")
    if not address_type or not address:
        return _invalid("Give both 'address_type' and 'address'.")
    return _answer(find_profile(address_type=address_type, address=address))


def lookup_or_create_profile(request: HttpRequest) -> JsonResponse:
    """POST: find the profile, creating one on no match when `create` (which
    defaults to the LOOKUP_CREATES_PROFILES setting) is true."""
    if refusal := access_token_refusal(request):
        return refusal
    try:
        body = parse_json_body(read_body(request, limit=MAX_BODY_BYTES))
    except RequestRejected as rejection:
        return error_response(400, "invalid_request", rejection.message)

    address_type = body.get("address_type")
    address = body.get("address")
    create = body.get("create", settings.LOOKUP_CREATES_PROFILES)
    if not isinstance(address_type, str) or not address_type:
        return _invalid("'address_type' must be a non-empty string.")
    if not isinstance(address, str) or not address:
        return _invalid("'address' must be a non-empty string.")
    if not isinstance(create, bool):
        return _invalid("'create' must be true or false.")
    # PostgreSQL text cannot hold U+0000; no address or type contains one.
    if "\x00" in address_type or "\x00" in address:
        return _invalid("'address_type' and 'address' must not hold a NUL character.")

    if create:
        result = find_or_create_profile(address_type=address_type, address=address)
    else:
        result = find_profile(address_type=address_type, address=address)
    return _answer(result)


def _answer(result: SearchResult) -> JsonResponse:
    if result.outcome is Outcome.FOUND and result.profile is not None:
        return JsonResponse(
            {
                "profile": profile_summary(profile=result.profile),
                "created": result.created,
            }
        )
    status, code, message = FAILURES.get(
        result.outcome, (404, "not_found", "No profile holds this address.")
    )
    return error_response(status, code, message)


def _invalid(message: str) -> JsonResponse:
    return error_response(400, "invalid_request", message)
