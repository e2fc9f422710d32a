"""F12 and F06 with real concurrency: the same console post twice at once,
and two opposite merges at once, end in one change and no error page."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from profiles.models import AuditEntry, ExternalId, Merge, Profile
from profiles.resolution import ingest_message
from tests.console_profiles.conftest import PASSWORD
from tests.engine.conftest import holder

# serialized_rollback brings back the identifiers the data migration made,
# which the flush after a transactional test would remove.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def at_once(posts: list[tuple[str, dict]]) -> list[int]:
    """Send the posts from one thread each, released together; the status
    codes in the order given."""
    statuses: list[int] = [0] * len(posts)
    start = threading.Barrier(len(posts))

    def send(index: int, url: str, data: dict) -> None:
        client = Client()
        client.login(username="agent", password=PASSWORD)
        start.wait()
        try:
            statuses[index] = client.post(url, data).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(index, url, data))
        for index, (url, data) in enumerate(posts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def make_pair(name: str) -> tuple[Profile, Profile]:
    ingest_message({"type": "identify", "messageId": f"{name}-1", "userId": name})
    ingest_message(
        {
            "type": "identify",
            "messageId": f"{name}-2",
            "anonymousId": f"a-{name}",
            "traits": {"email": f"{name}@example.test"},
        }
    )
    return holder(f"user_id:{name}"), holder(f"anonymous_id:a-{name}")


@pytest.fixture
def pair(agent) -> tuple[Profile, Profile]:
    return make_pair("mia")


def test_the_same_merge_posted_twice_at_once_merges_once(agent):
    for n in range(5):
        p1, p2 = make_pair(f"u{n}")
        url = f"/profiles/{p1.uid}/merge/"

        statuses = at_once([(url, {"other": p2.uid}), (url, {"other": p2.uid})])

        assert statuses == [302, 302]
        assert Merge.objects.filter(survivor=p1).count() == 1
        assert Profile.objects.get(pk=p2.pk).merged_into_id == p1.pk
    assert AuditEntry.objects.filter(action="profile.merge").count() == 5


def test_opposite_merges_at_once_leave_one_profile(pair):
    p1, p2 = pair

    statuses = at_once(
        [
            (f"/profiles/{p1.uid}/merge/", {"other": p2.uid}),
            (f"/profiles/{p2.uid}/merge/", {"other": p1.uid}),
        ]
    )

    assert statuses == [302, 302]
    assert Merge.objects.count() == 1
    survivors = Profile.objects.filter(merged_into__isnull=True)
    assert survivors.count() == 1
    assert set(
        ExternalId.objects.filter(profile=survivors.get()).values_list(
            "identifier__key", "value"
        )
    ) == {
        ("user_id", "mia"),
        ("anonymous_id", "a-mia"),
        ("email", "mia@example.test"),
    }


def test_the_same_identifier_added_twice_at_once_is_added_once(pair):
    p1, _ = pair
    url = f"/profiles/{p1.uid}/identifiers/add/"
    data = {"identifier": "email", "value": "X@Example.test"}

    statuses = at_once([(url, data), (url, data), (url, data)])

    assert statuses == [302, 302, 302]
    assert ExternalId.objects.filter(value="x@example.test").count() == 1
    assert AuditEntry.objects.filter(action="profile.add_identifier").count() == 1
