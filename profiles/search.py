"""Find a profile by a contact-center address (DOMAIN.md 1.5 and rule 0.10).

INTERFACE STUB: the engine work fills this in; the signatures are the contract
that the console and the APIs code against.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from profiles.models import Profile


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


def find_profile(*, address_type: str, address: str) -> SearchResult:
    """Look only: never creates anything."""
    raise NotImplementedError


def find_or_create_profile(
    *, address_type: str, address: str, source: str = "lookup"
) -> SearchResult:
    """Look, and on no match create a profile holding only that identifier."""
    raise NotImplementedError


def find_profile_by_identifier(*, identifier_key: str, value: str) -> Profile | None:
    """The canonical profile holding `identifier_key:value` (value normalised
    with the identifier's normaliser), or None."""
    raise NotImplementedError


def get_canonical_profile(*, uid: str) -> Profile | None:
    """The canonical profile for a profile id, following merges; None if unknown
    or deleted."""
    raise NotImplementedError
