"""Django admin: every model listed; settings validated and audited like the
console; credentials without their hash; history read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from profiles.credentials import create_write_key
from profiles.models import (
    AddressType,
    AuditEntry,
    BlockedValue,
    Identifier,
    WriteKey,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "identifier", "addresstype", "profile", "externalid", "event", "merge",
    "blockedvalue", "writekey", "accesstoken", "auditentry",
]  # fmt: skip


@pytest.fixture
def admin_client() -> Client:
    user = User.objects.create_superuser("root", password="s3cret-pass")
    client = Client()
    client.force_login(user)
    return client


def identifier_form(identifier: Identifier, **changes) -> dict:
    return {
        "display_name": identifier.display_name,
        "priority": identifier.priority,
        "limit": identifier.limit,
        "limit_window": identifier.limit_window,
        **changes,
    }


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_a_list_with_search(admin_client, model):
    response = admin_client.get(f"/admin/profiles/{model}/", {"q": "x"})

    assert response.status_code == 200


def test_identifier_list_is_in_priority_order(admin_client):
    response = admin_client.get("/admin/profiles/identifier/")

    keys = [row.key for row in response.context["cl"].result_list]
    assert keys[:3] == ["user_id", "email", "phone"]


def test_admin_rename_is_validated_like_the_console(admin_client):
    phone = Identifier.objects.get(key="phone")

    response = admin_client.post(
        f"/admin/profiles/identifier/{phone.pk}/change/",
        identifier_form(phone, display_name="EMAIL"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "display_name": ["The display name “EMAIL” is already used by email."]
    }
    assert AuditEntry.objects.count() == 0


def test_admin_changes_go_through_the_settings_domain(admin_client):
    phone = Identifier.objects.get(key="phone")

    response = admin_client.post(
        f"/admin/profiles/identifier/{phone.pk}/change/",
        identifier_form(phone, display_name=" Phone number ", priority=1, limit=3),
    )

    assert response.status_code == 302
    assert list(Identifier.objects.values_list("key", flat=True)[:3]) == [
        "phone",
        "user_id",
        "email",
    ]
    phone.refresh_from_db()
    assert (phone.display_name, phone.limit) == ("Phone number", 3)
    entry = AuditEntry.objects.get(target_type="identifier")
    assert (entry.actor_label, entry.action, entry.before, entry.after) == (
        "root",
        "identifier.update",
        {"display_name": "phone", "limit": 5, "priority": 3},
        {"display_name": "Phone number", "limit": 3, "priority": 1},
    )


def test_admin_adds_a_custom_identifier_at_a_taken_priority(admin_client):
    response = admin_client.post(
        "/admin/profiles/identifier/add/",
        {
            "key": "crm_id",
            "display_name": "",
            "priority": 3,
            "limit": 5,
            "limit_window": "ever",
            "normaliser": "raw",
        },
    )

    assert response.status_code == 302
    crm = Identifier.objects.get(key="crm_id")
    assert (crm.priority, crm.display_name, crm.is_default) == (3, "crm_id", False)
    assert Identifier.objects.get(key="phone").priority == 4


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"key": "CRM id"}, "key", "A key is lower-case letters"),
        ({"key": "crm_id", "priority": 13}, "priority", "The priority must be a whole"),
        ({"key": "crm_id", "limit": 0}, "limit", "greater than or equal to 1"),
    ],
)
def test_admin_refuses_invalid_new_identifiers(admin_client, posted, field, message):
    form = {"display_name": "", "limit": 5, "limit_window": "ever", "normaliser": "raw"}

    response = admin_client.post("/admin/profiles/identifier/add/", form | posted)

    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert Identifier.objects.count() == 11


def test_default_identifiers_cannot_be_deleted(admin_client):
    phone = Identifier.objects.get(key="phone")

    response = admin_client.post(
        f"/admin/profiles/identifier/{phone.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 403
    assert Identifier.objects.filter(key="phone").exists()


def test_admin_deletes_a_custom_identifier_and_closes_the_gap(admin_client):
    admin_client.post(
        "/admin/profiles/identifier/add/",
        {"key": "crm_id", "priority": 1, "limit": 5, "limit_window": "ever",
         "normaliser": "raw", "display_name": ""},
    )  # fmt: skip
    crm = Identifier.objects.get(key="crm_id")

    admin_client.post(f"/admin/profiles/identifier/{crm.pk}/delete/", {"post": "yes"})

    assert list(Identifier.objects.values_list("priority", "key")[:2]) == [
        (1, "user_id"),
        (2, "email"),
    ]
    assert AuditEntry.objects.filter(action="identifier.delete").count() == 1


def test_admin_maps_an_address_type_with_an_audit_entry(admin_client):
    sms = AddressType.objects.get(key="sms")
    phone = Identifier.objects.get(key="phone")

    response = admin_client.post(
        f"/admin/profiles/addresstype/{sms.pk}/change/",
        {"identifier": phone.pk, "search_enabled": ""},
    )

    assert response.status_code == 302
    sms.refresh_from_db()
    assert (sms.identifier, sms.search_enabled) == (phone, False)
    assert list(
        AuditEntry.objects.order_by("id").values_list("actor_label", "action")
    ) == [("root", "address_type.map"), ("root", "address_type.search")]


def test_admin_refuses_an_invalid_blocked_pattern(admin_client):
    response = admin_client.post(
        "/admin/profiles/blockedvalue/add/",
        {"identifier": "", "value": "(", "is_pattern": "on"},
    )

    assert "is not a valid regular expression" in " ".join(
        response.context["adminform"].form.errors["value"]
    )
    assert not BlockedValue.objects.filter(value="(").exists()


def test_admin_adds_a_blocked_value_with_an_audit_entry(admin_client):
    response = admin_client.post(
        "/admin/profiles/blockedvalue/add/",
        {"identifier": "", "value": " void ", "is_pattern": ""},
    )

    assert response.status_code == 302
    assert BlockedValue.objects.filter(value="void", identifier=None).exists()
    assert AuditEntry.objects.get().action == "blocked_value.add"


def test_credentials_never_show_their_hash_and_can_only_be_revoked(admin_client):
    key, secret = create_write_key(name="web", actor="cli")

    page = admin_client.get(f"/admin/profiles/writekey/{key.pk}/change/")

    html = page.content.decode()
    assert key.secret_hash not in html
    assert secret not in html
    assert "secret_hash" not in html
    assert (
        admin_client.post(
            f"/admin/profiles/writekey/{key.pk}/change/", {"name": "x"}
        ).status_code
        == 403
    )

    admin_client.post(
        "/admin/profiles/writekey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )

    assert WriteKey.objects.get(pk=key.pk).revoked_at is not None


def test_audit_entries_are_read_only(admin_client):
    entry = AuditEntry.objects.create(action="x", target_type="y", target="z")

    response = admin_client.post(
        f"/admin/profiles/auditentry/{entry.pk}/change/", {"action": "changed"}
    )

    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "x"
    assert admin_client.get("/admin/profiles/auditentry/add/").status_code == 403
