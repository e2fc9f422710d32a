"""Write keys (tracking API) and access tokens (lookup and Profile APIs).

A secret is shown once, when it is created, and only its SHA-256 is stored.
The secrets are 256 random bits, so a plain hash is enough: there is nothing
to guess that a slow password hash would protect. Neither the secret nor its
hash is ever logged; logs and audit entries name the credential.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from profiles.audit import Actor, record_audit
from profiles.models import AccessToken, Credential, WriteKey

logger = logging.getLogger(__name__)

# A write key's name becomes the `source` of its events (64 characters), so
# two names must never share a longer prefix than the column holds.
NAME_MAX_LENGTH = 64
NAME_PATTERN = re.compile(r"[A-Za-z0-9 ._-]+")
# Recording every use would add a write to every API request; once a minute
# is enough to tell a live credential from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)

WRITE_KEY_PREFIX = "wk_"
ACCESS_TOKEN_PREFIX = "pat_"  # noqa: S105 -- a public marker, not a secret

C = TypeVar("C", bound=Credential)


class CredentialError(ValueError):
    """A credential cannot be created or revoked; the message says why."""


def create_write_key(*, name: str, actor: Actor) -> tuple[WriteKey, str]:
    """Create a write key; return it with its secret, which is never stored."""
    return _create(model=WriteKey, prefix=WRITE_KEY_PREFIX, name=name, actor=actor)


def create_access_token(*, name: str, actor: Actor) -> tuple[AccessToken, str]:
    """Create an access token; return it with its secret, which is never stored."""
    return _create(
        model=AccessToken, prefix=ACCESS_TOKEN_PREFIX, name=name, actor=actor
    )


def revoke_write_key(*, name: str, actor: Actor) -> WriteKey:
    """Revoke a write key by name; revoking a revoked key changes nothing."""
    return _revoke(model=WriteKey, name=name, actor=actor)


def revoke_access_token(*, name: str, actor: Actor) -> AccessToken:
    """Revoke an access token by name; revoking it twice changes nothing."""
    return _revoke(model=AccessToken, name=name, actor=actor)


def authenticate_write_key(*, secret: str) -> WriteKey | None:
    """The active write key with this secret, or None."""
    return _authenticate(model=WriteKey, secret=secret)


def authenticate_access_token(*, secret: str) -> AccessToken | None:
    """The active access token with this secret, or None."""
    return _authenticate(model=AccessToken, secret=secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _create(*, model: type[C], prefix: str, name: str, actor: Actor) -> tuple[C, str]:
    name = _clean_name(name)
    secret = prefix + secrets.token_urlsafe(32)
    kind = model._meta.verbose_name

    try:
        with transaction.atomic():
            _refuse_taken_name(model=model, name=name)
            credential = model.objects.create(
                name=name,
                # Enough to recognise a key in a list, far too little to use it.
                prefix=secret[: len(prefix) + 4],
                secret_hash=hash_secret(secret),
            )
            record_audit(
                actor=actor,
                action=f"{_audit_kind(model)}.create",
                target_type=_audit_kind(model),
                target=name,
                after={"prefix": credential.prefix},
            )
    except IntegrityError as error:
        # A concurrent create of the same name passed the check first.
        raise CredentialError(_taken_message(kind, name)) from error

    logger.info("%s %s created", model.__name__, credential.pk)
    return credential, secret


def _revoke(*, model: type[C], name: str, actor: Actor) -> C:
    kind = model._meta.verbose_name

    with transaction.atomic():
        credential = model.objects.select_for_update().filter(name=name).first()
        if credential is None:
            raise CredentialError(f"There is no {kind} named {name!r}.")
        if credential.revoked_at is not None:
            return credential
        credential.revoked_at = timezone.now()
        credential.save(update_fields=["revoked_at"])
        record_audit(
            actor=actor,
            action=f"{_audit_kind(model)}.revoke",
            target_type=_audit_kind(model),
            target=name,
            before={"revoked_at": None},
            after={"revoked_at": credential.revoked_at.isoformat()},
        )

    logger.info("%s %s revoked", model.__name__, credential.pk)
    return credential


def _authenticate(*, model: type[C], secret: str) -> C | None:
    if not secret:
        return None
    credential = model.objects.filter(
        secret_hash=hash_secret(secret), revoked_at__isnull=True
    ).first()
    if credential is None:
        return None

    now = timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(
        last_used_at__lt=now - LAST_USED_RESOLUTION
    )
    model.objects.filter(stale, pk=credential.pk).update(last_used_at=now)
    return credential


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise CredentialError("A name is required.")
    if len(name) > NAME_MAX_LENGTH:
        raise CredentialError(f"A name is at most {NAME_MAX_LENGTH} characters.")
    if not NAME_PATTERN.fullmatch(name):
        raise CredentialError(
            "A name may hold only letters, digits, spaces, '-', '_' and '.'."
        )
    return name


def _refuse_taken_name(*, model: type[C], name: str) -> None:
    """Names are unique regardless of case, revoked ones included: a revoked
    write key's name is still the source of its stored events."""
    kind = str(model._meta.verbose_name)
    taken = model.objects.filter(name__iexact=name).first()
    if taken is None:
        return
    if taken.revoked_at is not None:
        raise CredentialError(
            f"A revoked {kind} already has this name; choose another name."
        )
    raise CredentialError(_taken_message(kind, taken.name))


def _taken_message(kind: str, name: str) -> str:
    article = "An" if kind[0] in "aeiou" else "A"
    return f"{article} {kind} named {name!r} already exists."


def _audit_kind(model: type[Credential]) -> str:
    return str(model._meta.verbose_name).replace(" ", "_")
