"""What the console reads about profiles: search by any identifier, the most
recently updated profiles, and what a profile card shows.

Searching only looks (rule 0.10). A typed value is normalised with the
normaliser of each identifier searched, exactly as the engine stores values,
so `202-555-0143` finds the profile holding `phone:+12025550143`. The writes
a card offers (add and remove an identifier, merge, delete) live with the
engine in merge.py and deletion.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import groupby

from django.db.models import Count, Q, QuerySet

from profiles.models import AuditEntry, Event, ExternalId, Identifier, Merge, Profile
from profiles.normalize import InvalidValue, normalise_value
from profiles.search import get_canonical_profile

ANY_IDENTIFIER = ""
# How many identifiers a result row shows before "and N more".
SUMMARY_IDENTIFIERS = 3

UNKNOWN_IDENTIFIER = "There is no identifier “{key}”."
INVALID_FOR_ALL = "“{value}” is not a valid value for any identifier."


@dataclass(frozen=True)
class Match:
    """Why a profile is in the results: the identifier value that matched,
    or its profile id (identifier None)."""

    identifier: Identifier | None
    value: str


@dataclass(frozen=True)
class ProfileRow:
    """A profile as the results list shows it."""

    profile: Profile
    identifiers: list[ExternalId]  # highest priority first, at most a few
    more_identifiers: int
    event_count: int
    match: Match | None = None


@dataclass(frozen=True)
class ProfileSearch:
    rows: list[ProfileRow] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class IdentifierGroup:
    identifier: Identifier
    values: list[ExternalId]


@dataclass(frozen=True)
class ProfileCard:
    profile: Profile
    identifier_groups: list[IdentifierGroup]
    merges: list[Merge]  # newest first, including merges into absorbed ids
    merge_actors: dict[int, str]  # manual merge id -> who, from the audit
    merged_uids: list[str]  # ids that now stand for this profile
    events: QuerySet[Event]  # newest first


def search_profiles(*, identifier_key: str, value: str) -> ProfileSearch:
    """The canonical profiles holding `value` as the identifier named by
    `identifier_key`, or as any identifier (ANY_IDENTIFIER), in priority
    order; searching any identifier also matches a profile id.

    A value that the chosen identifier (or every identifier) refuses gives
    an error saying why, and no rows.
    """
    text = value.strip()
    if identifier_key == ANY_IDENTIFIER:
        identifiers = list(Identifier.objects.order_by("priority"))
    else:
        identifiers = list(Identifier.objects.filter(key=identifier_key))
        if not identifiers:
            return ProfileSearch(error=UNKNOWN_IDENTIFIER.format(key=identifier_key))

    targets: list[tuple[Identifier, str]] = []
    reasons: list[str] = []
    for identifier in identifiers:
        try:
            normalised = normalise_value(text, normaliser=identifier.normaliser)
        except InvalidValue as exc:
            reasons.append(exc.message)
            continue
        if normalised:
            targets.append((identifier, normalised))

    by_uid = None
    if identifier_key == ANY_IDENTIFIER and text:
        by_uid = get_canonical_profile(uid=text)
    if not targets and by_uid is None:
        if identifier_key == ANY_IDENTIFIER:
            return ProfileSearch(error=INVALID_FOR_ALL.format(value=text))
        return ProfileSearch(error=reasons[0] if reasons else "Enter a value.")

    found: dict[int, tuple[Profile, Match]] = {}
    if by_uid is not None:
        found[by_uid.pk] = (by_uid, Match(identifier=None, value=text))
    for profile, match in _holders(targets):
        found.setdefault(profile.pk, (profile, match))
    rows = profile_rows([profile for profile, _ in found.values()])
    return ProfileSearch(
        rows=[replace(row, match=found[row.profile.pk][1]) for row in rows]
    )


def _holders(
    targets: list[tuple[Identifier, str]],
) -> list[tuple[Profile, Match]]:
    """The canonical holder of each (identifier, value), in priority order."""
    if not targets:
        return []
    query = Q()
    for identifier, normalised in targets:
        query |= Q(identifier=identifier, value=normalised)
    rows = (
        ExternalId.objects.filter(query)
        .select_related("identifier", "profile__merged_into")
        .order_by("identifier__priority", "pk")
    )
    return [
        (
            row.profile.merged_into or row.profile,
            Match(identifier=row.identifier, value=row.value),
        )
        for row in rows
    ]


def recent_profiles() -> QuerySet[Profile]:
    """Every canonical profile, the most recently updated first."""
    return Profile.objects.filter(merged_into__isnull=True).order_by(
        "-updated_at", "-pk"
    )


def profile_rows(profiles: list[Profile]) -> list[ProfileRow]:
    """Result rows for `profiles`, in the order given: each profile's
    highest-priority identifiers and its event count, in two queries."""
    ids = [profile.pk for profile in profiles]
    counts = dict(
        Event.objects.filter(profile_id__in=ids)
        .values_list("profile_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    held: dict[int, list[ExternalId]] = defaultdict(list)
    rows = (
        ExternalId.objects.filter(profile_id__in=ids)
        .select_related("identifier")
        .order_by("identifier__priority", "first_seen_at", "pk")
    )
    for row in rows:
        held[row.profile_id].append(row)
    return [
        ProfileRow(
            profile=profile,
            identifiers=held[profile.pk][:SUMMARY_IDENTIFIERS],
            more_identifiers=max(len(held[profile.pk]) - SUMMARY_IDENTIFIERS, 0),
            event_count=counts.get(profile.pk, 0),
        )
        for profile in profiles
    ]


def profile_card(*, profile: Profile) -> ProfileCard:
    """Everything the card of a canonical profile shows."""
    external_ids = (
        ExternalId.objects.filter(profile=profile)
        .select_related("identifier")
        .order_by("identifier__priority", "first_seen_at", "pk")
    )
    groups = [
        IdentifierGroup(identifier=identifier, values=list(values))
        for identifier, values in groupby(external_ids, key=lambda row: row.identifier)
    ]
    merges = (
        Merge.objects.filter(Q(survivor=profile) | Q(survivor__merged_into=profile))
        .select_related("survivor", "merged", "event", "identifier", "actor")
        .order_by("-created_at", "-pk")
    )
    merged_uids = Profile.objects.filter(merged_into=profile).order_by(
        "merged_at", "pk"
    )
    return ProfileCard(
        profile=profile,
        identifier_groups=groups,
        merges=list(merges),
        merge_actors=_merge_actors(
            [merge.pk for merge in merges if merge.kind == Merge.Kind.MANUAL]
        ),
        merged_uids=list(merged_uids.values_list("uid", flat=True)),
        events=Event.objects.filter(profile=profile).order_by("-timestamp", "-pk"),
    )


def _merge_actors(merge_ids: list[int]) -> dict[int, str]:
    """Who made each manual merge, as its audit entry names them: the user
    row may be gone, and commands are audited by label ("cli")."""
    if not merge_ids:
        return {}
    entries = AuditEntry.objects.filter(
        action="profile.merge", after__merge__in=merge_ids
    ).values_list("after__merge", "actor_label")
    return {merge_id: label for merge_id, label in entries if label}
