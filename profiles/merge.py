"""Merging profiles losslessly, with a Merge record saying why.

A merged profile stays as a tombstone whose `merged_into` points straight at a
canonical profile: when a profile is merged, its identifiers, events and the
tombstones that pointed at it all move to the survivor, so finding the
canonical profile of any id is one step, however long the chain of merges.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from profiles.models import Event, ExternalId, Identifier, Merge, Profile
from profiles.traits import combine_traits

logger = logging.getLogger(__name__)

MAX_MERGES = 100
MAX_IDENTIFIERS = 1000


def merge_into(
    *,
    survivor: Profile,
    other: Profile,
    kind: str,
    event: Event | None = None,
    identifier: Identifier | None = None,
    value: str = "",
    actor: AbstractBaseUser | None = None,
) -> Merge:
    """Fold `other` into `survivor`; both rows must be locked by the caller.

    The survivor's traits change in memory and are saved here.
    """
    ExternalId.objects.filter(profile=other).update(profile=survivor)
    Event.objects.filter(profile=other).update(profile=survivor)
    Profile.objects.filter(merged_into=other).update(merged_into=survivor)

    combine_traits(survivor=survivor, other=other)
    survivor.save(update_fields=["traits", "trait_updated_at", "updated_at"])
    other.merged_into = survivor
    other.merged_at = timezone.now()
    other.save(update_fields=["merged_into", "merged_at", "updated_at"])

    merge = Merge.objects.create(
        survivor=survivor,
        merged=other,
        kind=kind,
        event=event,
        identifier=identifier,
        value=value,
        actor=actor,
    )
    logger.info("Merged profile %s into %s (%s)", other.pk, survivor.pk, kind)
    return merge


def merge_count(profile_ids: list[int]) -> int:
    """How many profiles have been merged into these canonical profiles."""
    return Profile.objects.filter(merged_into_id__in=profile_ids).count()
