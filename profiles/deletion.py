"""Deleting a profile and removing one identifier (rule 0.11, section 2.6).

Deleting a profile erases its traits, events, identifiers and merge records,
and those of every profile merged into it; a later event with one of those
identifiers starts a new profile with a new id. Removing one identifier keeps
the profile's history; the value may later attach to another profile. Both are
audited with ids and identifier types only, never the personal values.
"""

from __future__ import annotations

import contextlib
import logging

from django.db.models import Q

from profiles.audit import Actor, record_audit
from profiles.locks import run_in_transaction
from profiles.merge import lock_canonical
from profiles.models import Event, ExternalId, Identifier, Merge, Profile
from profiles.normalize import InvalidValue, normalise_value, value_as_text

logger = logging.getLogger(__name__)


class ProfileGone(Exception):
    """The profile was deleted (perhaps by a concurrent request)."""


class IdentifierNotFound(Exception):
    """The profile holds no such identifier."""


class LastUserIdRefused(Exception):
    """The last user_id of a profile cannot be removed."""

    def __init__(self) -> None:
        super().__init__("The last user_id of a profile cannot be removed.")


def delete_profile(*, profile: Profile, actor: Actor) -> dict:
    """Delete the canonical profile of `profile` and everything it absorbed.

    Returns what was deleted, as counts and profile ids.
    """

    def work() -> dict:
        canonical = lock_canonical([profile.pk]).get(profile.pk)
        if canonical is None:
            raise ProfileGone(f"Profile {profile.uid} no longer exists.")
        absorbed = list(
            Profile.objects.filter(merged_into=canonical).values_list("pk", "uid")
        )
        ids = [canonical.pk, *(pk for pk, _ in absorbed)]
        summary = {
            "profile": canonical.uid,
            "merged_profiles": sorted(uid for _, uid in absorbed),
            "identifiers": ExternalId.objects.filter(profile_id__in=ids).count(),
            "events": Event.objects.filter(profile_id__in=ids).count(),
        }

        # Explicit deletes in dependency order keep this to a few statements
        # however many events the profile has.
        Merge.objects.filter(Q(survivor_id__in=ids) | Q(merged_id__in=ids)).delete()
        ExternalId.objects.filter(profile_id__in=ids).delete()
        Event.objects.filter(profile_id__in=ids).delete()
        Profile.objects.filter(merged_into=canonical).delete()
        canonical.delete()

        record_audit(
            actor=actor,
            action="profile.delete",
            target_type="profile",
            target=summary["profile"],
            before=summary,
        )
        logger.info("Deleted profile %s and %s merged", ids[0], len(ids) - 1)
        return summary

    # TODO: Events stored without a profile (all their ids dropped) keep any
    # personal values of their payload; erase them too once events can be
    # searched by value, before this is offered for GDPR erasure requests.
    return run_in_transaction(work, what="delete profile")


def remove_identifier(
    *, profile: Profile, identifier_key: str, value: object, actor: Actor
) -> None:
    """Detach one identifier from the canonical profile of `profile`.

    `value` is matched as stored, after the identifier's normaliser. Raises
    IdentifierNotFound, LastUserIdRefused or ProfileGone.
    """

    def work() -> None:
        canonical = lock_canonical([profile.pk]).get(profile.pk)
        if canonical is None:
            raise ProfileGone(f"Profile {profile.uid} no longer exists.")
        identifier = Identifier.objects.filter(key=identifier_key).first()
        if identifier is None:
            raise IdentifierNotFound(f"There is no identifier {identifier_key!r}.")
        held = ExternalId.objects.filter(profile=canonical, identifier=identifier)
        row = held.filter(value__in=_forms(value, identifier)).first()
        if row is None:
            raise IdentifierNotFound("The profile holds no such identifier.")
        if identifier.key == "user_id" and held.count() == 1:
            raise LastUserIdRefused()

        removed_pk = row.pk
        row.delete()
        record_audit(
            actor=actor,
            action="profile.remove_identifier",
            target_type="profile",
            target=canonical.uid,
            before={"identifier": identifier.key, "external_id": removed_pk},
        )
        logger.info("Removed an identifier from profile %s", canonical.pk)

    run_in_transaction(work, what="remove identifier")


def _forms(value: object, identifier: Identifier) -> list[str]:
    """The stored forms `value` may have: normalised, else as typed."""
    forms = []
    for form in (
        lambda: normalise_value(value, normaliser=identifier.normaliser),
        lambda: value_as_text(value),
    ):
        with contextlib.suppress(InvalidValue):
            forms.append(form())
    return forms
