"""Merging profiles losslessly, with a Merge record saying why.

A merged profile stays as a tombstone whose `merged_into` points straight at a
canonical profile: when a profile is merged, its identifiers, events and the
tombstones that pointed at it all move to the survivor, so finding the
canonical profile of any id is one step, however long the chain of merges.

Manual actions (`merge_profiles`, `add_identifier`) obey the same limits as
resolution does and refuse with a reason instead of demoting anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from profiles.audit import Actor, record_audit
from profiles.locks import lock_profiles, lock_values, run_in_transaction
from profiles.models import Event, ExternalId, Identifier, Merge, Profile
from profiles.normalize import InvalidValue, identifier_value, load_block_rules
from profiles.traits import combine_traits

logger = logging.getLogger(__name__)

MAX_MERGES = 100
BLOCKED_REFUSAL = "This value is blocked and cannot be an identifier."
MAX_IDENTIFIERS = 1000


class Refused(Exception):
    """A manual action that cannot run; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MergeRefused(Refused):
    """A manual merge that would break a limit or cannot run."""


class AlreadyMerged(Exception):
    """Both profiles are already one: a repeated request is harmless."""

    def __init__(self, survivor: Profile) -> None:
        super().__init__(f"Already merged into {survivor.uid}.")
        self.survivor = survivor


class IdentifierRefused(Refused):
    """A manual identifier that cannot be added."""


class AlreadyPresent(Exception):
    """The profile already holds the identifier: a repeated request."""

    def __init__(self, external_id: ExternalId) -> None:
        super().__init__("Already present on this profile.")
        self.external_id = external_id


# Limits ----------------------------------------------------------------------


@dataclass
class Held:
    """An identifier value already on a profile."""

    profile_id: int
    identifier_id: int
    value: str
    first_seen_at: datetime


def held_identifiers(profile_ids: list[int]) -> list[Held]:
    rows = ExternalId.objects.filter(profile_id__in=profile_ids).values_list(
        "profile_id", "identifier_id", "value", "first_seen_at"
    )
    return [Held(*row) for row in rows]


def broken_limits(
    *,
    held: list[Held],
    new: list[tuple[int, str]],
    identifiers: dict[int, Identifier],
    at: datetime,
) -> set[int]:
    """Identifier ids whose limit the profiles of `held`, made one and given
    the `new` (identifier id, value) pairs, would break at time `at`.

    A value counts when it was first attached after its window's start (one
    attached after `at` counts too, so a late event never widens a profile
    past its limit). A profile already over a limit that was tightened later
    is not frozen: a type only breaks when the result holds more values of it
    than any one of the profiles does.
    """
    per_type: dict[int, set[str]] = {}
    per_profile: dict[tuple[int, int], int] = {}
    for h in held:
        window = identifiers[h.identifier_id].window
        if window is None or h.first_seen_at > at - window:
            per_type.setdefault(h.identifier_id, set()).add(h.value)
            slot = (h.profile_id, h.identifier_id)
            per_profile[slot] = per_profile.get(slot, 0) + 1
    held_pairs = {(h.identifier_id, h.value) for h in held}
    for identifier_id, value in new:
        if (identifier_id, value) not in held_pairs:
            per_type.setdefault(identifier_id, set()).add(value)

    broken = set()
    for identifier_id, values in per_type.items():
        largest = max(
            (n for (_, i), n in per_profile.items() if i == identifier_id), default=0
        )
        if len(values) > identifiers[identifier_id].limit and len(values) > largest:
            broken.add(identifier_id)
    return broken


def merge_count(profile_ids: list[int]) -> int:
    """How many profiles have been merged into these canonical profiles."""
    return Profile.objects.filter(merged_into_id__in=profile_ids).count()


def _limit_message(identifiers: dict[int, Identifier], broken: set[int]) -> str:
    names = ", ".join(
        f"{identifiers[pk].key} (limit {identifiers[pk].limit}"
        + ("" if identifiers[pk].window is None else f" {identifiers[pk].limit_window}")
        + ")"
        for pk in sorted(broken, key=lambda pk: identifiers[pk].priority)
    )
    return f"it would break the identifier limit of {names}"


# Merging ---------------------------------------------------------------------


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


def lock_canonical(profile_ids: list[int]) -> dict[int, Profile]:
    """Lock the canonical profiles of `profile_ids`; maps each given id to
    its locked canonical profile (absent when deleted).

    Rows stay as they were read once locked, so each pass only has to chase
    survivors that a merge committed while this transaction waited.
    """
    wanted = set(profile_ids)
    while True:
        rows = lock_profiles(wanted)
        result: dict[int, Profile] = {}
        chase: set[int] = set()
        for pk in profile_ids:
            row = rows.get(pk)
            if row is None:
                continue
            target = rows.get(row.merged_into_id) if row.merged_into_id else row
            if target is None:
                chase.add(row.merged_into_id)
            elif target.merged_into_id is not None:
                chase.add(target.merged_into_id)
            else:
                result[pk] = target
        if chase <= wanted:
            return result
        wanted |= chase


def _user(actor: Actor) -> AbstractBaseUser | None:
    if isinstance(actor, AbstractBaseUser) and actor.is_authenticated:
        return actor
    return None


def merge_profiles(*, survivor: Profile, other: Profile, actor: Actor) -> Merge:
    """Merge `other` into `survivor` by hand, within the limits.

    Raises AlreadyMerged when the two are already one profile (a double
    submit), MergeRefused with the reason when a limit or cap forbids it or a
    profile no longer exists. Merged-away profiles stand for their survivor.
    """

    def work() -> Merge:
        canonical = lock_canonical([survivor.pk, other.pk])
        for profile in (survivor, other):
            if profile.pk not in canonical:
                raise MergeRefused(f"Profile {profile.uid} no longer exists.")
        keep, fold = canonical[survivor.pk], canonical[other.pk]
        if keep.pk == fold.pk:
            raise AlreadyMerged(keep)

        held = held_identifiers([keep.pk, fold.pk])
        if merge_count([keep.pk, fold.pk]) + 1 > MAX_MERGES:
            raise MergeRefused(f"Refused: the profile would pass {MAX_MERGES} merges.")
        if len(held) > MAX_IDENTIFIERS:
            raise MergeRefused(
                f"Refused: the profile would pass {MAX_IDENTIFIERS} identifiers."
            )
        identifiers = Identifier.objects.in_bulk()
        broken = broken_limits(
            held=held, new=[], identifiers=identifiers, at=timezone.now()
        )
        if broken:
            raise MergeRefused(
                f"Refused: {_limit_message(identifiers, broken)} on one profile."
            )

        merge = merge_into(
            survivor=keep, other=fold, kind=Merge.Kind.MANUAL, actor=_user(actor)
        )
        record_audit(
            actor=actor,
            action="profile.merge",
            target_type="profile",
            target=keep.uid,
            before={"profiles": [keep.uid, fold.uid]},
            after={"survivor": keep.uid, "merged": fold.uid, "merge": merge.pk},
        )
        return merge

    return run_in_transaction(work, what="manual merge")


def add_identifier(
    *, profile: Profile, identifier_key: str, value: object, actor: Actor
) -> ExternalId:
    """Attach `identifier_key:value` to a profile by hand, within the limits.

    Raises IdentifierRefused (unknown type, invalid or blocked value, limit,
    held by another profile) or AlreadyPresent (a repeated request).
    """
    identifier = Identifier.objects.filter(key=identifier_key).first()
    if identifier is None:
        raise IdentifierRefused(f"There is no identifier {identifier_key!r}.")
    try:
        normalised = identifier_value(
            value,
            identifier_id=identifier.pk,
            normaliser=identifier.normaliser,
            rules=load_block_rules(),
        )
    except InvalidValue as exc:
        if exc.code in {"blocked_value", "empty_value"}:
            raise IdentifierRefused(BLOCKED_REFUSAL) from exc
        raise IdentifierRefused(exc.message) from exc

    def work() -> ExternalId:
        lock_values([(identifier.pk, normalised)])
        canonical = lock_canonical([profile.pk]).get(profile.pk)
        if canonical is None:
            raise IdentifierRefused(f"Profile {profile.uid} no longer exists.")
        existing = ExternalId.objects.filter(
            identifier=identifier, value=normalised
        ).first()
        if existing is not None and existing.profile_id == canonical.pk:
            raise AlreadyPresent(existing)
        if existing is not None:
            raise IdentifierRefused(
                "Another profile holds this identifier; merge the profiles instead."
            )
        now = timezone.now()
        held = held_identifiers([canonical.pk])
        if len(held) + 1 > MAX_IDENTIFIERS:
            raise IdentifierRefused(
                f"Refused: the profile would pass {MAX_IDENTIFIERS} identifiers."
            )
        identifiers = Identifier.objects.in_bulk()
        broken = broken_limits(
            held=held,
            new=[(identifier.pk, normalised)],
            identifiers=identifiers,
            at=now,
        )
        if broken:
            raise IdentifierRefused(f"Refused: {_limit_message(identifiers, broken)}.")

        external_id = ExternalId.objects.create(
            profile=canonical,
            identifier=identifier,
            value=normalised,
            first_seen_at=now,
            last_seen_at=now,
            source="console",
        )
        record_audit(
            actor=actor,
            action="profile.add_identifier",
            target_type="profile",
            target=canonical.uid,
            after={"identifier": identifier.key, "external_id": external_id.pk},
        )
        return external_id

    return run_in_transaction(work, what="add identifier")
