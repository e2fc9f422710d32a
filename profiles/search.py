"""Find a profile by a contact-center address (DOMAIN.md 1.5 and rule 0.10).

An address is cleaned the way each channel delivers it (`whatsapp:`, `tel:`,
`sms:` and `messenger:` prefixes stripped, `Jane <jane@x.com>` reduced to the
bare address for email identifiers), normalised with the mapped identifier's
normaliser and looked up as one `type:value`. A disabled or unmapped address
type never searches, and so never creates anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import parseaddr
from enum import StrEnum

from django.utils import timezone

from profiles.locks import lock_values, run_in_transaction
from profiles.models import AddressType, ExternalId, Identifier, Normaliser, Profile
from profiles.normalize import (
    InvalidValue,
    is_blocked,
    load_block_rules,
    normalise_value,
    strip_prefix,
    value_as_text,
)

logger = logging.getLogger(__name__)

CHANNEL_PREFIXES = ("whatsapp:", "tel:", "sms:", "messenger:")

# Voice SDK and SIP callers: addresses, but never phone numbers.
NOT_PHONE_PREFIXES = ("client:", "sip:", "sips:")


class Outcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not found"
    SEARCH_DISABLED = "search disabled"
    NOT_MAPPED = "not mapped"
    INVALID_ADDRESS = "invalid address"
    UNKNOWN_ADDRESS_TYPE = "unknown address type"


@dataclass(frozen=True)
class SearchResult:
    outcome: Outcome
    profile: Profile | None = None
    created: bool = False


@dataclass(frozen=True)
class _Target:
    identifier: Identifier
    value: str


def _target(address_type: str, address: str) -> _Target | Outcome:
    """The identifier and normalised value to look up, or why there is none."""
    channel = (
        AddressType.objects.select_related("identifier")
        .filter(key=address_type)
        .first()
    )
    if channel is None:
        return Outcome.UNKNOWN_ADDRESS_TYPE
    if not channel.search_enabled:
        return Outcome.SEARCH_DISABLED
    if channel.identifier is None:
        return Outcome.NOT_MAPPED

    identifier = channel.identifier
    value = clean_address(address, normaliser=identifier.normaliser)
    if value is None:
        return Outcome.INVALID_ADDRESS
    return _Target(identifier=identifier, value=value)


def clean_address(address: object, *, normaliser: str) -> str | None:
    """The normalised, unblocked identifier value of an address, or None."""
    try:
        text = strip_prefix(value_as_text(address), CHANNEL_PREFIXES)
    except InvalidValue:
        return None
    if normaliser == Normaliser.PHONE and text.lower().startswith(NOT_PHONE_PREFIXES):
        return None
    if normaliser == Normaliser.EMAIL and "<" in text:
        text = parseaddr(text)[1]
    try:
        value = normalise_value(text, normaliser=normaliser)
    except InvalidValue:
        return None
    return value or None


def _is_blocked(target: _Target, raw: str) -> bool:
    return is_blocked(
        identifier_id=target.identifier.pk,
        raw=raw.strip(),
        normalised=target.value,
        rules=load_block_rules(),
    )


def _holder(identifier_id: int, value: str) -> Profile | None:
    row = (
        ExternalId.objects.select_related("profile__merged_into")
        .filter(identifier_id=identifier_id, value=value)
        .first()
    )
    if row is None:
        return None
    return row.profile.merged_into or row.profile


def find_profile(*, address_type: str, address: str) -> SearchResult:
    """Look only: never creates anything."""
    target = _target(address_type, address)
    if isinstance(target, Outcome):
        return SearchResult(outcome=target)
    profile = _holder(target.identifier.pk, target.value)
    if profile is None:
        return SearchResult(outcome=Outcome.NOT_FOUND)
    return SearchResult(outcome=Outcome.FOUND, profile=profile)


def find_or_create_profile(
    *, address_type: str, address: str, source: str = "lookup"
) -> SearchResult:
    """Look, and on no match create a profile holding only that identifier.

    The profile is created without an event: a lookup is not something the
    customer did, so the timeline starts with the first real event. The new
    identifier records `source` and the time of creation. A blocked value is
    an invalid address here: it must never become an identifier.
    """
    target = _target(address_type, address)
    if isinstance(target, Outcome):
        return SearchResult(outcome=target)
    if _is_blocked(target, str(address)):
        return SearchResult(outcome=Outcome.INVALID_ADDRESS)

    def work() -> SearchResult:
        # The value's lock makes a concurrent lookup or first event for the
        # same address wait, then find what this one created.
        lock_values([(target.identifier.pk, target.value)])
        profile = _holder(target.identifier.pk, target.value)
        if profile is not None:
            return SearchResult(outcome=Outcome.FOUND, profile=profile)
        now = timezone.now()
        profile = Profile.objects.create(created_at=now)
        ExternalId.objects.create(
            profile=profile,
            identifier=target.identifier,
            value=target.value,
            first_seen_at=now,
            last_seen_at=now,
            source=source[:64],
        )
        logger.info("Lookup created profile %s", profile.pk)
        return SearchResult(outcome=Outcome.FOUND, profile=profile, created=True)

    return run_in_transaction(work, what="lookup")


def find_profile_by_identifier(*, identifier_key: str, value: str) -> Profile | None:
    """The canonical profile holding `identifier_key:value` (value normalised
    with the identifier's normaliser), or None."""
    identifier = Identifier.objects.filter(key=identifier_key).first()
    if identifier is None:
        return None
    try:
        normalised = normalise_value(value, normaliser=identifier.normaliser)
    except InvalidValue:
        return None
    return _holder(identifier.pk, normalised)


def get_canonical_profile(*, uid: str) -> Profile | None:
    """The canonical profile for a profile id, following merges; None if unknown
    or deleted."""
    profile = Profile.objects.select_related("merged_into").filter(uid=uid).first()
    if profile is None:
        return None
    return profile.merged_into or profile
