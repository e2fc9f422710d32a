"""Invariants of identity resolution, checked on generated event streams.

Each example runs in a transaction that is rolled back, so every example
starts from the migrated defaults.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import networkx as nx
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiles.export import export_profiles
from profiles.models import Event, ExternalId, Identifier, Merge
from profiles.resolution import ingest_message

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 1, tzinfo=UTC)
USER_IDS = ["u1", "u2", "u3"]
ANONYMOUS_IDS = ["a1", "a2", "a3", "a4", "a5", "a6"]
EMAILS = ["e1@example.test", "E2@Example.test", "e3@example.test", "e4@example.test"]
PHONES = ["+12025550101", "(202) 555-0102", "+1 202 555 0103"]

examples = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def mixed_message(draw) -> dict[str, Any]:
    """An identify or track with any of user id, anonymous id, email, phone."""
    message: dict[str, Any] = {"type": draw(st.sampled_from(["identify", "track"]))}
    user_id = draw(st.none() | st.sampled_from(USER_IDS))
    anonymous_id = draw(st.none() | st.sampled_from(ANONYMOUS_IDS))
    if user_id is None and anonymous_id is None:
        anonymous_id = draw(st.sampled_from(ANONYMOUS_IDS))
    if user_id is not None:
        message["userId"] = user_id
    if anonymous_id is not None:
        message["anonymousId"] = anonymous_id

    traits = {}
    if draw(st.booleans()):
        traits["email"] = draw(st.sampled_from(EMAILS))
    if draw(st.booleans()):
        traits["phone"] = draw(st.sampled_from(PHONES))
    if message["type"] == "track":
        message["event"] = "Viewed"
        message["properties"] = traits
    else:
        message["traits"] = traits
    return message


@st.composite
def alias_message(draw) -> dict[str, Any]:
    """An alias: previousId is read as an anonymous id, else a user id."""
    return {
        "type": "alias",
        "previousId": draw(st.sampled_from(ANONYMOUS_IDS + USER_IDS)),
        "userId": draw(st.sampled_from(USER_IDS)),
    }


any_message = st.one_of(mixed_message(), mixed_message(), alias_message())


@st.composite
def linking_message(draw) -> dict[str, Any]:
    """An anonymous identify, maybe with emails: it never meets a limit once
    the limits are raised, so it only ever links."""
    traits = {}
    if draw(st.booleans()):
        traits["email"] = draw(st.sampled_from(EMAILS))
    return {
        "type": "identify",
        "anonymousId": draw(st.sampled_from(ANONYMOUS_IDS)),
        "traits": traits,
    }


def numbered(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """messageId and timestamp from the position, as the scenario checker."""
    return [
        {
            **message,
            "messageId": f"p-{index}",
            "timestamp": (START + timedelta(minutes=index)).isoformat(),
        }
        for index, message in enumerate(messages)
    ]


def ingest_all(messages: list[dict[str, Any]]) -> list[Any]:
    return [ingest_message(message, source="properties") for message in messages]


def keys_of(profile: dict[str, Any]) -> frozenset[str]:
    return frozenset(f"{i['type']}:{i['value']}" for i in profile["identifiers"])


def snapshot() -> tuple[Any, ...]:
    return (
        list(export_profiles()),
        Event.objects.count(),
        Merge.objects.count(),
        sorted(ExternalId.objects.values_list("identifier__key", "value", "profile")),
    )


def in_rolled_back_transaction(check):
    def run(*args, **kwargs):
        with transaction.atomic():
            check(*args, **kwargs)
            transaction.set_rollback(True)

    return run


@examples
@given(st.lists(any_message, min_size=1, max_size=12))
def test_no_identifier_on_two_profiles_and_no_limit_exceeded(messages):
    @in_rolled_back_transaction
    def check():
        ingest_all(numbered(messages))
        exported = list(export_profiles())

        held = Counter(key for profile in exported for key in keys_of(profile))
        assert [key for key, n in held.items() if n > 1] == []
        limits = dict(Identifier.objects.values_list("key", "limit"))
        for profile in exported:
            per_type = Counter(i["type"] for i in profile["identifiers"])
            assert all(n <= limits[key] for key, n in per_type.items()), profile
        assert sum(profile["events"] for profile in exported) + Event.objects.filter(
            profile__isnull=True
        ).count() == len(messages)

    check()


@examples
@given(
    st.lists(linking_message(), min_size=1, max_size=14).flatmap(
        lambda messages: st.tuples(st.just(messages), st.permutations(messages))
    )
)
def test_without_limits_profiles_are_the_connected_components(streams):
    in_order, shuffled = streams
    graph = nx.Graph()
    for message in in_order:
        keys = [f"anonymous_id:{message['anonymousId']}"]
        if "email" in message["traits"]:
            keys.append(f"email:{message['traits']['email'].lower()}")
        graph.add_nodes_from(keys)
        nx.add_path(graph, keys)
    components = {frozenset(c) for c in nx.connected_components(graph)}

    for stream in (in_order, shuffled):

        @in_rolled_back_transaction
        def check(stream=stream):
            Identifier.objects.filter(key__in=["anonymous_id", "email"]).update(
                limit=1000
            )
            ingest_all(numbered(stream))
            exported = list(export_profiles())

            assert {keys_of(profile) for profile in exported} == components
            assert len(exported) == len(components)
            events_by_component = Counter(
                next(c for c in components if f"anonymous_id:{m['anonymousId']}" in c)
                for m in stream
            )
            assert {keys_of(p): p["events"] for p in exported} == dict(
                events_by_component
            )

        check()


@examples
@given(st.lists(any_message, min_size=1, max_size=10))
def test_replaying_the_same_messages_changes_nothing(messages):
    @in_rolled_back_transaction
    def check():
        stream = numbered(messages)
        ingest_all(stream)
        before = snapshot()

        replayed = ingest_all(stream)

        assert [result.duplicate for result in replayed] == [True] * len(stream)
        assert snapshot() == before

    check()
