"""The Profile API, compatible with Segment's (DOMAIN.md section 3).

`/v1/spaces/<space>/collections/users/profiles/<reference>/<resource>`, where
the reference is `<identifier key>:<value>`, `segment_id:<profile id>` or the
bare profile id. A `+` in the path is a plus whether or not it was sent as
`%2B`: Django decodes paths without turning `+` into a space, so
`phone:+14155550123` answers like `phone:%2B14155550123`. Values go through
the identifier's normaliser, so `email:Jane@Example.com` finds
`jane@example.com`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from console.api.http import View, access_token_refusal, error_response
from profiles.models import Profile
from profiles.reads import (
    InvalidCursor,
    Page,
    events_page,
    external_ids_page,
    find_profile_by_reference,
    profile_links,
    profile_metadata,
    traits_page,
)

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
# Segment's classes of computed data; this server computes none of them.
TRAIT_CLASSES = ("audience", "computed_trait")

ProfileView = Callable[[HttpRequest, Profile], HttpResponse]


class InvalidParameter(ValueError):
    """A query parameter out of its range; the message says which."""


def profile_resource(view: ProfileView) -> View:
    """Authenticate, find the profile the path names, then run `view` on it;
    a parameter out of range answers 400 `validation_error`."""

    @functools.wraps(view)
    def wrapper(
        request: HttpRequest, space: str, collection: str, reference: str
    ) -> HttpResponse:
        if refusal := access_token_refusal(request):
            return refusal
        if space != settings.SPACE_ID:
            return error_response(404, "not_found", "Space was not found.")
        if collection != "users":
            return error_response(
                404, "not_found", "Only the 'users' collection exists here."
            )
        profile = find_profile_by_reference(reference=reference)
        if profile is None:
            return error_response(404, "not_found", "Profile was not found.")
        try:
            return view(request, profile)
        except (InvalidParameter, InvalidCursor) as error:
            return error_response(400, "validation_error", str(error))

    return wrapper


@profile_resource
def traits(request: HttpRequest, profile: Profile) -> JsonResponse:
    limit = _limit(request)
    trait_class = request.GET.get("class", "")
    if trait_class and trait_class not in TRAIT_CLASSES:
        raise InvalidParameter(f"'class' must be one of {', '.join(TRAIT_CLASSES)}.")
    page = traits_page(
        profile=profile,
        include=_names(request, "include"),
        limit=limit,
        cursor=request.GET.get("next", ""),
        verbose=_flag(request, "verbose"),
    )
    if trait_class:
        page = Page({}, "")
    return JsonResponse({"traits": page.items, "cursor": _cursor(request, page, limit)})


@profile_resource
def external_ids(request: HttpRequest, profile: Profile) -> JsonResponse:
    limit = _limit(request)
    _flag(request, "verbose")  # accepted; every item is complete already
    page = external_ids_page(
        profile=profile,
        include=_names(request, "include"),
        limit=limit,
        cursor=request.GET.get("next", ""),
    )
    return JsonResponse({"data": page.items, "cursor": _cursor(request, page, limit)})


@profile_resource
def events(request: HttpRequest, profile: Profile) -> JsonResponse:
    limit = _limit(request)
    sort = request.GET.get("sort", "desc")
    if sort not in {"asc", "desc"}:
        raise InvalidParameter("'sort' must be asc or desc.")
    page = events_page(
        profile=profile,
        limit=limit,
        cursor=request.GET.get("next", ""),
        newest_first=sort == "desc",
        start=_time(request, "start"),
        end=_time(request, "end"),
        include=_names(request, "include"),
        exclude=_names(request, "exclude"),
    )
    return JsonResponse({"data": page.items, "cursor": _cursor(request, page, limit)})


@profile_resource
def metadata(request: HttpRequest, profile: Profile) -> JsonResponse:
    return JsonResponse({"metadata": profile_metadata(profile=profile)})


@profile_resource
def links(request: HttpRequest, profile: Profile) -> JsonResponse:
    return JsonResponse({"data": profile_links(profile=profile)})


def unknown_resource(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any other path under /v1/spaces/ answers in the API's own shape."""
    if refusal := access_token_refusal(request):
        return refusal
    return error_response(404, "not_found", "There is no such resource.")


def _limit(request: HttpRequest) -> int:
    text = request.GET.get("limit", "")
    if not text:
        return DEFAULT_LIMIT
    # The length check comes first: int() refuses strings of 4,300+ digits.
    digits = text.isascii() and text.isdigit() and len(text) <= 6
    if not digits or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidParameter(f"'limit' must be a whole number from 1 to {MAX_LIMIT}.")
    return int(text)


def _flag(request: HttpRequest, name: str) -> bool:
    text = request.GET.get(name, "false").lower()
    if text not in {"true", "false"}:
        raise InvalidParameter(f"'{name}' must be true or false.")
    return text == "true"


def _names(request: HttpRequest, name: str) -> list[str] | None:
    text = request.GET.get(name, "")
    names = [item.strip() for item in text.split(",") if item.strip()]
    return names or None


def _time(request: HttpRequest, name: str) -> datetime | None:
    text = request.GET.get(name, "")
    if not text:
        return None
    # An unencoded `+` of an offset arrives as a space in a query string.
    head, space, offset = text.rpartition(" ")
    if space and offset[:2].isdigit():
        text = f"{head}+{offset}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidParameter(f"'{name}' must be an ISO 8601 time.") from error
    try:
        # The database compares in UTC; a year-1 or year-9999 time with an
        # offset has no UTC form and would crash the query.
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as error:
        raise InvalidParameter(
            f"'{name}' must be an ISO 8601 time within the years 1 to 9999 in UTC."
        ) from error


def _cursor(request: HttpRequest, page: Page, limit: int) -> dict:
    return {
        "url": request.path,
        "has_more": page.has_more,
        "next": page.next_cursor,
        "limit": limit,
    }
