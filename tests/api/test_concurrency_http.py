"""F05 over HTTP: parallel first events for a new user (PostgreSQL only)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from profiles.models import Event, ExternalId, Profile

from .conftest import canonical_profiles, holder

pytestmark = [
    pytest.mark.postgres_only,
    # live_server needs a transactional database; serialized_rollback brings
    # back the default identifiers that flushing it removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 20


def test_f05_parallel_first_events_end_in_one_profile(live_server, write_key, caplog):
    caplog.set_level("WARNING")
    session = requests.Session()
    session.auth = (write_key, "")

    def post(message: dict) -> int:
        return session.post(
            f"{live_server.url}/v1/{message['type']}", json=message, timeout=60
        ).status_code

    expected = set()
    for round_ in range(ROUNDS):
        anonymous_id, user_id = f"a-kai-{round_}", f"u-kai-{round_}"
        email = f"kai{round_}@example.test"
        track = {"type": "track", "anonymousId": anonymous_id, "event": "Tap"}
        identify = {
            "type": "identify",
            "userId": user_id,
            "anonymousId": anonymous_id,
            "traits": {"email": email},
        }
        # Identifies spread among the tracks, so that either may come first.
        messages = [track] * 25
        for slot in (0, 6, 12, 18, 24):
            messages.insert(slot, identify)

        with ThreadPoolExecutor(max_workers=len(messages)) as pool:
            statuses = list(pool.map(post, messages))

        assert statuses == [200] * 30
        profile = holder(f"anonymous_id:{anonymous_id}")
        assert Event.objects.filter(profile=profile).count() == 30
        expected.add(
            frozenset(
                {f"anonymous_id:{anonymous_id}", f"user_id:{user_id}", f"email:{email}"}
            )
        )

    assert canonical_profiles() == expected
    assert ExternalId.objects.count() == 3 * ROUNDS
    assert Event.objects.filter(profile=None).count() == 0
    assert Profile.objects.filter(merged_into=None).count() == ROUNDS
    problems = [
        record.getMessage()
        for record in caplog.records
        if record.levelname in {"ERROR", "CRITICAL"}
        or "deadlock" in record.getMessage().lower()
        or "IntegrityError" in record.getMessage()
    ]
    assert problems == []
