from __future__ import annotations

import pytest

from profiles.models import AddressType, BlockedValue, Identifier


@pytest.mark.django_db
def test_migrations_create_default_identifiers_in_priority_order():
    rows = list(
        Identifier.objects.values_list(
            "priority", "key", "display_name", "limit", "limit_window", "normaliser"
        )
    )

    assert rows == [
        (1, "user_id", "user_id", 1, "ever", "raw"),
        (2, "email", "email", 5, "ever", "email"),
        (3, "phone", "phone", 5, "ever", "phone"),
        (4, "android.id", "android.id", 5, "ever", "raw"),
        (5, "android.idfa", "android.idfa", 5, "ever", "raw"),
        (6, "android.push_token", "android.push_token", 5, "ever", "raw"),
        (7, "anonymous_id", "anonymous_id", 5, "weekly", "raw"),
        (8, "ga_client_id", "ga_client_id", 5, "monthly", "raw"),
        (9, "ios.id", "ios.id", 5, "ever", "raw"),
        (10, "ios.idfa", "ios.idfa", 5, "ever", "raw"),
        (11, "ios.push_token", "ios.push_token", 5, "ever", "raw"),
    ]
    assert set(Identifier.objects.values_list("is_default", flat=True)) == {True}


@pytest.mark.django_db
def test_migrations_create_unmapped_address_types_with_search_on():
    rows = list(
        AddressType.objects.values_list("key", "label", "identifier", "search_enabled")
    )

    assert rows == [
        ("voice", "Voice", None, True),
        ("sms", "SMS", None, True),
        ("whatsapp", "WhatsApp", None, True),
        ("email", "Email", None, True),
        ("chat", "Chat", None, True),
        ("messenger", "Messenger", None, True),
    ]


@pytest.mark.django_db
def test_migrations_create_the_default_blocked_values_for_all_identifiers():
    rows = set(BlockedValue.objects.values_list("value", "is_pattern", "identifier"))

    assert rows == {("^[0-]*$", True, None)} | {
        (value, False, None)
        for value in [
            "-1", "null", "undefined", "anonymous", "none", "None", "NaN", "nan",
            "true", "false", "guest", "not_authenticated", "[object Object]",
        ]
    }  # fmt: skip
