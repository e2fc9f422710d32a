"""Profile traits: last write wins per top-level trait (DOMAIN.md rule 0.8).

Every top-level trait carries a stamp in Profile.trait_updated_at: the event
time of its last write and the event's id, so that an older event never
overwrites a newer value and two events with the same time are ordered by
arrival. A trait sent as `null` is removed but keeps its stamp, so an older
event cannot bring it back; `""` is an ordinary value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from profiles.models import Profile

Stamp = tuple[datetime, int]

# Traits written before stamps existed (or by hand) lose to any event.
OLDEST: Stamp = (datetime.min.replace(tzinfo=UTC), 0)


def _encode(stamp: Stamp) -> list:
    return [stamp[0].astimezone(UTC).isoformat(), stamp[1]]


def _decode(raw: Any) -> Stamp:
    try:
        moment = datetime.fromisoformat(raw[0])
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC), int(raw[1]))
    except (TypeError, ValueError, IndexError, KeyError):
        return OLDEST


def trait_stamp(profile: Profile, key: str) -> Stamp | None:
    raw = profile.trait_updated_at.get(key)
    return None if raw is None else _decode(raw)


def apply_traits(
    *, profile: Profile, traits: dict[str, Any], at: datetime, seq: int
) -> list[str]:
    """Write the traits that are newer than what the profile holds.

    Changes the instance only (the caller saves); returns the keys written.
    """
    stamp = (at, seq)
    written = []
    for key, value in traits.items():
        current = trait_stamp(profile, key)
        if current is not None and current > stamp:
            continue
        if value is None:
            profile.traits.pop(key, None)
        else:
            profile.traits[key] = value
        profile.trait_updated_at[key] = _encode(stamp)
        written.append(key)
    return written


def combine_traits(*, survivor: Profile, other: Profile) -> None:
    """Fold `other`'s traits into `survivor` (changes the instance only).

    Per top-level trait the newer stamp wins; when both sides hold an object,
    the objects are merged key by key (one level), keys held by one side are
    kept, and for keys held by both the side with the newer stamp wins. A
    newer removal beats an older value.
    """
    keys = set(other.traits) | set(other.trait_updated_at)
    for key in keys:
        theirs = trait_stamp(other, key) or OLDEST
        ours = trait_stamp(survivor, key)
        in_ours = key in survivor.traits
        if ours is None and not in_ours:
            _take(survivor, other, key, theirs)
            continue

        ours = ours or OLDEST
        newer, older = (other, survivor) if theirs > ours else (survivor, other)
        newer_value = newer.traits.get(key)
        older_value = older.traits.get(key)
        if isinstance(newer_value, dict) and isinstance(older_value, dict):
            survivor.traits[key] = {**older_value, **newer_value}
        elif key in newer.traits:
            survivor.traits[key] = newer_value
        else:
            survivor.traits.pop(key, None)
        survivor.trait_updated_at[key] = _encode(max(theirs, ours))


def _take(survivor: Profile, other: Profile, key: str, stamp: Stamp) -> None:
    if key in other.traits:
        survivor.traits[key] = other.traits[key]
    survivor.trait_updated_at[key] = _encode(stamp)
