"""The settings domain: profiles/identifiers.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from profiles.identifiers import (
    add_blocked_value,
    clear_address_type_mapping,
    configure_identifier,
    delete_identifier,
    ensure_identifier,
    map_address_type,
    orphaned_address_types,
    rename_identifier,
    set_address_type_search,
)
from profiles.models import AddressType, AuditEntry, BlockedValue, Identifier

pytestmark = pytest.mark.django_db

DEFAULT_ORDER = [
    "user_id",
    "email",
    "phone",
    "android.id",
    "android.idfa",
    "android.push_token",
    "anonymous_id",
    "ga_client_id",
    "ios.id",
    "ios.idfa",
    "ios.push_token",
]


def order() -> list[tuple[int, str]]:
    return list(Identifier.objects.values_list("priority", "key"))


def audit() -> list[tuple]:
    return list(
        AuditEntry.objects.order_by("id").values_list(
            "actor_label", "action", "target_type", "target", "before", "after"
        )
    )


def test_new_identifier_without_priority_goes_last():
    change = configure_identifier(key="loyalty_id", actor="cli")

    assert (change.created, change.changed) == (True, True)
    assert order()[-1] == (12, "loyalty_id")
    loyalty = Identifier.objects.get(key="loyalty_id")
    assert (loyalty.display_name, loyalty.is_default, loyalty.limit) == (
        "loyalty_id",
        False,
        5,
    )
    assert (loyalty.limit_window, loyalty.normaliser) == ("ever", "raw")


def test_new_identifier_at_a_taken_priority_moves_the_rest_down():
    configure_identifier(key="loyalty_id", actor="cli")

    configure_identifier(key="crm_id", priority=3, actor="cli")

    keys = ["user_id", "email", "crm_id", *DEFAULT_ORDER[2:], "loyalty_id"]
    assert order() == list(enumerate(keys, start=1))


def test_moving_an_identifier_shifts_only_the_ones_between():
    configure_identifier(key="ios.id", priority=2, actor="cli")

    keys = ["user_id", "ios.id", "email", "phone", *DEFAULT_ORDER[3:8]]
    assert order() == list(enumerate([*keys, "ios.idfa", "ios.push_token"], 1))

    configure_identifier(key="ios.id", priority=9, actor="cli")

    assert order() == list(enumerate(DEFAULT_ORDER, start=1))


def test_moving_down_to_the_last_place():
    configure_identifier(key="user_id", priority=11, actor="cli")

    assert order() == list(enumerate([*DEFAULT_ORDER[1:], "user_id"], start=1))


def test_configure_changes_settings_and_audits_only_what_changed():
    configure_identifier(
        key="email", limit=2, window="annually", display_name="Email", actor="cli"
    )

    email = Identifier.objects.get(key="email")
    assert (email.limit, email.limit_window, email.display_name) == (
        2,
        "annually",
        "Email",
    )
    assert audit() == [
        (
            "cli",
            "identifier.update",
            "identifier",
            "email",
            {"display_name": "email", "limit": 5, "window": "ever"},
            {"display_name": "Email", "limit": 2, "window": "annually"},
        )
    ]


def test_configure_twice_changes_nothing_the_second_time():
    configure_identifier(key="email", limit=2, actor="cli")

    again = configure_identifier(key="email", limit=2, actor="cli")

    assert (again.created, again.changed) == (False, False)
    assert AuditEntry.objects.count() == 1


def test_blocked_values_are_added_once_per_identifier():
    configure_identifier(
        key="user_id", block_values=[" void "], block_patterns=["^test-"], actor="cli"
    )
    configure_identifier(key="user_id", block_values=["void"], actor="cli")

    rows = set(
        BlockedValue.objects.filter(identifier__key="user_id").values_list(
            "value", "is_pattern"
        )
    )
    assert rows == {("void", False), ("^test-", True)}
    assert [row[1] for row in audit()] == [
        "identifier.block_value",
        "identifier.block_pattern",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"key": "Loyalty ID"}, "A key is lower-case letters"),
        ({"key": "email", "limit": 0}, "The limit must be a whole number from 1"),
        ({"key": "email", "limit": 1001}, "The limit must be a whole number from 1"),
        ({"key": "email", "window": "hourly"}, "The window must be one of: ever,"),
        ({"key": "email", "normaliser": "x"}, "The normaliser must be one of"),
        ({"key": "email", "priority": 0}, "The priority must be a whole number"),
        ({"key": "email", "priority": 12}, "from 1 to 11."),
        ({"key": "new_id", "priority": 13}, "from 1 to 12."),
        ({"key": "email", "display_name": "PHONE"}, "“PHONE” is already used by"),
        ({"key": "email", "display_name": "x" * 65}, "at most 64 characters"),
        ({"key": "email", "block_patterns": ["("]}, "is not a valid regular"),
        ({"key": "email", "block_values": ["ok", "  "]}, "A blocked value cannot be"),
    ],
)
def test_invalid_settings_are_refused_and_change_nothing(options, message):
    before = list(Identifier.objects.values())

    with pytest.raises(ValidationError) as raised:
        configure_identifier(
            actor="cli", **{"block_patterns": ["^kept-out$"], **options}
        )

    assert message in " ".join(raised.value.messages)
    assert list(Identifier.objects.values()) == before
    assert BlockedValue.objects.filter(identifier__isnull=False).count() == 0
    assert AuditEntry.objects.count() == 0


def test_rename_trims_and_audits_with_the_user(editor):
    phone = Identifier.objects.get(key="phone")

    rename_identifier(identifier=phone, display_name="  Phone number ", actor=editor)

    phone.refresh_from_db()
    assert (phone.key, phone.display_name) == ("phone", "Phone number")
    assert audit() == [
        (
            "editor",
            "identifier.rename",
            "identifier",
            "phone",
            {"display_name": "phone"},
            {"display_name": "Phone number"},
        )
    ]
    assert AuditEntry.objects.get().actor == editor


def test_rename_to_blank_resets_to_the_key():
    phone = Identifier.objects.get(key="phone")
    rename_identifier(identifier=phone, display_name="Phone number", actor="cli")

    renamed = rename_identifier(identifier=phone, display_name="   ", actor="cli")

    assert renamed.display_name == "phone"


def test_rename_to_the_same_name_is_not_audited_twice():
    phone = Identifier.objects.get(key="phone")

    rename_identifier(identifier=phone, display_name="Phone number", actor="cli")
    rename_identifier(identifier=phone, display_name="Phone number", actor="cli")

    assert AuditEntry.objects.count() == 1


def test_rename_may_change_only_the_case_of_its_own_name():
    phone = Identifier.objects.get(key="phone")

    assert rename_identifier(
        identifier=phone, display_name="PHONE", actor="cli"
    ).display_name == ("PHONE")


def test_rename_refuses_a_name_taken_in_another_case():
    phone = Identifier.objects.get(key="phone")

    with pytest.raises(ValidationError) as raised:
        rename_identifier(identifier=phone, display_name="User_ID", actor="cli")

    assert raised.value.messages == [
        "The display name “User_ID” is already used by user_id."
    ]
    phone.refresh_from_db()
    assert phone.display_name == "phone"


def test_ensure_identifier_creates_once_at_the_end():
    first = ensure_identifier(key="shopify_id")
    second = ensure_identifier(key="shopify_id")

    assert first.pk == second.pk
    assert (first.priority, first.display_name, first.limit) == (12, "shopify_id", 5)
    assert (first.limit_window, first.normaliser, first.is_default) == (
        "ever",
        "raw",
        False,
    )
    assert audit() == [
        (
            "ingest",
            "identifier.create",
            "identifier",
            "shopify_id",
            None,
            {
                "key": "shopify_id",
                "display_name": "shopify_id",
                "priority": 12,
                "default": False,
                "limit": 5,
                "window": "ever",
                "normaliser": "raw",
            },
        )
    ]


def test_ensure_identifier_returns_an_existing_one_untouched():
    assert ensure_identifier(key="email").priority == 2
    assert AuditEntry.objects.count() == 0


def test_ensure_identifier_refuses_a_malformed_key():
    with pytest.raises(ValidationError):
        ensure_identifier(key="Shopify ID")

    assert Identifier.objects.count() == 11


def test_ensure_identifier_avoids_a_display_name_already_taken():
    phone = Identifier.objects.get(key="phone")
    rename_identifier(identifier=phone, display_name="shopify_id", actor="cli")

    created = ensure_identifier(key="shopify_id")

    assert created.display_name == "shopify_id (2)"


def test_mapping_clearing_and_search_are_audited_once_each(editor):
    sms = AddressType.objects.get(key="sms")
    phone = Identifier.objects.get(key="phone")

    assert map_address_type(address_type=sms, identifier=phone, actor=editor)
    assert not map_address_type(address_type=sms, identifier=phone, actor=editor)
    assert set_address_type_search(address_type=sms, enabled=False, actor=editor)
    assert not set_address_type_search(address_type=sms, enabled=False, actor=editor)
    assert clear_address_type_mapping(address_type=sms, actor=editor)
    assert not clear_address_type_mapping(address_type=sms, actor=editor)

    sms.refresh_from_db()
    assert (sms.identifier, sms.search_enabled) == (None, False)
    assert audit() == [
        (
            "editor",
            "address_type.map",
            "address_type",
            "sms",
            {"identifier": None},
            {"identifier": "phone"},
        ),
        (
            "editor",
            "address_type.search",
            "address_type",
            "sms",
            {"search_enabled": True},
            {"search_enabled": False},
        ),
        (
            "editor",
            "address_type.clear",
            "address_type",
            "sms",
            {"identifier": "phone"},
            {"identifier": None},
        ),
    ]


def test_disabling_search_keeps_the_mapping():
    sms = AddressType.objects.get(key="sms")
    map_address_type(
        address_type=sms, identifier=Identifier.objects.get(key="phone"), actor="cli"
    )

    set_address_type_search(address_type=sms, enabled=False, actor="cli")

    sms.refresh_from_db()
    assert (sms.identifier.key, sms.search_enabled) == ("phone", False)


def test_renaming_a_mapped_identifier_keeps_the_mapping():
    sms = AddressType.objects.get(key="sms")
    phone = Identifier.objects.get(key="phone")
    map_address_type(address_type=sms, identifier=phone, actor="cli")

    rename_identifier(identifier=phone, display_name="Phone number", actor="cli")

    sms.refresh_from_db()
    assert sms.identifier.display_name == "Phone number"


def test_deleting_a_mapped_identifier_orphans_the_row_and_closes_the_gap():
    configure_identifier(key="crm_id", priority=3, actor="cli")
    chat = AddressType.objects.get(key="chat")
    crm = Identifier.objects.get(key="crm_id")
    map_address_type(address_type=chat, identifier=crm, actor="cli")

    delete_identifier(identifier=crm, actor="cli")

    chat.refresh_from_db()
    assert chat.identifier is None
    assert orphaned_address_types() == {"chat": "crm_id"}
    assert order() == list(enumerate(DEFAULT_ORDER, start=1))

    clear_address_type_mapping(address_type=chat, actor="cli")
    assert orphaned_address_types() == {"chat": "crm_id"}
    map_address_type(
        address_type=chat, identifier=Identifier.objects.get(key="user_id"), actor="cli"
    )
    assert orphaned_address_types() == {}


def test_a_blocked_value_for_all_identifiers_is_added_once():
    add_blocked_value(identifier=None, value="void", is_pattern=False, actor="cli")
    add_blocked_value(identifier=None, value="void ", is_pattern=False, actor="cli")

    assert BlockedValue.objects.filter(value="void", identifier=None).count() == 1
    assert [row[1:4] for row in audit()] == [
        ("blocked_value.add", "blocked_value", "*")
    ]
