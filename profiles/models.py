"""The data the identity graph stands on.

The database enforces the invariants that matter most: one profile per
identifier value, one identifier per priority, display names unique regardless
of case. Application code checks them first to give clear errors; the
constraints are the last line of defence under concurrency.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

IDENTIFIER_KEY_VALIDATOR = RegexValidator(
    r"^[a-z0-9][a-z0-9_.\-]{0,63}$",
    "A key is lower-case letters, digits, '.', '_' or '-', at most 64 characters.",
)


class Normaliser(models.TextChoices):
    PHONE = "phone", "Phone (E.164)"
    EMAIL = "email", "Email (lower-case)"
    RAW = "raw", "Raw (trimmed)"


class LimitWindow(models.TextChoices):
    EVER = "ever", "Ever"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    ANNUALLY = "annually", "Annually"


WINDOW_DAYS = {
    LimitWindow.DAILY: 1,
    LimitWindow.WEEKLY: 7,
    LimitWindow.MONTHLY: 30,
    LimitWindow.ANNUALLY: 365,
}


class Identifier(models.Model):
    """A kind of id a profile can hold (user_id, email, phone, custom ones)."""

    key = models.CharField(
        max_length=64, unique=True, validators=[IDENTIFIER_KEY_VALIDATOR]
    )
    display_name = models.CharField(max_length=64)
    # 1 is searched first. Not a PositiveIntegerField: reordering moves rows
    # through negative values so that the unique constraint holds per row.
    priority = models.IntegerField(unique=True, validators=[MinValueValidator(1)])
    is_default = models.BooleanField(default=False)
    limit = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    limit_window = models.CharField(
        max_length=16, choices=LimitWindow.choices, default=LimitWindow.EVER
    )
    normaliser = models.CharField(
        max_length=16, choices=Normaliser.choices, default=Normaliser.RAW
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority"]
        constraints = [
            models.UniqueConstraint(
                Lower("display_name"), name="identifier_display_name_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.key

    @property
    def window(self) -> timedelta | None:
        days = WINDOW_DAYS.get(self.limit_window)
        return timedelta(days=days) if days else None


class AddressType(models.Model):
    """A contact-center channel and the identifier that holds its addresses."""

    key = models.CharField(max_length=32, unique=True)
    label = models.CharField(max_length=64)
    position = models.PositiveIntegerField(default=0)
    identifier = models.ForeignKey(
        Identifier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="address_types",
    )
    search_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label


def new_profile_uid() -> str:
    return "use_" + secrets.token_hex(12)


class Profile(models.Model):
    """One customer; a merged profile stays as a tombstone pointing on."""

    uid = models.CharField(
        max_length=40, unique=True, default=new_profile_uid, editable=False
    )
    traits = models.JSONField(default=dict, blank=True)
    # Per top-level trait: [event time ISO 8601, event pk] of its last write,
    # so that an older event never overwrites a newer value.
    trait_updated_at = models.JSONField(default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="merged_profiles",
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["merged_into"], name="profile_merged_into_idx"),
            # The console lists the most recently updated profiles first.
            models.Index(fields=["updated_at", "id"], name="profile_updated_at_idx"),
        ]

    def __str__(self) -> str:
        return self.uid

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class ExternalId(models.Model):
    """An identifier value attached to a profile: (identifier, value) is unique."""

    profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="external_ids"
    )
    identifier = models.ForeignKey(
        Identifier, on_delete=models.PROTECT, related_name="external_ids"
    )
    value = models.CharField(max_length=1024)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    first_message_id = models.CharField(max_length=100, blank=True, default="")
    source = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["identifier", "value"], name="externalid_one_profile_per_value"
            ),
        ]
        indexes = [
            models.Index(
                fields=["profile", "identifier"], name="externalid_profile_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.identifier.key}:{self.value}"


class Event(models.Model):
    """A stored Segment-spec message and the profile it resolved to."""

    source = models.CharField(max_length=64, blank=True, default="")
    message_id = models.CharField(max_length=100, blank=True, default="")
    type = models.CharField(max_length=16)
    name = models.CharField(max_length=255, blank=True, default="")
    payload = models.JSONField(default=dict)
    timestamp = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    profile = models.ForeignKey(
        Profile, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "message_id"],
                condition=~models.Q(message_id=""),
                name="event_message_id_unique_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["profile", "timestamp"], name="event_profile_idx")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.name}".strip()


class Merge(models.Model):
    """Why two profiles became one: kept forever so anyone can see it."""

    class Kind(models.TextChoices):
        EVENT = "event", "Event"
        MANUAL = "manual", "Manual"

    survivor = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="merges_received"
    )
    merged = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="merges_given"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EVENT)
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    identifier = models.ForeignKey(
        Identifier, null=True, blank=True, on_delete=models.SET_NULL
    )
    value = models.CharField(max_length=1024, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"


class BlockedValue(models.Model):
    """A value (or regex) never used as an identifier.

    A row without an identifier applies to every identifier.
    """

    identifier = models.ForeignKey(
        Identifier,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="blocked_values",
    )
    value = models.CharField(max_length=255)
    is_pattern = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["value", "is_pattern"],
                condition=models.Q(identifier__isnull=True),
                name="blockedvalue_global_unique",
            ),
            models.UniqueConstraint(
                fields=["identifier", "value", "is_pattern"],
                condition=models.Q(identifier__isnull=False),
                name="blockedvalue_per_identifier_unique",
            ),
        ]

    def __str__(self) -> str:
        kind = "pattern" if self.is_pattern else "value"
        scope = self.identifier.key if self.identifier_id else "all identifiers"
        return f"{kind} {self.value!r} ({scope})"


class Credential(models.Model):
    """A secret shown once and stored hashed (write keys, access tokens)."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=12)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]
        # "Web" and "web" would read as one key in a list and in the logs.
        constraints = [
            models.UniqueConstraint(Lower("name"), name="%(class)s_name_ci_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WriteKey(Credential):
    """Authenticates sources on the tracking API."""


class AccessToken(Credential):
    """Authenticates readers on the lookup and Profile APIs."""


class AuditEntry(models.Model):
    """Who changed what, from what to what, and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept when the user is deleted, and names non-user actors ("cli").
    actor_label = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target}"
