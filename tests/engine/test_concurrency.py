"""Many writers at once on PostgreSQL (DOMAIN.md F05, F06; DESIGN.md
"Correctness under load"). Each thread has its own database connection, so
these are real concurrent transactions; they are skipped on SQLite."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from profiles.merge import AlreadyMerged, merge_profiles
from profiles.models import Event, ExternalId, Merge, Profile
from profiles.resolution import ingest_message
from profiles.search import Outcome, find_or_create_profile
from tests.engine.conftest import holder, identifiers_of, map_channel

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_at_once(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run every task in its own thread, released together; returns each
    task's result or the exception it raised."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = tasks[index]()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def no_conflicts_logged(caplog) -> bool:
    return not [
        r for r in caplog.records if r.name == "profiles.locks" or r.levelno >= 30
    ]


@pytest.mark.parametrize("round_", range(5))
def test_f05_parallel_first_events_for_a_new_user(round_, caplog):
    caplog.set_level(logging.INFO)
    user, anon, email = (
        f"u-kai-{round_}",
        f"a-kai-{round_}",
        f"kai{round_}@example.test",
    )
    track = {"type": "track", "anonymousId": anon, "event": "Tap"}
    identify = {
        "type": "identify",
        "userId": user,
        "anonymousId": anon,
        "traits": {"email": email},
    }
    messages = [track] * 25 + [identify] * 5

    results = run_at_once(
        [
            lambda m=m, i=i: ingest_message({**m, "messageId": f"k{round_}-{i}"})
            for i, m in enumerate(messages)
        ]
    )

    assert [type(r).__name__ for r in results] == ["IngestResult"] * 30
    assert Profile.objects.count() == 1
    profile = Profile.objects.get()
    assert identifiers_of(profile) == {
        f"user_id:{user}",
        f"anonymous_id:{anon}",
        f"email:{email}",
    }
    assert ExternalId.objects.count() == 3
    assert Event.objects.filter(profile=profile).count() == 30
    assert {r.profile.pk for r in results} == {profile.pk}
    assert sum(r.created for r in results) == 1
    assert no_conflicts_logged(caplog)


def test_f06_merges_in_both_directions_and_an_ingest_at_once(caplog):
    caplog.set_level(logging.INFO)
    for round_ in range(100):
        user, email = f"u-mia-{round_}", f"mia{round_}@example.test"
        p1 = ingest_message({"type": "identify", "userId": user}).profile
        p2 = ingest_message(
            {
                "type": "identify",
                "anonymousId": f"a-{round_}",
                "traits": {"email": email},
            }
        ).profile

        a, b, c = run_at_once(
            [
                lambda p1=p1, p2=p2: merge_profiles(survivor=p1, other=p2, actor="a1"),
                lambda p1=p1, p2=p2: merge_profiles(survivor=p2, other=p1, actor="a2"),
                lambda user=user, email=email: ingest_message(
                    {"type": "identify", "userId": user, "traits": {"email": email}}
                ),
            ]
        )

        survivor = holder(f"user_id:{user}")
        assert holder(f"email:{email}") == survivor
        assert survivor.merged_into_id is None and survivor.pk in (p1.pk, p2.pk)
        outcomes = sorted(
            [
                type(a).__name__,
                type(b).__name__,
                "EventMerge" if c.merges else "Attached",
            ]
        )
        assert outcomes in (
            ["AlreadyMerged", "AlreadyMerged", "EventMerge"],
            ["AlreadyMerged", "Attached", "Merge"],
        ), outcomes
        for refused in (a, b):
            if isinstance(refused, AlreadyMerged):
                assert refused.survivor == survivor
        assert c.profile == survivor
        assert Merge.objects.filter(survivor=survivor).count() == 1
        assert Event.objects.filter(profile=survivor).count() == 3
    assert no_conflicts_logged(caplog)


def test_the_same_message_id_at_once_is_applied_once():
    message = {
        "type": "identify",
        "userId": "u-dup",
        "messageId": "m-1",
        "traits": {"plan": "pro"},
    }

    results = run_at_once([lambda: ingest_message(dict(message))] * 8)

    assert sorted(r.duplicate for r in results) == [False] + [True] * 7
    assert Event.objects.count() == 1 and Profile.objects.count() == 1
    assert {r.event.pk for r in results} == {Event.objects.get().pk}


def test_lookups_and_first_events_for_one_new_phone_make_one_profile():
    map_channel("sms", to="phone")

    results = run_at_once(
        [lambda: find_or_create_profile(address_type="sms", address="+14155550199")] * 4
        + [
            lambda i=i: ingest_message(
                {
                    "type": "identify",
                    "anonymousId": f"a{i}",
                    "traits": {"phone": "4155550199"},
                }
            )
            for i in range(4)
        ]
    )

    lookups, ingests = results[:4], results[4:]
    profile = holder("phone:+14155550199")
    assert [r.outcome for r in lookups] == [Outcome.FOUND] * 4
    assert {r.profile.pk for r in lookups + ingests} == {profile.pk}
    assert Profile.objects.count() == 1
    assert identifiers_of(profile) == {
        "phone:+14155550199",
        "anonymous_id:a0",
        "anonymous_id:a1",
        "anonymous_id:a2",
        "anonymous_id:a3",
    }


def test_ring_of_bridging_events_at_once_ends_as_one_profile():
    """Events that bridge a ring of profiles, all at once and in every order,
    end as one canonical profile (4 anonymous ids stay within the limit 5)."""
    size = 4
    for i in range(size):
        ingest_message({"type": "identify", "anonymousId": f"r{i}"})

    def bridge(i: int) -> Callable[[], Any]:
        nxt = (i + 1) % size
        return lambda: ingest_message(
            {
                "type": "identify",
                "anonymousId": f"r{i}",
                "traits": {"email": f"r{nxt}@example.test"},
            }
        )

    def close(i: int) -> Callable[[], Any]:
        return lambda: ingest_message(
            {
                "type": "track",
                "event": "Closed",
                "anonymousId": f"r{i}",
                "properties": {"email": f"r{i}@example.test"},
            }
        )

    results = run_at_once(
        [bridge(i) for i in range(size)] + [close(i) for i in range(size)]
    )

    assert [type(r).__name__ for r in results] == ["IngestResult"] * 2 * size
    survivor = Profile.objects.get(merged_into__isnull=True)
    assert Profile.objects.filter(merged_into=survivor).count() == size - 1
    assert identifiers_of(survivor) == {f"anonymous_id:r{i}" for i in range(size)} | {
        f"email:r{i}@example.test" for i in range(size)
    }
    assert Event.objects.filter(profile=survivor).count() == 3 * size
    assert sum(r.merges for r in results) == size - 1
    assert all(r.warnings == [] for r in results)
