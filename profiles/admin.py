"""Django admin for every model, for operators.

Settings (identifiers, address types, blocked values) are edited through
the functions of profiles/identifiers.py, so the admin validates and audits
exactly like the console and the commands. The identity graph, events,
merges and the audit trail are read-only here: they are changed by ingesting
events and by the console's profile actions, which keep them consistent.
Credentials never show their hash; they can only be revoked.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from profiles.credentials import revoke_access_token, revoke_write_key
from profiles.identifiers import (
    add_blocked_value,
    clean_blocked_value,
    clean_display_name,
    clean_identifier_key,
    clean_priority,
    configure_address_type,
    configure_identifier,
    delete_identifier,
    remove_blocked_value,
)
from profiles.models import (
    AccessToken,
    AddressType,
    AuditEntry,
    BlockedValue,
    Event,
    ExternalId,
    Identifier,
    Merge,
    Profile,
    WriteKey,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by users with the view permission, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Settings.


class IdentifierAdminForm(forms.ModelForm):
    # Blank resets the display name to the key, as on the Identifiers tab.
    display_name = forms.CharField(required=False, strip=False, max_length=200)
    priority = forms.IntegerField(
        required=False,
        help_text=(
            "1 is searched first. A taken priority moves the identifiers from "
            "there on down by one; blank puts a new identifier last."
        ),
    )

    class Meta:
        model = Identifier
        fields = [
            "key",
            "display_name",
            "priority",
            "limit",
            "limit_window",
            "normaliser",
        ]

    def _get_validation_exclusions(self) -> set[str]:
        # A taken priority is made free by configure_identifier, not refused,
        # so the model's unique check on it must not run here.
        return {*super()._get_validation_exclusions(), "priority"}

    def clean_key(self) -> str:
        return clean_identifier_key(self.cleaned_data["key"])

    def clean_display_name(self) -> str:
        key = self.instance.key or self.cleaned_data.get("key", "")
        return clean_display_name(
            value=self.cleaned_data["display_name"],
            key=key,
            exclude_pk=self.instance.pk,
        )

    def clean_priority(self) -> int | None:
        priority = self.cleaned_data["priority"]
        if priority is None:
            if self.instance.pk:
                return self.instance.priority
            return None
        return clean_priority(priority=priority, creating=not self.instance.pk)


@admin.register(Identifier)
class IdentifierAdmin(admin.ModelAdmin):
    form = IdentifierAdminForm
    list_display = [
        "priority",
        "display_name",
        "key",
        "is_default",
        "limit",
        "limit_window",
        "normaliser",
    ]
    list_display_links = ["display_name"]
    list_filter = ["is_default", "normaliser", "limit_window"]
    search_fields = ["key", "display_name"]
    ordering = ["priority"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = ["key", "display_name", "priority", "limit", "limit_window"]
        if obj is None:
            return [*fields, "normaliser"]
        return [*fields, "normaliser", "is_default"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # The key names the identifier everywhere (payloads, API paths), and
        # the normaliser decided how its stored values were written, so
        # changing either would strand data: both are set at creation.
        if obj is None:
            return []
        return ["key", "normaliser", "is_default"]

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        data = form.cleaned_data
        result = configure_identifier(
            key=obj.key,
            actor=request.user,
            display_name=data["display_name"],
            priority=data["priority"],
            limit=data["limit"],
            window=data["limit_window"],
            normaliser=data.get("normaliser"),
        )
        obj.pk = result.identifier.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # The default identifiers are the product's (DOMAIN.md 0.2).
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj) -> None:
        delete_identifier(identifier=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for identifier in queryset.filter(is_default=False):
            delete_identifier(identifier=identifier, actor=request.user)


class AddressTypeAdminForm(forms.ModelForm):
    class Meta:
        model = AddressType
        fields = ["identifier", "search_enabled"]


@admin.register(AddressType)
class AddressTypeAdmin(admin.ModelAdmin):
    form = AddressTypeAdminForm
    list_display = ["label", "key", "identifier", "search_enabled", "position"]
    list_filter = ["search_enabled", "identifier"]
    search_fields = ["key", "label"]
    fields = ["key", "label", "identifier", "search_enabled"]
    readonly_fields = ["key", "label"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The address types are the contact-center channels the product knows.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        identifier = form.cleaned_data["identifier"]
        configure_address_type(
            address_type=obj,
            identifier=identifier,
            clear=identifier is None,
            search_enabled=form.cleaned_data["search_enabled"],
            actor=request.user,
        )


class BlockedValueAdminForm(forms.ModelForm):
    class Meta:
        model = BlockedValue
        fields = ["identifier", "value", "is_pattern"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if "value" in cleaned:
            try:
                cleaned["value"] = clean_blocked_value(
                    value=cleaned["value"], is_pattern=cleaned.get("is_pattern", False)
                )
            except ValidationError as error:
                self.add_error("value", error)
        return cleaned


@admin.register(BlockedValue)
class BlockedValueAdmin(admin.ModelAdmin):
    form = BlockedValueAdminForm
    list_display = ["value", "is_pattern", "scope", "created_at"]
    list_filter = ["is_pattern", ("identifier", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["value"]

    @admin.display(description="applies to", ordering="identifier__priority")
    def scope(self, obj: BlockedValue) -> str:
        return obj.identifier.key if obj.identifier_id else "all identifiers"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A blocked value is added or removed, never rewritten in place, so
        # the audit trail reads as a list of additions and removals.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        blocked = add_blocked_value(
            identifier=obj.identifier,
            value=obj.value,
            is_pattern=obj.is_pattern,
            actor=request.user,
        )
        obj.pk = blocked.pk

    def delete_model(self, request: HttpRequest, obj) -> None:
        remove_blocked_value(blocked=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for blocked in queryset:
            remove_blocked_value(blocked=blocked, actor=request.user)


# The identity graph and its history.


class ExternalIdInline(admin.TabularInline):
    model = ExternalId
    fields = ["identifier", "value", "first_seen_at", "last_seen_at", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin):
    list_display = ["uid", "created_at", "updated_at", "merged_into", "merged_at"]
    list_filter = [("merged_into", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["uid", "external_ids__value"]
    date_hierarchy = "created_at"
    inlines = [ExternalIdInline]
    list_select_related = ["merged_into"]


@admin.register(ExternalId)
class ExternalIdAdmin(ReadOnlyAdmin):
    list_display = [
        "identifier",
        "value",
        "profile",
        "first_seen_at",
        "last_seen_at",
        "source",
    ]
    list_filter = ["identifier", "source"]
    search_fields = ["value", "profile__uid"]
    list_select_related = ["identifier", "profile"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "type",
        "name",
        "timestamp",
        "profile",
        "message_id",
        "source",
        "has_warnings",
    ]
    list_filter = ["type", "source", "timestamp"]
    search_fields = ["message_id", "name", "profile__uid"]
    date_hierarchy = "timestamp"
    list_select_related = ["profile"]

    @admin.display(boolean=True, description="warnings")
    def has_warnings(self, obj: Event) -> bool:
        return bool(obj.warnings)


@admin.register(Merge)
class MergeAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "survivor",
        "merged",
        "kind",
        "identifier",
        "actor",
        "event",
    ]
    list_filter = ["kind", "identifier", "created_at"]
    search_fields = ["survivor__uid", "merged__uid"]
    date_hierarchy = "created_at"
    list_select_related = ["survivor", "merged", "identifier", "actor", "event"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "target_type", "target"]
    list_filter = ["target_type", "action", "created_at"]
    search_fields = ["target", "actor_label", "action"]
    date_hierarchy = "created_at"


# Credentials: the hash is never shown, and revoking is the only change.


class CredentialAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "prefix",
        "is_active",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    fields = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(boolean=True, description="active")
    def is_active(self, obj) -> bool:
        return obj.is_active

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        codename = f"change_{self.opts.model_name}"
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def revoke_by_name(self, *, name: str, actor) -> None:
        raise NotImplementedError

    @admin.action(description="Revoke selected", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        names = list(
            queryset.filter(revoked_at__isnull=True).values_list("name", flat=True)
        )
        for name in names:
            self.revoke_by_name(name=name, actor=request.user)
        self.message_user(request, f"Revoked {len(names)}.", messages.SUCCESS)


@admin.register(WriteKey)
class WriteKeyAdmin(CredentialAdmin):
    def revoke_by_name(self, *, name: str, actor) -> None:
        revoke_write_key(name=name, actor=actor)


@admin.register(AccessToken)
class AccessTokenAdmin(CredentialAdmin):
    def revoke_by_name(self, *, name: str, actor) -> None:
        revoke_access_token(name=name, actor=actor)
