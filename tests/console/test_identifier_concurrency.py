"""Identifier creation and reordering from several connections at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from profiles.identifiers import configure_identifier, ensure_identifier
from profiles.models import AuditEntry, Identifier

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_settings"),
]


def run_together(tasks: list[Callable[[], object]]) -> list[object]:
    """Run each task in its own thread and connection, all released at once;
    return what each returned or raised."""
    barrier = threading.Barrier(len(tasks))
    results: list[object] = [None] * len(tasks)

    def worker(index: int, task: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = task()
        except Exception as error:  # noqa: BLE001 -- reported to the test
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(index, task))
        for index, task in enumerate(tasks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def priorities() -> list[int]:
    return list(Identifier.objects.values_list("priority", flat=True))


def test_the_same_new_type_seen_at_once_is_created_once():
    results = run_together([lambda: ensure_identifier(key="shopify_id")] * 8)

    assert {type(result) for result in results} == {Identifier}
    assert {result.pk for result in results} == {
        Identifier.objects.get(key="shopify_id").pk
    }
    assert Identifier.objects.get(key="shopify_id").priority == 12
    assert AuditEntry.objects.filter(target="shopify_id").count() == 1


def test_different_new_types_at_once_get_the_next_priorities():
    keys = [f"shop_{number}" for number in range(6)]

    results = run_together([lambda key=key: ensure_identifier(key=key) for key in keys])

    assert {type(result) for result in results} == {Identifier}
    assert sorted(
        Identifier.objects.filter(key__in=keys).values_list("priority", flat=True)
    ) == list(range(12, 18))
    assert priorities() == list(range(1, 18))


def test_reorders_and_creations_at_once_keep_one_identifier_per_priority():
    moves = [("user_id", 5), ("ios.id", 1), ("email", 11), ("phone", 2)]
    tasks = [
        *(
            lambda key=key, priority=priority: configure_identifier(
                key=key, priority=priority, actor="cli"
            )
            for key, priority in moves
        ),
        lambda: configure_identifier(key="crm_id", priority=3, actor="cli"),
        lambda: ensure_identifier(key="shopify_id"),
    ]

    results = run_together(tasks)

    assert [type(result).__name__ for result in results] == [
        "IdentifierChange",
        "IdentifierChange",
        "IdentifierChange",
        "IdentifierChange",
        "IdentifierChange",
        "Identifier",
    ]
    assert priorities() == list(range(1, 14))
    assert Identifier.objects.count() == 13
