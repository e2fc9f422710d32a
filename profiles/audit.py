"""The business history: who changed what, from what to what, and when."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from profiles.models import AuditEntry

Actor = AbstractBaseUser | AnonymousUser | str | None


def record_audit(
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target: str,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Write one audit entry; `actor` is a user or a label such as "cli".

    Callers pass ids and settings, never personal values (emails, phones).
    """
    user = None
    label = ""
    if isinstance(actor, str):
        label = actor
    elif actor is not None and actor.is_authenticated:
        user = actor
        label = actor.get_username()

    return AuditEntry.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        target_type=target_type,
        target=target,
        before=before,
        after=after,
    )
