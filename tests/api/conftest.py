from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from profiles.credentials import create_access_token, create_write_key
from profiles.models import AddressType, Event, ExternalId, Identifier, Profile

SPACE = "/v1/spaces/default/collections/users/profiles"


def basic(secret: str) -> str:
    return "Basic " + base64.b64encode(f"{secret}:".encode()).decode()


def store_counts() -> tuple[int, int, int]:
    return Event.objects.count(), Profile.objects.count(), ExternalId.objects.count()


def canonical_profiles() -> set[frozenset[str]]:
    """Every canonical profile as its set of `type:value` identifiers."""
    holdings: dict[int, set[str]] = {
        pk: set()
        for pk in Profile.objects.filter(merged_into=None).values_list("pk", flat=True)
    }
    for profile_id, key, value in ExternalId.objects.values_list(
        "profile_id", "identifier__key", "value"
    ):
        holdings.setdefault(profile_id, set()).add(f"{key}:{value}")
    return {frozenset(ids) for ids in holdings.values()}


def holder(identifier: str) -> Profile:
    key, _, value = identifier.partition(":")
    return (
        ExternalId.objects.select_related("profile")
        .get(identifier__key=key, value=value)
        .profile
    )


@pytest.fixture
def write_key(db) -> str:
    _, secret = create_write_key(name="test-source", actor="test")
    return secret


@pytest.fixture
def access_token(db) -> str:
    _, secret = create_access_token(name="test-reader", actor="test")
    return secret


@pytest.fixture
def contact_center_mapping(db) -> None:
    """The baseline of DOMAIN.md section 6: voice, sms and whatsapp search
    phones, email searches emails."""
    phone = Identifier.objects.get(key="phone")
    email = Identifier.objects.get(key="email")
    AddressType.objects.filter(key__in=["voice", "sms", "whatsapp"]).update(
        identifier=phone
    )
    AddressType.objects.filter(key="email").update(identifier=email)


@pytest.fixture
def send(client, write_key):
    """POST a body to a tracking endpoint with the test write key."""

    def send(
        path: str,
        body: Any,
        *,
        key: str | None = None,
        compress: bool = False,
        raw: bytes | None = None,
        **headers: str,
    ):
        data = raw if raw is not None else json.dumps(body).encode()
        if compress:
            data = gzip.compress(data)
            headers.setdefault("HTTP_CONTENT_ENCODING", "gzip")
        if key is None:
            key = write_key
        if key:
            headers.setdefault("HTTP_AUTHORIZATION", basic(key))
        return client.post(path, data, content_type="application/json", **headers)

    return send


@pytest.fixture
def read(client, access_token):
    """GET a Profile API resource with the test access token."""

    def read(reference: str, resource: str, *, token: str | None = None, **params):
        headers = {
            "HTTP_AUTHORIZATION": basic(access_token if token is None else token)
        }
        return client.get(f"{SPACE}/{reference}/{resource}", params, **headers)

    return read
