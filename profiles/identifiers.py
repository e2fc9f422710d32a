"""Identifier and address-type settings: the rules of DOMAIN.md 0.2, 1.3 and 2.3.

Every change goes through a function here, so that the console, the Django
admin and the management commands validate alike and leave the same audit
trail. Each function runs in one transaction and records an audit entry only
when something actually changed, so a repeated request is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import regex
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from profiles.audit import Actor, record_audit
from profiles.models import (
    IDENTIFIER_KEY_VALIDATOR,
    AddressType,
    AuditEntry,
    BlockedValue,
    ExternalId,
    Identifier,
    LimitWindow,
    Normaliser,
)

logger = logging.getLogger(__name__)

DISPLAY_NAME_MAX_LENGTH = 64
LIMIT_MIN = 1
LIMIT_MAX = 1000
BLOCKED_VALUE_MAX_LENGTH = 255
AUTO_LIMIT = 5
# Concurrent creations race on the unique key and priority columns; each lost
# race is retried with fresh numbers, a handful of times at most.
CREATE_ATTEMPTS = 5

DISPLAY_NAME_TOO_LONG = "A display name is at most 64 characters."
DISPLAY_NAME_TAKEN = "The display name “%(name)s” is already used by %(key)s."
LIMIT_OUT_OF_RANGE = "The limit must be a whole number from 1 to 1000."
WINDOW_UNKNOWN = "The window must be one of: %(choices)s."
NORMALISER_UNKNOWN = "The normaliser must be one of: %(choices)s."
NORMALISER_IN_USE = (
    "The normaliser of %(key)s cannot change while profiles hold its values: "
    "stored values would no longer match searches."
)
PRIORITY_OUT_OF_RANGE = "The priority must be a whole number from 1 to %(last)s."
PATTERN_INVALID = "“%(pattern)s” is not a valid regular expression: %(reason)s."
BLOCKED_VALUE_EMPTY = "A blocked value cannot be empty."
BLOCKED_VALUE_TOO_LONG = "A blocked value is at most 255 characters."

SETTINGS_TARGET_TYPES = ("identifier", "address_type", "blocked_value")

# Profile API references read `segment_id:<id>` as a profile id, so an
# identifier of that name could never be looked up by its own values.
RESERVED_KEYS = frozenset({"segment_id"})
KEY_RESERVED = "“%(key)s” is reserved for profile ids and cannot name an identifier."


# Validation shared by the console forms, the admin and the commands.


def clean_identifier_key(key: str) -> str:
    """Return the key when it is a valid identifier key, else raise."""
    key = key.strip()
    IDENTIFIER_KEY_VALIDATOR(key)
    if key in RESERVED_KEYS:
        raise ValidationError(KEY_RESERVED, code="reserved", params={"key": key})
    return key


def clean_display_name(*, value: str, key: str, exclude_pk: int | None = None) -> str:
    """Trim a display name, fall back to the key when blank, refuse clashes.

    Names are unique regardless of case (DOMAIN.md 1.3 item 3); `exclude_pk`
    is the identifier being renamed, which may keep its own name.
    """
    name = value.strip() or key
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise ValidationError(DISPLAY_NAME_TOO_LONG, code="max_length")

    holder = (
        Identifier.objects.filter(display_name__iexact=name)
        .exclude(pk=exclude_pk)
        .first()
    )
    if holder is not None:
        raise ValidationError(
            DISPLAY_NAME_TAKEN,
            code="unique",
            params={"name": name, "key": holder.key},
        )
    return name


def clean_limit(limit: int) -> int:
    if isinstance(limit, bool) or not LIMIT_MIN <= limit <= LIMIT_MAX:
        raise ValidationError(LIMIT_OUT_OF_RANGE, code="limit")
    return limit


def clean_window(window: str) -> str:
    return _clean_choice(window, LimitWindow.values, WINDOW_UNKNOWN, code="window")


def clean_normaliser(normaliser: str) -> str:
    return _clean_choice(
        normaliser, Normaliser.values, NORMALISER_UNKNOWN, code="normaliser"
    )


def _clean_choice(value: str, choices: list[str], message: str, *, code: str) -> str:
    if value not in choices:
        params = {"choices": ", ".join(choices)}
        raise ValidationError(message, code=code, params=params)
    return value


def clean_blocked_value(*, value: str, is_pattern: bool) -> str:
    """Exact values are trimmed (DOMAIN.md 0.5 compares trimmed forms);
    patterns are kept as written and must compile."""
    text = value if is_pattern else value.strip()
    if not text:
        raise ValidationError(BLOCKED_VALUE_EMPTY, code="blank")
    if len(text) > BLOCKED_VALUE_MAX_LENGTH:
        raise ValidationError(BLOCKED_VALUE_TOO_LONG, code="max_length")
    if is_pattern:
        try:
            regex.compile(text)
        except regex.error as error:
            raise ValidationError(
                PATTERN_INVALID,
                code="pattern",
                params={"pattern": text, "reason": error},
            ) from error
    return text


def clean_priority(*, priority: int, creating: bool) -> int:
    """A priority within the order: 1 to the last place, or one past it for
    an identifier being created."""
    last = Identifier.objects.count() + (1 if creating else 0)
    return _check_priority(priority, last=last)


def _check_priority(priority: int, *, last: int) -> int:
    if isinstance(priority, bool) or not 1 <= priority <= last:
        raise ValidationError(
            PRIORITY_OUT_OF_RANGE, code="priority", params={"last": last}
        )
    return priority


# Reads.


def identifier_settings(identifier: Identifier) -> dict:
    """The settings an audit entry and the commands show for an identifier."""
    return {
        "key": identifier.key,
        "display_name": identifier.display_name,
        "priority": identifier.priority,
        "default": identifier.is_default,
        "limit": identifier.limit,
        "window": identifier.limit_window,
        "normaliser": identifier.normaliser,
    }


def address_type_settings(address_type: AddressType) -> dict:
    identifier = address_type.identifier
    return {
        "key": address_type.key,
        "label": address_type.label,
        "identifier": identifier.key if identifier else None,
        "search_enabled": address_type.search_enabled,
    }


def blocked_values_of(identifier: Identifier) -> tuple[list[str], list[str]]:
    """The identifier's own blocked (values, patterns), oldest first; the rows
    that apply to every identifier are not included."""
    rows = identifier.blocked_values.order_by("created_at", "id")
    values = [row.value for row in rows if not row.is_pattern]
    patterns = [row.value for row in rows if row.is_pattern]
    return values, patterns


def recent_settings_changes(*, limit: int = 10) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(target_type__in=SETTINGS_TARGET_TYPES)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def orphaned_address_types() -> dict[str, str]:
    """Address types left "Not mapped" because their identifier was deleted:
    address type key -> the deleted identifier's key (DOMAIN.md 1.3 item 5).

    The warning lasts until someone maps or clears the row again.
    """
    orphaned = {}
    for address_type in AddressType.objects.filter(identifier__isnull=True):
        latest = (
            AuditEntry.objects.filter(
                target_type="address_type", target=address_type.key
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is not None and latest.action == "address_type.orphaned":
            orphaned[address_type.key] = (latest.before or {}).get("identifier", "")
    return orphaned


# Priority order.


def _lock_identifiers() -> list[Identifier]:
    """Every identifier in priority order, locked until the transaction ends
    (on PostgreSQL; SQLite serialises writers anyway), so that creations and
    reorders happen one at a time.

    Rows are locked in primary-key order, which never changes: locking in
    priority order could deadlock against a transaction that read the order
    before a reorder committed. They are read twice: a statement that had to
    wait for the lock still sees the snapshot from before the wait, without
    the rows the holder added; the second read sees them and locks them too.
    """
    rows = Identifier.objects.select_for_update().order_by("id")
    list(rows)
    return sorted(rows.all(), key=lambda row: row.priority)


def _write_order(order: list[Identifier | None]) -> None:
    """Give `order` the priorities 1..n; None marks a slot left free.

    The unique priority column is not deferrable and is checked row by row,
    so rows that move park on negative numbers first, then flip back.
    """
    moved = []
    for priority, identifier in enumerate(order, start=1):
        if identifier is not None and identifier.priority != priority:
            identifier.priority = -priority
            moved.append(identifier)
    if not moved:
        return

    Identifier.objects.bulk_update(moved, ["priority"])
    for identifier in moved:
        identifier.priority = -identifier.priority
    Identifier.objects.bulk_update(moved, ["priority"])


# Writes.


@dataclass(frozen=True)
class IdentifierChange:
    """What `configure_identifier` did."""

    identifier: Identifier
    created: bool
    changed: bool


def configure_identifier(
    *,
    key: str,
    actor: Actor,
    display_name: str | None = None,
    priority: int | None = None,
    limit: int | None = None,
    window: str | None = None,
    normaliser: str | None = None,
    block_values: Iterable[str] = (),
    block_patterns: Iterable[str] = (),
) -> IdentifierChange:
    """Change one identifier's settings, creating a custom one for a new key.

    A new identifier goes last unless `priority` is given; a taken priority
    is made free by moving the identifiers from there on down by one. Moving
    an existing identifier shifts the ones in between by one. Everything is
    validated before anything is written, so invalid input changes nothing.
    """
    key = clean_identifier_key(key)
    if limit is not None:
        clean_limit(limit)
    if window is not None:
        clean_window(window)
    if normaliser is not None:
        clean_normaliser(normaliser)
    values = [clean_blocked_value(value=v, is_pattern=False) for v in block_values]
    patterns = [clean_blocked_value(value=p, is_pattern=True) for p in block_patterns]

    with transaction.atomic():
        order = _lock_identifiers()
        identifier = next((row for row in order if row.key == key), None)
        created = identifier is None

        if created:
            last = len(order) + 1
            if priority is not None:
                _check_priority(priority, last=last)
            name = clean_display_name(value=display_name or "", key=key)
            identifier = _insert_identifier(
                order=order,
                key=key,
                display_name=name,
                priority=priority,
                limit=limit if limit is not None else AUTO_LIMIT,
                window=window or LimitWindow.EVER,
                normaliser=normaliser or Normaliser.RAW,
            )
            record_audit(
                actor=actor,
                action="identifier.create",
                target_type="identifier",
                target=key,
                after=identifier_settings(identifier),
            )
            changed = True
        else:
            changed = _update_identifier(
                order=order,
                identifier=identifier,
                actor=actor,
                display_name=display_name,
                priority=priority,
                limit=limit,
                window=window,
                normaliser=normaliser,
            )

        for value in values:
            changed |= _add_blocked(identifier, value, is_pattern=False, actor=actor)
        for pattern in patterns:
            changed |= _add_blocked(identifier, pattern, is_pattern=True, actor=actor)

    identifier.refresh_from_db()
    logger.info(
        "identifier %s configured (created=%s, changed=%s)", key, created, changed
    )
    return IdentifierChange(identifier=identifier, created=created, changed=changed)


def _insert_identifier(
    *,
    order: list[Identifier],
    key: str,
    display_name: str,
    priority: int | None,
    limit: int,
    window: str,
    normaliser: str,
) -> Identifier:
    if priority is None:
        highest = max((row.priority for row in order), default=0)
        priority = highest + 1
    else:
        # Free the slot first: everything from `priority` on moves down one.
        shifted = [row for row in order if row.priority < priority]
        _write_order([*shifted, None, *order[len(shifted) :]])

    return Identifier.objects.create(
        key=key,
        display_name=display_name,
        priority=priority,
        is_default=False,
        limit=limit,
        limit_window=window,
        normaliser=normaliser,
    )


def _update_identifier(
    *,
    order: list[Identifier],
    identifier: Identifier,
    actor: Actor,
    display_name: str | None,
    priority: int | None,
    limit: int | None,
    window: str | None,
    normaliser: str | None,
) -> bool:
    before = identifier_settings(identifier)

    if display_name is not None:
        identifier.display_name = clean_display_name(
            value=display_name, key=identifier.key, exclude_pk=identifier.pk
        )
    if limit is not None:
        identifier.limit = limit
    if window is not None:
        identifier.limit_window = window
    if normaliser is not None and normaliser != identifier.normaliser:
        if ExternalId.objects.filter(identifier=identifier).exists():
            raise ValidationError(
                NORMALISER_IN_USE, code="normaliser", params={"key": identifier.key}
            )
        identifier.normaliser = normaliser
    if priority is not None and priority != identifier.priority:
        _check_priority(priority, last=len(order))
        rest = [row for row in order if row.pk != identifier.pk]
        rest.insert(priority - 1, identifier)
        _write_order(rest)

    after = identifier_settings(identifier)
    changes = {name for name in after if after[name] != before[name]}
    if not changes:
        return False

    identifier.save(
        update_fields=["display_name", "limit", "limit_window", "normaliser"]
    )
    record_audit(
        actor=actor,
        action="identifier.update",
        target_type="identifier",
        target=identifier.key,
        before={name: before[name] for name in sorted(changes)},
        after={name: after[name] for name in sorted(changes)},
    )
    return True


def _add_blocked(
    identifier: Identifier, value: str, *, is_pattern: bool, actor: Actor
) -> bool:
    _, created = BlockedValue.objects.get_or_create(
        identifier=identifier, value=value, is_pattern=is_pattern
    )
    if created:
        kind = "pattern" if is_pattern else "value"
        record_audit(
            actor=actor,
            action=f"identifier.block_{kind}",
            target_type="identifier",
            target=identifier.key,
            after={kind: value},
        )
    return created


def ensure_identifier(*, key: str) -> Identifier:
    """The identifier `key`, created at the end of the order when new.

    For types first seen in `context.externalIds` (DOMAIN.md 0.2): limit 5
    ever, raw normaliser, display name = key. Safe when several transactions
    see the same new type at once: creations take the identifier lock one at
    a time, and a lost race on a unique column is retried. Called inside the
    engine's transaction, the lock is held until that commits. Raises
    ValidationError for a malformed key.
    """
    identifier = Identifier.objects.filter(key=key).first()
    if identifier is not None:
        return identifier
    clean_identifier_key(key)

    for _attempt in range(CREATE_ATTEMPTS):
        try:
            with transaction.atomic():
                identifier = _create_at_end(key=key)
        except IntegrityError:
            # Another transaction took the key, the last priority or the
            # display name; read again and retry with fresh numbers.
            identifier = Identifier.objects.filter(key=key).first()
            if identifier is not None:
                return identifier
            continue
        return identifier

    raise IntegrityError(f"could not create identifier {key!r} after retries")


def _create_at_end(*, key: str) -> Identifier:
    order = _lock_identifiers()
    existing = next((row for row in order if row.key == key), None)
    if existing is not None:
        return existing

    highest = max((row.priority for row in order), default=0)
    identifier = Identifier.objects.create(
        key=key,
        display_name=_free_display_name(key),
        priority=highest + 1,
        is_default=False,
        limit=AUTO_LIMIT,
        limit_window=LimitWindow.EVER,
        normaliser=Normaliser.RAW,
    )
    record_audit(
        actor="ingest",
        action="identifier.create",
        target_type="identifier",
        target=key,
        after=identifier_settings(identifier),
    )
    logger.info("identifier %s added from an event", key)
    return identifier


def _free_display_name(key: str) -> str:
    """The key, unless an admin already gave that name to another identifier:
    an event must not be refused over a display name, so add a number."""
    name = key
    number = 2
    while Identifier.objects.filter(display_name__iexact=name).exists():
        suffix = f" ({number})"
        name = key[: DISPLAY_NAME_MAX_LENGTH - len(suffix)] + suffix
        number += 1
    return name


def rename_identifier(
    *, identifier: Identifier, display_name: str, actor: Actor
) -> Identifier:
    """Set an identifier's display name (blank resets it to the key)."""
    with transaction.atomic():
        locked = Identifier.objects.select_for_update().get(pk=identifier.pk)
        name = clean_display_name(
            value=display_name, key=locked.key, exclude_pk=locked.pk
        )
        if name != locked.display_name:
            before = locked.display_name
            locked.display_name = name
            locked.save(update_fields=["display_name", "updated_at"])
            record_audit(
                actor=actor,
                action="identifier.rename",
                target_type="identifier",
                target=locked.key,
                before={"display_name": before},
                after={"display_name": name},
            )
            logger.info("identifier %s renamed", locked.key)
    return locked


def delete_identifier(*, identifier: Identifier, actor: Actor) -> None:
    """Delete an identifier and close the gap it leaves in the order.

    Address types mapped to it fall back to "Not mapped" and are audited as
    orphaned, which the Identifiers tab shows as a warning. An identifier
    still held by profiles cannot be deleted (the database protects it).
    """
    with transaction.atomic():
        order = _lock_identifiers()
        target = next(row for row in order if row.pk == identifier.pk)
        for address_type in AddressType.objects.select_for_update().filter(
            identifier=target
        ):
            record_audit(
                actor=actor,
                action="address_type.orphaned",
                target_type="address_type",
                target=address_type.key,
                before={"identifier": target.key},
                after={"identifier": None},
            )
        snapshot = identifier_settings(target)
        remaining = [row for row in order if row.pk != target.pk]
        target.delete()
        _write_order(remaining)
        record_audit(
            actor=actor,
            action="identifier.delete",
            target_type="identifier",
            target=snapshot["key"],
            before=snapshot,
        )
    logger.info("identifier %s deleted", snapshot["key"])


def add_blocked_value(
    *, identifier: Identifier | None, value: str, is_pattern: bool, actor: Actor
) -> BlockedValue:
    """Block a value or regex for one identifier, or for all when None."""
    text = clean_blocked_value(value=value, is_pattern=is_pattern)
    with transaction.atomic():
        blocked, created = BlockedValue.objects.get_or_create(
            identifier=identifier, value=text, is_pattern=is_pattern
        )
        if created:
            record_audit(
                actor=actor,
                action="blocked_value.add",
                target_type="blocked_value",
                target=identifier.key if identifier else "*",
                after=_blocked_settings(blocked),
            )
    return blocked


def remove_blocked_value(*, blocked: BlockedValue, actor: Actor) -> None:
    with transaction.atomic():
        snapshot = _blocked_settings(blocked)
        deleted, _ = BlockedValue.objects.filter(pk=blocked.pk).delete()
        if deleted:
            record_audit(
                actor=actor,
                action="blocked_value.remove",
                target_type="blocked_value",
                target=snapshot["identifier"] or "*",
                before=snapshot,
            )


def _blocked_settings(blocked: BlockedValue) -> dict:
    return {
        "identifier": blocked.identifier.key if blocked.identifier_id else None,
        "value": blocked.value,
        "is_pattern": blocked.is_pattern,
    }


def configure_address_type(
    *,
    address_type: AddressType,
    actor: Actor,
    identifier: Identifier | None = None,
    clear: bool = False,
    search_enabled: bool | None = None,
) -> bool:
    """Map, clear and switch search for one address type in one step.

    Returns whether anything changed; only a change is audited, one entry
    per kind of change, the same entries the console's row menu writes.
    """
    if identifier is not None and clear:
        raise ValueError("map an identifier or clear the mapping, not both")

    changed = False
    with transaction.atomic():
        locked = AddressType.objects.select_for_update().get(pk=address_type.pk)
        if identifier is not None and locked.identifier_id != identifier.pk:
            _audit_mapping(locked, identifier, actor, action="address_type.map")
            locked.identifier = identifier
            changed = True
        if clear and locked.identifier_id is not None:
            _audit_mapping(locked, None, actor, action="address_type.clear")
            locked.identifier = None
            changed = True
        if search_enabled is not None and locked.search_enabled != search_enabled:
            record_audit(
                actor=actor,
                action="address_type.search",
                target_type="address_type",
                target=locked.key,
                before={"search_enabled": locked.search_enabled},
                after={"search_enabled": search_enabled},
            )
            locked.search_enabled = search_enabled
            changed = True
        if changed:
            locked.save(update_fields=["identifier", "search_enabled", "updated_at"])
            logger.info("address type %s configured", locked.key)

    address_type.refresh_from_db()
    return changed


def _audit_mapping(
    address_type: AddressType,
    identifier: Identifier | None,
    actor: Actor,
    *,
    action: str,
) -> None:
    before = address_type.identifier.key if address_type.identifier_id else None
    record_audit(
        actor=actor,
        action=action,
        target_type="address_type",
        target=address_type.key,
        before={"identifier": before},
        after={"identifier": identifier.key if identifier else None},
    )


def map_address_type(
    *, address_type: AddressType, identifier: Identifier, actor: Actor
) -> bool:
    return configure_address_type(
        address_type=address_type, identifier=identifier, actor=actor
    )


def clear_address_type_mapping(*, address_type: AddressType, actor: Actor) -> bool:
    return configure_address_type(address_type=address_type, clear=True, actor=actor)


def set_address_type_search(
    *, address_type: AddressType, enabled: bool, actor: Actor
) -> bool:
    return configure_address_type(
        address_type=address_type, search_enabled=enabled, actor=actor
    )
