"""Resolve each incoming event to exactly one profile (DOMAIN.md section 2.4).

INTERFACE STUB: the engine work fills this in; the signatures are the contract
that the APIs and management commands code against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from profiles.models import Event, Profile


@dataclass
class IngestResult:
    event: Event | None
    profile: Profile | None
    duplicate: bool = False  # messageId already stored: acknowledged, not applied
    created: bool = False  # a new profile was created for this event
    merges: int = 0
    warnings: list[dict] = field(default_factory=list)


def ingest_message(
    message: dict, *, source: str = "", received_at: datetime | None = None
) -> IngestResult:
    """Store one already-validated Segment-spec message and resolve it, in its
    own transaction (retried on PostgreSQL when it loses a race)."""
    raise NotImplementedError
