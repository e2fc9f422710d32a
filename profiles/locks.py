"""Locking and retries that keep the identity graph consistent under load.

On PostgreSQL every writer locks in one global order: first a transaction
advisory lock per identifier value (sorted by key), then profile rows in
ascending id order. Two first-seen events for one new value therefore run one
after the other, and a transaction that still loses a race (a unique violation,
a deadlock, a serialisation failure) is rolled back and run again a bounded
number of times. SQLite serialises writers itself; there these are no-ops.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction

from profiles.models import Profile

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 8

# unique_violation, serialization_failure, deadlock_detected, lock_not_available
RETRYABLE_SQLSTATES = {"23505", "40001", "40P01", "55P03"}


class TooManyConflicts(RuntimeError):
    """A write lost its race MAX_ATTEMPTS times in a row."""


def _is_retryable(exc: Exception) -> bool:
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RETRYABLE_SQLSTATES
    # SQLite: a busy database or a unique violation from a concurrent writer.
    message = str(exc).lower()
    return "locked" in message or "unique constraint" in message


def run_in_transaction(work: Callable[[], T], *, what: str) -> T:
    """Run `work` in its own transaction (a savepoint when nested), again
    from the start when it loses a race."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return work()
        except (IntegrityError, OperationalError) as exc:
            if not _is_retryable(exc):
                raise
            if attempt == MAX_ATTEMPTS:
                raise TooManyConflicts(f"{what}: still conflicting") from exc
            logger.info(
                "%s conflicted with a concurrent writer (attempt %s, sqlstate %s)",
                what,
                attempt,
                getattr(exc.__cause__, "sqlstate", "-"),
            )
            time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 jitter
    raise AssertionError("unreachable")


def value_lock_key(identifier_id: int, value: str) -> int:
    digest = hashlib.blake2b(
        f"{identifier_id}\x00{value}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_values(pairs: Iterable[tuple[int, str]]) -> None:
    """Take the advisory lock of each (identifier id, value) until commit."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        {value_lock_key(identifier_id, value) for identifier_id, value in pairs}
    )
    if not keys:
        return
    # One round trip; PostgreSQL evaluates a volatile function in the select
    # list after ORDER BY, so the locks are taken in key order.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(key)"
            " FROM unnest(%s::bigint[]) AS key ORDER BY key",
            [keys],
        )


def lock_profiles(profile_ids: Iterable[int]) -> dict[int, Profile]:
    """Lock the profile rows in ascending id order and return them fresh."""
    rows = Profile.objects.select_for_update().filter(pk__in=set(profile_ids))
    return {profile.pk: profile for profile in rows.order_by("pk")}
