from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profiles.models import AddressType, ExternalId, Identifier, Profile
from profiles.resolution import IngestResult, ingest_message

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


class Feed:
    """Ingests messages in order, filling messageId and timestamp as the
    scenario checker does (scenarios/README.md)."""

    def __init__(self, prefix: str = "t") -> None:
        self.prefix = prefix
        self.index = 0

    def __call__(self, message: dict, **kwargs) -> IngestResult:
        message = dict(message)
        message.setdefault("messageId", f"{self.prefix}-{self.index}")
        message.setdefault("timestamp", at(self.index))
        self.index += 1
        return ingest_message(message, **kwargs)


@pytest.fixture
def feed() -> Feed:
    return Feed()


def identifiers_of(profile: Profile) -> set[str]:
    rows = ExternalId.objects.filter(profile=profile).values_list(
        "identifier__key", "value"
    )
    return {f"{key}:{value}" for key, value in rows}


def profile_sets() -> set[frozenset[str]]:
    """Every canonical profile as its set of `type:value` identifiers."""
    return {
        frozenset(identifiers_of(profile))
        for profile in Profile.objects.filter(merged_into__isnull=True)
    }


def holder(type_value: str) -> Profile:
    key, value = type_value.split(":", 1)
    return ExternalId.objects.get(identifier__key=key, value=value).profile


def codes(result: IngestResult) -> list[str]:
    return [entry["code"] for entry in result.warnings]


def map_channel(*address_types: str, to: str) -> None:
    """Map address types to an identifier, as an admin would in the console."""
    AddressType.objects.filter(key__in=address_types).update(
        identifier=Identifier.objects.get(key=to)
    )


@pytest.fixture
def mapped() -> None:
    """The demo mapping: voice, SMS and WhatsApp to phone, email to email."""
    map_channel("voice", "sms", "whatsapp", to="phone")
    map_channel("email", to="email")
