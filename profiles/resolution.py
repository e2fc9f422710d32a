"""Resolve each incoming event to exactly one profile (DOMAIN.md section 2.4).

`ingest_message` stores one Segment-spec message and resolves it in its own
transaction: extract the identifiers (section 2.1, rule 0.2), normalise them
and drop blocked or invalid ones (rules 0.4 and 0.5), then match flat: no
profile holds any of them -> create one; one -> attach; several -> merge into
the oldest, unless a per-type limit breaks, in which case the lowest-priority
type on the event is demoted and the match is tried again. Everything dropped
is written on the stored event as a warning.

Traits: only identify calls set profile traits, from `context.traits` and
`traits` (the latter wins a key present in both; RudderStack sends identify
traits in `context.traits`). Track, page, screen, group and alias calls never
change traits: their properties describe the event, and a group's traits
describe the account.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from profiles.identifiers import ensure_identifier
from profiles.locks import lock_profiles, lock_values, run_in_transaction
from profiles.merge import (
    MAX_IDENTIFIERS,
    MAX_MERGES,
    Held,
    broken_limits,
    merge_count,
    merge_into,
)
from profiles.models import Event, ExternalId, Identifier, Merge, Profile
from profiles.normalize import (
    BlockRule,
    InvalidValue,
    identifier_value,
    load_block_rules,
    normalise_value,
    value_as_text,
)
from profiles.traits import apply_traits

logger = logging.getLogger(__name__)

# Identifiers read from the key of the same name in traits and properties,
# besides every custom identifier (rule 0.2).
KEYED_DEFAULTS = {"email", "phone"}

DEVICE_IDENTIFIERS = {"android", "ios"}


@dataclass
class IngestResult:
    event: Event | None
    profile: Profile | None
    duplicate: bool = False  # messageId already stored: acknowledged, not applied
    created: bool = False  # a new profile was created for this event
    merges: int = 0
    warnings: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """One normalised identifier value found on an event."""

    identifier: Identifier
    value: str
    order: int  # position in extraction order, which breaks priority ties

    @property
    def pair(self) -> tuple[int, str]:
        return (self.identifier.pk, self.value)

    @property
    def rank(self) -> tuple[int, int]:
        return (self.identifier.priority, self.order)


def warning(
    code: str, message: str, *, identifier: str = "", field: str = "", value: Any = None
) -> dict:
    entry = {"code": code, "identifier": identifier, "message": message}
    if field:
        entry["field"] = field
    if value is not None:
        entry["value"] = value
    return entry


# Extraction ------------------------------------------------------------------


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _sources(
    message: dict, identifiers: dict[str, Identifier], warnings: list[dict]
) -> Iterator[tuple[str, str, Any]]:
    """(field path, identifier key, raw value) in extraction order."""
    context = _dict(message.get("context"))
    yield "userId", "user_id", message.get("userId")
    if message.get("type") == "alias":
        previous = message.get("previousId")
        yield "previousId", _alias_type(previous, identifiers), previous
    yield "anonymousId", "anonymous_id", message.get("anonymousId")

    keyed = {
        key
        for key, identifier in identifiers.items()
        if key in KEYED_DEFAULTS or not identifier.is_default
    }
    # A group call's traits describe the account, not the person.
    traits = None if message.get("type") == "group" else message.get("traits")
    for name, section in (
        ("traits", traits),
        ("context.traits", context.get("traits")),
        ("properties", message.get("properties")),
    ):
        for key, value in _dict(section).items():
            if key in keyed:
                yield f"{name}.{key}", key, value

    device = _dict(context.get("device"))
    kind = str(device.get("type") or "").strip().lower()
    if kind in DEVICE_IDENTIFIERS:
        yield "context.device.id", f"{kind}.id", device.get("id")
        if device.get("adTrackingEnabled") is True:
            advertising_id = device.get("advertisingId")
            yield "context.device.advertisingId", f"{kind}.idfa", advertising_id
        yield "context.device.token", f"{kind}.push_token", device.get("token")

    for name, integrations in (
        ("integrations", message.get("integrations")),
        ("context.integrations", context.get("integrations")),
    ):
        google = _dict(_dict(integrations).get("Google Analytics"))
        client_id = google.get("clientId")
        yield f"{name}.Google Analytics.clientId", "ga_client_id", client_id

    yield from _external_ids(context.get("externalIds"), identifiers, warnings)


def _external_ids(
    entries: Any, identifiers: dict[str, Identifier], warnings: list[dict]
) -> Iterator[tuple[str, str, Any]]:
    """The person-level entries of `context.externalIds`; a type seen for
    the first time is added to the settings (rule 0.2)."""
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        path = f"context.externalIds[{index}]"
        if not isinstance(entry, dict):
            message = "An external id must be an object."
            warnings.append(warning("invalid_type", message, field=path))
            continue
        if entry.get("collection", "users") != "users" or entry.get("id") is None:
            continue  # account-level ids belong to groups, not to people
        raw_id = entry.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | float):
            # Checked before the type is added, so junk adds no identifier.
            message = "An external id's id must be a string or a number."
            warnings.append(warning("invalid_type", message, field=f"{path}.id"))
            continue
        raw_type = entry.get("type")
        key = raw_type.strip() if isinstance(raw_type, str) else ""
        if key not in identifiers:
            try:
                identifiers[key] = ensure_identifier(key=key)
            except ValidationError:
                warnings.append(
                    warning(
                        "invalid_identifier_type",
                        "An external id type must be a lower-case key such as "
                        "'shopify_id'.",
                        field=path,
                        value=str(raw_type)[:100],
                    )
                )
                continue
        yield path, key, entry.get("id")


def extract_identifiers(
    message: dict,
    *,
    identifiers: dict[str, Identifier],
    rules: list[BlockRule],
) -> tuple[list[Candidate], list[dict]]:
    """The event's identifiers, normalised, without blocked or invalid values
    and duplicates, in extraction order; plus a warning per dropped value.

    Adds identifier types first seen in `context.externalIds` to `identifiers`.
    """
    candidates: list[Candidate] = []
    warnings: list[dict] = []
    seen: set[tuple[int, str]] = set()
    for path, key, raw in _sources(message, identifiers, warnings):
        identifier = identifiers.get(key)
        if raw is None or identifier is None:
            continue
        candidate = _candidate(identifier, raw, path, len(candidates), rules, warnings)
        if candidate is not None and candidate.pair not in seen:
            seen.add(candidate.pair)
            candidates.append(candidate)
    return candidates, warnings


def _alias_type(raw: Any, identifiers: dict[str, Identifier]) -> str:
    """Rule 0.7: previousId is an anonymous_id when that value is known."""
    anonymous = identifiers.get("anonymous_id")
    if anonymous is None:
        return "user_id"
    try:
        value = normalise_value(raw, normaliser=anonymous.normaliser)
    except InvalidValue:
        return "user_id"
    known = ExternalId.objects.filter(identifier=anonymous, value=value).exists()
    return "anonymous_id" if known else "user_id"


def _candidate(
    identifier: Identifier,
    raw: Any,
    path: str,
    order: int,
    rules: list[BlockRule],
    warnings: list[dict],
) -> Candidate | None:
    key = identifier.key
    try:
        normalised = identifier_value(
            raw,
            identifier_id=identifier.pk,
            normaliser=identifier.normaliser,
            rules=rules,
        )
    except InvalidValue as exc:
        if exc.code == "empty_value":
            warnings.append(warning(exc.code, exc.message, field=path))
            return None
        if exc.code == "blocked_value":
            shown = raw if isinstance(raw, str) else value_as_text(raw)
        else:
            shown = raw if isinstance(raw, str | int | float) else None
        warnings.append(
            warning(exc.code, exc.message, identifier=key, field=path, value=shown)
        )
        return None
    return Candidate(identifier=identifier, value=normalised, order=order)


# Event fields ----------------------------------------------------------------


# Event times outside these years are a client's clock or a typo, never a
# real moment: far dates overflow datetime on conversion to UTC, and
# PostgreSQL cannot hand years past 9999 back to Python.
EARLIEST_EVENT_YEAR = 1970
LATEST_EVENT_YEAR = 9000


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (naive means UTC), else None.

    None too when the time, converted to UTC, lies outside the years
    EARLIEST_EVENT_YEAR to LATEST_EVENT_YEAR or cannot be converted at all.
    """
    moment = _parse_iso(value)
    return moment if moment is not None and _in_range(moment) else None


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_range(moment: datetime) -> bool:
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:  # 0001-01-01T00:00+05:00 is in year 0 in UTC
        return False
    return EARLIEST_EVENT_YEAR <= year <= LATEST_EVENT_YEAR


def event_time(message: dict, received_at: datetime, warnings: list[dict]) -> datetime:
    """`timestamp`, else `originalTimestamp`, else the time received.

    `sentAt` only travels inside the stored message; nothing reads it as a time.
    """
    for name in ("timestamp", "originalTimestamp"):
        raw = message.get(name)
        if raw is None:
            continue
        moment = _parse_iso(raw)
        if moment is not None and _in_range(moment):
            return moment.astimezone(UTC)
        if moment is None:
            reason = f"{name} is not an ISO 8601 time; the time received is used."
        else:
            reason = (
                f"{name} is outside the years {EARLIEST_EVENT_YEAR} to "
                f"{LATEST_EVENT_YEAR} (UTC); the time received is used."
            )
        warnings.append(
            warning("invalid_timestamp", reason, field=name, value=str(raw)[:100])
        )
        return received_at
    return received_at


def event_name(message: dict) -> str:
    kind = message.get("type")
    raw = message.get("event") if kind == "track" else message.get("name")
    return str(raw)[:255] if isinstance(raw, str | int | float) else ""


def identify_traits(message: dict, warnings: list[dict]) -> dict[str, Any]:
    if message.get("type") != "identify":
        return {}
    traits: dict[str, Any] = {}
    for name, section in (
        ("context.traits", _dict(message.get("context")).get("traits")),
        ("traits", message.get("traits")),
    ):
        if section is None:
            continue
        if not isinstance(section, dict):
            warnings.append(
                warning("invalid_traits", f"{name} is not an object.", field=name)
            )
            continue
        traits.update(section)
    return traits


def message_id_of(message: dict, warnings: list[dict]) -> str:
    raw = message.get("messageId")
    if raw is None or isinstance(raw, bool):
        return ""
    text = str(raw).strip() if isinstance(raw, str | int) else ""
    if len(text) > 100:
        warnings.append(
            warning(
                "invalid_message_id",
                "messageId is over 100 characters; the event is not deduplicated.",
                field="messageId",
            )
        )
        return ""
    return text


# Matching --------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where the values being attached come from."""

    message_id: str
    source: str


@dataclass
class Resolution:
    profile: Profile
    created: bool = False
    merges: list[Merge] = field(default_factory=list)
    attached: set[tuple[int, str]] = field(default_factory=set)
    warnings: list[dict] = field(default_factory=list)


def _pairs_query(pairs: list[tuple[int, str]]) -> Q:
    """ExternalId rows that are one of the (identifier id, value) pairs."""
    query = Q()
    by_identifier: dict[int, list[str]] = {}
    for identifier_id, value in pairs:
        by_identifier.setdefault(identifier_id, []).append(value)
    for identifier_id, values in by_identifier.items():
        query |= Q(identifier_id=identifier_id, value__in=values)
    return query


def _lock_holders(pairs: list[tuple[int, str]]) -> dict[int, Profile]:
    """Lock, in ascending id order, the profiles whose rows hold the pairs."""
    holder_ids = ExternalId.objects.filter(_pairs_query(pairs)).values("profile_id")
    rows = Profile.objects.select_for_update().filter(pk__in=holder_ids)
    return {profile.pk: profile for profile in rows.order_by("pk")}


def _read(
    pairs: list[tuple[int, str]], profile_ids: list[int]
) -> list[tuple[int, str, int, datetime]]:
    """(identifier id, value, canonical profile id, first seen) of every
    ExternalId that is one of `pairs` or belongs to one of `profile_ids`."""
    query = Q(profile_id__in=profile_ids) if profile_ids else Q()
    query |= _pairs_query(pairs)
    if not query:
        return []
    rows = ExternalId.objects.filter(query).values_list(
        "identifier_id",
        "value",
        "profile_id",
        "profile__merged_into_id",
        "first_seen_at",
    )
    return [(i, v, merged or profile, seen) for i, v, profile, merged, seen in rows]


@dataclass
class Match:
    """The canonical profiles holding an event's values, locked, and every
    identifier they hold."""

    holders: dict[tuple[int, str], int]  # (identifier id, value) -> profile id
    profiles: dict[int, Profile]
    held: list[Held]


def _match(pairs: list[tuple[int, str]]) -> Match:
    """Lock the canonical profiles holding any of the pairs, reading again
    until the holders are stable: a concurrent merge may move values while
    this transaction waits for a lock, and then the survivor is locked too."""
    wanted_pairs = set(pairs)
    # The common case in two queries: lock the holders, then read them. The
    # pairs' advisory locks keep new holders from appearing meanwhile.
    first = _lock_holders(pairs)
    if not first:
        return Match(holders={}, profiles={}, held=[])
    # Merged away while this waited: the read names the survivor, which the
    # loop then locks. (Deleted ones are simply absent, and so are their values.)
    locked = {pk: p for pk, p in first.items() if p.merged_into_id is None}
    rows = _read(pairs, list(locked))
    while True:
        holders = {(i, v): pk for i, v, pk, _ in rows if (i, v) in wanted_pairs}
        wanted = set(holders.values())
        missing = wanted - set(locked)
        if not missing:
            return Match(
                holders=holders,
                profiles={pk: locked[pk] for pk in wanted},
                held=[Held(pk, i, v, seen) for i, v, pk, seen in rows if pk in wanted],
            )
        locked.update(lock_profiles(missing))
        for pk in missing:
            # Merged away while this waited: the next read names the survivor.
            # (Deleted ones are simply absent, and so are their values.)
            if pk in locked and locked[pk].merged_into_id is not None:
                del locked[pk]
        rows = _read(pairs, list(locked))


def _attach(
    *, profile: Profile, ids: list[Candidate], at: datetime, origin: Origin
) -> set[tuple[int, str]]:
    ExternalId.objects.bulk_create(
        ExternalId(
            profile=profile,
            identifier=candidate.identifier,
            value=candidate.value,
            first_seen_at=at,
            last_seen_at=at,
            first_message_id=origin.message_id,
            source=origin.source,
        )
        for candidate in ids
    )
    return {candidate.pair for candidate in ids}


def _create(*, ids: list[Candidate], at: datetime, origin: Origin) -> Resolution:
    """A new profile with the event's ids, each type cut to its limit in
    extraction order."""
    profile = Profile.objects.create(created_at=at)
    kept: list[Candidate] = []
    dropped: list[Candidate] = []
    counts: dict[int, int] = {}
    for candidate in ids:
        n = counts.get(candidate.identifier.pk, 0)
        if n < candidate.identifier.limit and len(kept) < MAX_IDENTIFIERS:
            kept.append(candidate)
            counts[candidate.identifier.pk] = n + 1
        else:
            dropped.append(candidate)
    attached = _attach(profile=profile, ids=kept, at=at, origin=origin)
    return Resolution(
        profile=profile,
        created=True,
        attached=attached,
        warnings=[_limit_warning(c, [c.identifier]) for c in dropped],
    )


def _limit_warning(candidate: Candidate, broken: list[Identifier]) -> dict:
    """The warning for a value left off because of the `broken` limits."""
    limits = ", ".join(
        f"{identifier.key} limit of {identifier.limit}"
        + ("" if identifier.window is None else f" {identifier.limit_window}")
        for identifier in sorted(broken, key=lambda i: i.priority)
    )
    return warning(
        "limit_exceeded",
        f"Not attached: it would break the {limits}.",
        identifier=candidate.identifier.key,
        value=candidate.value,
    )


def _best_holder(
    ids: list[Candidate], holders: dict[tuple[int, str], int], profiles: dict
) -> Profile:
    """The profile holding the event's highest-priority identifier; ties go to
    the oldest profile."""

    def rank(profile: Profile) -> tuple:
        held = [c.rank for c in ids if holders.get(c.pair) == profile.pk]
        return (min(held, default=(10**9, 0)), profile.created_at, profile.pk)

    return min(profiles.values(), key=rank)


def resolve(
    *,
    candidates: list[Candidate],
    identifiers: dict[int, Identifier],
    at: datetime,
    origin: Origin,
) -> Resolution:
    """Section 2.4: match, merge, demote; the caller holds a transaction.

    `candidates` is not empty; `identifiers` maps the id of every identifier
    type to its settings. Merge rows are written without their event, which
    the caller stores afterwards.
    """
    lock_values(c.pair for c in candidates)
    ids = list(candidates)
    # Each demoted value and the warning saying which limit dropped it.
    demoted: dict[tuple[int, str], dict] = {}
    while True:
        match = _match([c.pair for c in ids])
        if not match.profiles:
            resolution = _create(ids=ids, at=at, origin=origin)
            resolution.warnings[:0] = list(demoted.values())
            return resolution

        ordered = sorted(match.profiles.values(), key=lambda p: (p.created_at, p.pk))
        held_pairs = {(h.identifier_id, h.value) for h in match.held}
        new_ids = [c for c in ids if c.pair not in held_pairs]
        cap = _cap_reached(ordered, held_pairs, new_ids)
        if cap is not None:
            profile = _best_holder(ids, match.holders, match.profiles)
            return Resolution(profile=profile, warnings=[*demoted.values(), cap])

        broken = broken_limits(
            held=match.held,
            new=[c.pair for c in new_ids],
            identifiers=identifiers,
            at=at,
        )
        if not broken:
            return _merge_and_attach(
                ordered=ordered,
                ids=ids,
                new_ids=new_ids,
                holders=match.holders,
                at=at,
                origin=origin,
                demoted=demoted,
            )

        lowest = max(c.identifier.priority for c in ids)
        reasons = [identifiers[pk] for pk in broken]
        for c in ids:
            if c.identifier.priority == lowest:
                demoted[c.pair] = _limit_warning(c, reasons)
        ids = [c for c in ids if c.identifier.priority != lowest]
        if not ids:
            return _fallback(
                originals=candidates, demoted=demoted, at=at, origin=origin
            )


def _cap_reached(
    ordered: list[Profile], held_pairs: set, new_ids: list[Candidate]
) -> dict | None:
    if len(ordered) > 1:
        total = merge_count([p.pk for p in ordered]) + len(ordered) - 1
        if total > MAX_MERGES:
            return warning(
                "merge_cap",
                f"Not merged: the profile would pass {MAX_MERGES} merges.",
            )
    if len(held_pairs) + len(new_ids) > MAX_IDENTIFIERS:
        return warning(
            "identifier_cap",
            f"Not merged or attached: the profile would pass {MAX_IDENTIFIERS} "
            "identifiers.",
        )
    return None


def _merge_and_attach(
    *,
    ordered: list[Profile],
    ids: list[Candidate],
    new_ids: list[Candidate],
    holders: dict[tuple[int, str], int],
    at: datetime,
    origin: Origin,
    demoted: dict[tuple[int, str], dict],
) -> Resolution:
    survivor, others = ordered[0], ordered[1:]
    merges = []
    for other in others:
        link = next(c for c in ids if holders.get(c.pair) == other.pk)
        merges.append(
            merge_into(
                survivor=survivor,
                other=other,
                kind=Merge.Kind.EVENT,
                identifier=link.identifier,
                value=link.value,
            )
        )
    attached = _attach(profile=survivor, ids=new_ids, at=at, origin=origin)
    seen_again = [c.pair for c in ids if c not in new_ids]
    _touch(survivor, seen_again, at)
    return Resolution(
        profile=survivor,
        merges=merges,
        attached=attached,
        warnings=list(demoted.values()),
    )


def _touch(profile: Profile, pairs: list[tuple[int, str]], at: datetime) -> None:
    if not pairs:
        return
    query = Q()
    for identifier_id, value in pairs:
        query |= Q(identifier_id=identifier_id, value=value)
    ExternalId.objects.filter(query, profile=profile, last_seen_at__lt=at).update(
        last_seen_at=at
    )


def _fallback(
    *,
    originals: list[Candidate],
    demoted: dict[tuple[int, str], dict],
    at: datetime,
    origin: Origin,
) -> Resolution:
    """Every id was demoted: the profile holding the highest-priority original
    identifier, else a new profile holding only that identifier."""
    best = min(originals, key=lambda c: c.rank)
    match = _match([best.pair])
    if match.profiles:
        profile = next(iter(match.profiles.values()))
        created = False
        attached: set = set()
    else:
        profile = Profile.objects.create(created_at=at)
        created = True
        attached = _attach(profile=profile, ids=[best], at=at, origin=origin)
    return Resolution(
        profile=profile,
        created=created,
        attached=attached,
        warnings=[w for pair, w in demoted.items() if pair not in attached],
    )


# Ingest ----------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsSnapshot:
    """The identifier settings and blocked values, read once for many
    messages (a request's batch, a file): settings saved meanwhile apply
    from the next snapshot on."""

    identifiers: dict[str, Identifier]
    rules: list[BlockRule]


def load_settings() -> SettingsSnapshot:
    return SettingsSnapshot(
        identifiers={
            identifier.key: identifier for identifier in Identifier.objects.all()
        },
        rules=load_block_rules(),
    )


def ingest_message(
    message: dict,
    *,
    source: str = "",
    received_at: datetime | None = None,
    snapshot: SettingsSnapshot | None = None,
) -> IngestResult:
    """Store one already-validated Segment-spec message and resolve it, in its
    own transaction (retried on PostgreSQL when it loses a race).

    Nested in an outer transaction it runs in a savepoint, and its locks are
    held until the outer transaction ends: batch many messages that way only
    where one process writes (an import), never in concurrent requests.
    """
    # TODO: about ten ORM round trips per message cap ingest near 150 events/s
    # per process (tests/bench); a set-based batch resolver (DESIGN.md's
    # importer.py) that matches it event for event can lift that.
    received_at = received_at or timezone.now()
    return run_in_transaction(
        lambda: _ingest(
            message, source=source[:64], received_at=received_at, snapshot=snapshot
        ),
        what="ingest",
    )


def _ingest(
    message: dict,
    *,
    source: str,
    received_at: datetime,
    snapshot: SettingsSnapshot | None,
) -> IngestResult:
    warnings: list[dict] = []
    message_id = message_id_of(message, warnings)
    if message_id:
        stored = Event.objects.filter(source=source, message_id=message_id).first()
        if stored is not None:
            profile = stored.profile
            if profile is not None and profile.merged_into_id is not None:
                profile = profile.merged_into
            return IngestResult(event=stored, profile=profile, duplicate=True)

    at = event_time(message, received_at, warnings)
    snapshot = snapshot or load_settings()
    # A copy: a type that this message adds must not outlive its transaction.
    identifiers = dict(snapshot.identifiers)
    candidates, dropped = extract_identifiers(
        message, identifiers=identifiers, rules=snapshot.rules
    )
    warnings.extend(dropped)
    traits = identify_traits(message, warnings)

    resolution = None
    if candidates:
        resolution = resolve(
            candidates=candidates,
            identifiers={i.pk: i for i in identifiers.values()},
            at=at,
            origin=Origin(message_id=message_id, source=source),
        )
        warnings.extend(resolution.warnings)
    else:
        reason = "No usable identifier: stored without a profile."
        warnings.append(warning("unresolved", reason))

    # Stored after resolving so that the common case is one write; a
    # duplicate messageId that slipped past the check above fails here on the
    # unique constraint and the retry answers it as a duplicate.
    profile = resolution.profile if resolution else None
    event = Event.objects.create(
        source=source,
        message_id=message_id,
        type=str(message.get("type") or "")[:16],
        name=event_name(message),
        payload=message,
        timestamp=at,
        received_at=received_at,
        profile=profile,
        warnings=warnings,
    )
    if resolution is None:
        return IngestResult(event=event, profile=None, warnings=warnings)

    if resolution.merges:
        Merge.objects.filter(pk__in=[m.pk for m in resolution.merges]).update(
            event=event
        )
    if traits and apply_traits(profile=profile, traits=traits, at=at, seq=event.pk):
        profile.save(update_fields=["traits", "trait_updated_at", "updated_at"])
    if warnings:
        logger.info(
            "Event %s resolved to profile %s with %s warnings",
            event.pk,
            profile.pk,
            len(warnings),
        )
    return IngestResult(
        event=event,
        profile=profile,
        created=resolution.created,
        merges=len(resolution.merges),
        warnings=warnings,
    )
