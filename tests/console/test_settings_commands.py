"""configure_identifier and configure_address_type, as other tools run them."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from profiles.models import AddressType, AuditEntry, Identifier
from profiles.resolution import ingest_message

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_configure_identifier_creates_a_custom_identifier_last():
    out, err = run("configure_identifier", "loyalty_id")

    assert out == (
        "key: loyalty_id\n"
        "display_name: loyalty_id\n"
        "priority: 12\n"
        "type: custom\n"
        "limit: 5\n"
        "window: ever\n"
        "normaliser: raw\n"
        "blocked_values: []\n"
        "blocked_patterns: []\n"
    )
    assert err == "Created identifier loyalty_id.\n"
    assert AuditEntry.objects.get().actor_label == "cli"


@pytest.mark.django_db
def test_scenario_25_priorities_of_new_identifiers():
    run("configure_identifier", "loyalty_id")

    out, _ = run("configure_identifier", "crm_id", "--priority", "3")

    assert "priority: 3\n" in out
    assert list(Identifier.objects.values_list("key", flat=True)) == [
        "user_id", "email", "crm_id", "phone", "android.id", "android.idfa",
        "android.push_token", "anonymous_id", "ga_client_id", "ios.id", "ios.idfa",
        "ios.push_token", "loyalty_id",
    ]  # fmt: skip
    assert Identifier.objects.get(key="phone").priority == 4
    assert Identifier.objects.get(key="loyalty_id").priority == 13


@pytest.mark.django_db
def test_configure_identifier_sets_every_option():
    out, _ = run(
        "configure_identifier", "email", "--display-name", "Email address",
        "--limit", "2", "--window", "annually", "--normaliser", "email",
        "--block", "void", "--block", "abc 123", "--block-pattern", "^test-.*$",
    )  # fmt: skip

    assert out == (
        "key: email\n"
        "display_name: Email address\n"
        "priority: 2\n"
        "type: default\n"
        "limit: 2\n"
        "window: annually\n"
        "normaliser: email\n"
        'blocked_values: ["void", "abc 123"]\n'
        'blocked_patterns: ["^test-.*$"]\n'
    )


@pytest.mark.django_db
def test_configure_identifier_without_change_says_so_on_stderr():
    _, err = run("configure_identifier", "email", "--limit", "5")

    assert err == "Nothing changed.\n"
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad Key"], "A key is lower-case letters, digits"),
        (["email", "--limit", "two"], "--limit must be a whole number, not 'two'."),
        (["email", "--limit", "0"], "The limit must be a whole number from 1 to 1000."),
        (["email", "--priority", "x"], "--priority must be a whole number"),
        (["email", "--priority", "40"], "The priority must be a whole number from 1"),
        (["email", "--window", "hourly"], "The window must be one of: ever, daily,"),
        (["email", "--normaliser", "upper"], "The normaliser must be one of: phone,"),
        (["email", "--block-pattern", "[a-"], "is not a valid regular expression"),
        (["email", "--display-name", "Phone"], "“Phone” is already used by phone."),
    ],
)
def test_configure_identifier_refuses_invalid_input(args, message):
    before = list(Identifier.objects.values())

    with pytest.raises(CommandError) as raised:
        run("configure_identifier", *args)

    assert message in str(raised.value)
    assert list(Identifier.objects.values()) == before
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_configure_address_type_maps_and_switches_search():
    out, _ = run("configure_address_type", "sms", "--identifier", "phone")

    assert out == (
        "type: sms\n"
        "label: SMS\n"
        "identifier: phone\n"
        "identifier_display_name: phone\n"
        "search: enabled\n"
    )

    out, _ = run("configure_address_type", "sms", "--disable-search")

    assert out.endswith("identifier: phone\nidentifier_display_name: phone\n"
                        "search: disabled\n")  # fmt: skip

    out, _ = run("configure_address_type", "sms", "--clear", "--enable-search")

    assert out == (
        "type: sms\n"
        "label: SMS\n"
        "identifier: not mapped\n"
        "identifier_display_name:\n"
        "search: enabled\n"
    )
    assert list(
        AuditEntry.objects.order_by("id").values_list("actor_label", "action")
    ) == [
        ("cli", "address_type.map"),
        ("cli", "address_type.search"),
        ("cli", "address_type.clear"),
        ("cli", "address_type.search"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fax"], "Unknown address type 'fax'; known: voice, sms, whatsapp,"),
        (["sms", "--identifier", "fax_id"], "Unknown identifier 'fax_id'."),
    ],
)
def test_configure_address_type_refuses_unknown_names(args, message):
    with pytest.raises(CommandError) as raised:
        run("configure_address_type", *args)

    assert message in str(raised.value)
    assert AddressType.objects.filter(identifier__isnull=False).count() == 0


def test_commands_as_subprocesses_like_the_scenario_checker(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert manage("migrate", "--noinput").returncode == 0

    done = manage("configure_identifier", "email", "--limit", "2")
    assert (done.returncode, done.stdout.splitlines()[4]) == (0, "limit: 2")

    refused = manage("configure_identifier", "email", "--limit", "many")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert "--limit must be a whole number, not 'many'." in refused.stderr

    unknown = manage("configure_address_type", "fax")
    assert (unknown.returncode, unknown.stdout) == (1, "")


@pytest.mark.django_db
def test_the_normaliser_of_an_identifier_holding_values_cannot_change():
    ingest_message({"type": "identify", "userId": "u-1"})

    with pytest.raises(CommandError) as raised:
        run("configure_identifier", "user_id", "--normaliser", "email")

    assert str(raised.value) == (
        "The normaliser of user_id cannot change while profiles hold its values: "
        "stored values would no longer match searches."
    )
    assert Identifier.objects.get(key="user_id").normaliser == "raw"
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_the_normaliser_of_an_unused_identifier_can_change():
    out, _ = run("configure_identifier", "ios.id", "--normaliser", "email")

    assert "normaliser: email\n" in out


@pytest.mark.django_db
def test_segment_id_is_reserved_for_profile_ids():
    with pytest.raises(CommandError) as raised:
        run("configure_identifier", "segment_id")

    assert str(raised.value) == (
        "“segment_id” is reserved for profile ids and cannot name an identifier."
    )
    assert not Identifier.objects.filter(key="segment_id").exists()
