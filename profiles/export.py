"""Profiles as plain dicts, the stable shape `export_profiles` and
`find_profile` print (one JSON object per line).

A profile is exported with everything that was merged into it: identifiers and
events are gathered over the canonical profile and its tombstones, so the
export does not depend on whether a merge moved rows or left them in place.

Identifiers are listed in priority order, then by value (string order), so two
stores holding the same data export the same lines whatever the arrival order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count

from profiles.models import Event, ExternalId, Profile

EXPORT_BATCH_SIZE = 500


def export_profile(*, profile: Profile) -> dict[str, Any]:
    """The export dict of one canonical profile."""
    return _export_batch([profile])[0]


def export_profiles() -> Iterator[dict[str, Any]]:
    """Every canonical profile, ordered by its id (the uid), batch by batch."""
    canonical = Profile.objects.filter(merged_into__isnull=True).order_by("uid")
    batch: list[Profile] = []
    for profile in canonical.iterator(chunk_size=EXPORT_BATCH_SIZE):
        batch.append(profile)
        if len(batch) == EXPORT_BATCH_SIZE:
            yield from _export_batch(batch)
            batch = []
    if batch:
        yield from _export_batch(batch)


def _export_batch(profiles: list[Profile]) -> list[dict[str, Any]]:
    root_of = {profile.pk: profile.pk for profile in profiles}
    merged_uids = _merged_uids(root_of)

    identifiers: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    rows = ExternalId.objects.filter(profile_id__in=root_of).values_list(
        "profile_id", "identifier__priority", "identifier__key", "value"
    )
    for profile_id, priority, key, value in rows:
        identifiers[root_of[profile_id]].append((priority, value, key))

    events: dict[int, int] = defaultdict(int)
    counts = (
        Event.objects.filter(profile_id__in=root_of)
        .values_list("profile_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for profile_id, n in counts:
        events[root_of[profile_id]] += n

    return [
        {
            "id": profile.uid,
            "created_at": profile.created_at.isoformat(),
            "identifiers": [
                {"type": key, "value": value}
                for _, value, key in sorted(identifiers[profile.pk])
            ],
            "traits": profile.traits,
            "events": events[profile.pk],
            "merged_ids": merged_uids[profile.pk],
        }
        for profile in profiles
    ]


def _merged_uids(root_of: dict[int, int]) -> dict[int, list[str]]:
    """Fill `root_of` with every tombstone below the given profiles and return,
    per canonical profile, the uids merged into it (oldest merge first).

    The engine points tombstones straight at the canonical profile, but a
    chain (C -> B -> A) is followed level by level all the same.
    """
    found: dict[int, list[tuple[Any, int, str]]] = defaultdict(list)
    frontier: Iterable[int] = list(root_of)
    while frontier:
        rows = list(
            Profile.objects.filter(merged_into_id__in=frontier).values_list(
                "pk", "uid", "merged_into_id", "merged_at"
            )
        )
        for pk, uid, parent_id, merged_at in rows:
            root_of[pk] = root_of[parent_id]
            found[root_of[pk]].append((merged_at, pk, uid))
        frontier = [row[0] for row in rows]

    merged: dict[int, list[str]] = defaultdict(list)
    for root, items in found.items():
        merged[root] = [uid for _, _, uid in sorted(items, key=_merge_order)]
    return merged


def _merge_order(item: tuple[Any, int, str]) -> tuple[bool, Any, int]:
    merged_at, pk, _ = item
    # A tombstone without a merge time sorts last instead of breaking the sort.
    return (merged_at is None, merged_at or 0, pk)
