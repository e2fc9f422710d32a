"""What the Profile API and the contact-center lookup read (DOMAIN.md section 3).

Pages are cut by keyset cursors: an opaque token naming the last row given,
so that a page never repeats or skips a row when newer events arrive between
two requests. Times are UTC ISO 8601 with milliseconds, as Segment writes
them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q

from profiles.models import Event, ExternalId, Profile
from profiles.search import find_profile_by_identifier, get_canonical_profile
from profiles.traits import trait_stamp

MAX_LINKS = 20


class InvalidCursor(ValueError):
    """A `next` token that this server did not write."""


@dataclass(frozen=True)
class Page:
    items: Any
    next_cursor: str  # "" on the last page

    @property
    def has_more(self) -> bool:
        return bool(self.next_cursor)


def find_profile_by_reference(*, reference: str) -> Profile | None:
    """The canonical profile a Profile API path names, or None.

    `<identifier key>:<value>` (the value normalised like the identifier's
    values), `segment_id:<profile id>` or a bare profile id (`use_...`). A
    merged-away id answers for the profile it was merged into.
    """
    kind, colon, value = reference.partition(":")
    if not colon:
        return get_canonical_profile(uid=reference)
    if kind == "segment_id":
        return get_canonical_profile(uid=value)
    return find_profile_by_identifier(identifier_key=kind, value=value)


def profile_summary(*, profile: Profile) -> dict[str, Any]:
    """The profile as the contact-center lookup answers it."""
    return {
        "id": profile.uid,
        "identifiers": [
            {
                "type": external_id.identifier.key,
                "display_name": external_id.identifier.display_name,
                "value": external_id.value,
            }
            for external_id in _external_ids(profile)
        ],
        "traits": profile.traits,
    }


def traits_page(
    *,
    profile: Profile,
    include: list[str] | None,
    limit: int,
    cursor: str,
    verbose: bool,
) -> Page:
    """Traits by name; verbose wraps each as {value, source_id, updated_at}."""
    names = sorted(profile.traits)
    if include:
        wanted = set(include)
        names = [name for name in names if name in wanted]
    if cursor:
        (after,) = _decode_cursor(cursor, shape=(str,))
        names = [name for name in names if name > after]
    shown, more = names[:limit], len(names) > limit

    if not verbose:
        items = {name: profile.traits[name] for name in shown}
    else:
        items = _verbose_traits(profile, shown)
    return Page(items, _encode_cursor([shown[-1]]) if more else "")


def external_ids_page(
    *, profile: Profile, include: list[str] | None, limit: int, cursor: str
) -> Page:
    """The profile's identifiers in priority order, then by attachment."""
    rows = ExternalId.objects.filter(profile=profile).select_related("identifier")
    if include:
        rows = rows.filter(identifier__key__in=include)
    if cursor:
        priority, pk = _decode_cursor(cursor, shape=(int, int))
        rows = rows.filter(
            Q(identifier__priority__gt=priority)
            | Q(identifier__priority=priority, pk__gt=pk)
        )
    rows = list(rows.order_by("identifier__priority", "pk")[: limit + 1])

    shown = rows[:limit]
    items = [
        {
            "source_id": row.source,
            "collection": "users",
            "id": row.value,
            "type": row.identifier.key,
            "created_at": format_time(row.first_seen_at),
            "encoding": "none",
            "first_message_id": row.first_message_id,
        }
        for row in shown
    ]
    more = len(rows) > limit
    last = shown[-1] if shown else None
    next_cursor = (
        _encode_cursor([last.identifier.priority, last.pk]) if more and last else ""
    )
    return Page(items, next_cursor)


def events_page(
    *,
    profile: Profile,
    limit: int,
    cursor: str,
    newest_first: bool,
    start: datetime | None,
    end: datetime | None,
    include: list[str] | None,
    exclude: list[str] | None,
) -> Page:
    """Every stored event of the profile, newest first unless asked otherwise.

    `start` is inclusive and `end` exclusive; `include` and `exclude` name
    events (a track's `event`, a page's or screen's `name`).
    """
    rows = Event.objects.filter(profile=profile)
    if start is not None:
        rows = rows.filter(timestamp__gte=start)
    if end is not None:
        rows = rows.filter(timestamp__lt=end)
    if include:
        rows = rows.filter(name__in=include)
    if exclude:
        rows = rows.exclude(name__in=exclude)
    if cursor:
        moment, pk = _decode_cursor(cursor, shape=(str, int))
        moment = _parse_cursor_time(moment)
        if newest_first:
            rows = rows.filter(Q(timestamp__lt=moment) | Q(timestamp=moment, pk__lt=pk))
        else:
            rows = rows.filter(Q(timestamp__gt=moment) | Q(timestamp=moment, pk__gt=pk))
    order = ("-timestamp", "-pk") if newest_first else ("timestamp", "pk")
    rows = list(rows.order_by(*order)[: limit + 1])

    shown = rows[:limit]
    items = [_event_item(event, profile) for event in shown]
    more = len(rows) > limit
    next_cursor = (
        _encode_cursor([shown[-1].timestamp.isoformat(), shown[-1].pk]) if more else ""
    )
    return Page(items, next_cursor)


def profile_metadata(*, profile: Profile) -> dict[str, Any]:
    """When the profile began and changed, and its first and last messages."""
    events = Event.objects.filter(profile=profile).only("message_id", "source")
    first = events.order_by("received_at", "pk").first()
    last = events.order_by("-received_at", "-pk").first()
    return {
        "created_at": format_time(profile.created_at),
        "updated_at": format_time(profile.updated_at),
        "expires_at": None,
        "first_message_id": first.message_id if first else "",
        "first_source_id": first.source if first else "",
        "last_message_id": last.message_id if last else "",
        "last_source_id": last.source if last else "",
    }


def profile_links(*, profile: Profile) -> list[dict[str, Any]]:
    """The accounts (group calls' `groupId`) the profile was seen in, newest
    first, at most 20 as Segment allows."""
    links: dict[str, dict[str, Any]] = {}
    group_calls = Event.objects.filter(profile=profile, type="group").order_by(
        "-timestamp", "-pk"
    )
    for event in group_calls.iterator():
        group_id = event.payload.get("groupId")
        if group_id is None or str(group_id) in links:
            continue
        links[str(group_id)] = {
            "to_collection": "accounts",
            "external_ids": [
                {
                    "id": str(group_id),
                    "type": "group_id",
                    "source_id": event.source,
                    "collection": "accounts",
                    "created_at": format_time(event.timestamp),
                    "encoding": "none",
                }
            ],
        }
        if len(links) == MAX_LINKS:
            break
    return list(links.values())


def format_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _external_ids(profile: Profile) -> list[ExternalId]:
    return list(
        ExternalId.objects.filter(profile=profile)
        .select_related("identifier")
        .order_by("identifier__priority", "first_seen_at", "pk")
    )


def _verbose_traits(profile: Profile, names: list[str]) -> dict[str, Any]:
    # The event that last wrote a trait names its source.
    stamps = {name: trait_stamp(profile, name) for name in names}
    sources = dict(
        Event.objects.filter(
            pk__in={stamp[1] for stamp in stamps.values() if stamp}
        ).values_list("pk", "source")
    )
    return {
        name: {
            "value": profile.traits[name],
            "source_id": sources.get(stamp[1], "") if stamp else "",
            "updated_at": format_time(stamp[0]) if stamp and stamp[1] else None,
        }
        for name, stamp in stamps.items()
    }


def _event_item(event: Event, profile: Profile) -> dict[str, Any]:
    payload = event.payload
    external_ids = [
        {
            "collection": "users",
            "type": kind,
            "id": str(payload[field]),
            "encoding": "none",
        }
        for field, kind in (("userId", "user_id"), ("anonymousId", "anonymous_id"))
        if payload.get(field) is not None
    ]
    item = {
        "external_ids": external_ids,
        "context": payload.get("context") or {},
        "type": event.type,
        "message_id": event.message_id,
        "source_id": event.source,
        "timestamp": format_time(event.timestamp),
        "properties": payload.get("properties") or {},
        "event": event.name,
        "related": {"users": [profile.uid]},
    }
    if event.type in {"identify", "group"}:
        item["traits"] = payload.get("traits") or {}
    return item


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, *, shape: tuple[type, ...]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, RecursionError) as error:
        raise InvalidCursor("The 'next' cursor is not one this API gave.") from error
    if (
        not isinstance(values, list)
        or len(values) != len(shape)
        or not all(
            isinstance(value, kind) and not isinstance(value, bool)
            for value, kind in zip(values, shape, strict=True)
        )
    ):
        raise InvalidCursor("The 'next' cursor is not one this API gave.")
    return values


def _parse_cursor_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidCursor("The 'next' cursor is not one this API gave.") from error
    if moment.tzinfo is None:
        raise InvalidCursor("The 'next' cursor is not one this API gave.")
    try:
        # This API writes UTC times; a forged one may have no UTC form at all.
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise InvalidCursor("The 'next' cursor is not one this API gave.") from error
