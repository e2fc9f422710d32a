"""Write keys and access tokens: shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from profiles.credentials import (
    CredentialError,
    authenticate_access_token,
    authenticate_write_key,
    create_access_token,
    create_write_key,
    revoke_write_key,
)
from profiles.models import AccessToken, AuditEntry, WriteKey

pytestmark = pytest.mark.django_db


def test_a_write_key_is_stored_as_its_hash_only():
    write_key, secret = create_write_key(name="web", actor="cli")

    assert secret.startswith("wk_") and len(secret) == 46
    assert write_key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert write_key.prefix == secret[:7]
    stored = WriteKey.objects.values().get()
    assert secret not in [str(value) for value in stored.values()]
    assert authenticate_write_key(secret=secret) == write_key
    assert authenticate_access_token(secret=secret) is None


def test_names_are_unique_trimmed_and_required():
    create_write_key(name="  web ", actor="cli")

    with pytest.raises(CredentialError, match="A write key named 'web' already"):
        create_write_key(name="web", actor="cli")
    with pytest.raises(CredentialError, match="A name is required."):
        create_access_token(name="   ", actor="cli")
    with pytest.raises(CredentialError, match="at most 64 characters"):
        create_access_token(name="x" * 65, actor="cli")
    assert list(WriteKey.objects.values_list("name", flat=True)) == ["web"]


NAME_RULE = "A name may hold only letters, digits, spaces, '-', '_' and '.'."


def test_names_are_unique_regardless_of_case():
    create_write_key(name="ui-source", actor="cli")
    create_access_token(name="UI-SOURCE", actor="cli")  # another kind: allowed

    with pytest.raises(CredentialError) as refused:
        create_write_key(name="UI-SOURCE", actor="cli")

    assert str(refused.value) == "A write key named 'ui-source' already exists."
    assert list(WriteKey.objects.values_list("name", flat=True)) == ["ui-source"]


def test_the_database_refuses_names_differing_only_by_case():
    create_write_key(name="web", actor="cli")

    with pytest.raises(IntegrityError), transaction.atomic():
        WriteKey.objects.create(name="WEB", prefix="wk_x", secret_hash="0" * 64)
    assert WriteKey.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["a\x01b", "tab\there", "line\nbreak", "a/b", "café", "a\u200bb", "<b>"]
)
def test_names_refuse_control_and_other_characters(name):
    with pytest.raises(CredentialError) as refused:
        create_write_key(name=name, actor="cli")

    assert str(refused.value) == NAME_RULE
    assert not WriteKey.objects.exists()
    assert not AuditEntry.objects.exists()


def test_names_take_letters_digits_spaces_dashes_underscores_and_dots():
    write_key, _ = create_write_key(name="  Web shop_2.eu-west ", actor="cli")

    assert write_key.name == "Web shop_2.eu-west"


def test_a_revoked_name_cannot_be_reused():
    create_write_key(name="web", actor="cli")
    revoke_write_key(name="web", actor="cli")

    with pytest.raises(CredentialError) as refused:
        create_write_key(name="Web", actor="cli")

    assert str(refused.value) == (
        "A revoked write key already has this name; choose another name."
    )
    assert WriteKey.objects.count() == 1


def test_revoking_stops_the_key_and_is_audited_once():
    _, secret = create_write_key(name="web", actor="cli")

    revoke_write_key(name="web", actor="cli")
    revoke_write_key(name="web", actor="cli")

    assert authenticate_write_key(secret=secret) is None
    assert list(AuditEntry.objects.values_list("action", "target_type", "target")) == [
        ("write_key.revoke", "write_key", "web"),
        ("write_key.create", "write_key", "web"),
    ]
    with pytest.raises(CredentialError, match="There is no write key named 'app'."):
        revoke_write_key(name="app", actor="cli")


def test_use_is_recorded(send, write_key):
    send("/v1/track", {"userId": "u1", "event": "Tap"})

    assert WriteKey.objects.get().last_used_at is not None


def test_create_write_key_prints_the_key_alone_on_its_last_line(capsys):
    call_command("create_write_key", "web")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Write key 'web' created. It is shown this once; store it now:"
    assert authenticate_write_key(secret=lines[-1]).name == "web"


def test_create_access_token_prints_the_token_alone_on_its_last_line(capsys):
    call_command("create_access_token", "flex")

    token = capsys.readouterr().out.splitlines()[-1]
    assert authenticate_access_token(secret=token).name == "flex"
    assert AuditEntry.objects.get().actor_label == "cli"


def test_revoke_commands(capsys):
    call_command("create_write_key", "web")
    call_command("create_access_token", "flex")
    key, token = (line for line in capsys.readouterr().out.splitlines()[1::2])

    call_command("revoke_write_key", "web")
    call_command("revoke_access_token", "flex")

    assert capsys.readouterr().out.splitlines() == [
        "Write key 'web' is revoked.",
        "Access token 'flex' is revoked.",
    ]
    assert authenticate_write_key(secret=key) is None
    assert authenticate_access_token(secret=token) is None


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["revoke_write_key", "nope"], "There is no write key named 'nope'."),
        (["revoke_access_token", "nope"], "There is no access token named 'nope'."),
        (["create_write_key", " "], "A name is required."),
        (["create_write_key", "a\x01b"], re.escape(NAME_RULE)),
        (["create_access_token", "x" * 65], "A name is at most 64 characters."),
    ],
)
def test_commands_refuse_with_a_clear_error(command, message):
    with pytest.raises(CommandError, match=message):
        call_command(*command)


# The console page.


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("admin", password="x")
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client):
    user = User.objects.create_user("viewer", password="x")
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_writekey", "view_accesstoken"])
    )
    client.force_login(user)
    return client


def test_the_page_needs_a_login(client):
    response = client.get("/credentials/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/credentials/"


def test_the_page_needs_the_view_permissions(client):
    client.force_login(User.objects.create_user("nobody", password="x"))

    assert client.get("/credentials/").status_code == 403


def test_creating_redirects_and_shows_the_secret_once(admin_client):
    response = admin_client.post("/credentials/write-keys/", {"name": "web"})
    shown = admin_client.get("/credentials/")
    reloaded = admin_client.get("/credentials/")

    write_key = WriteKey.objects.get()
    secret = shown.context["secret"]
    assert response.status_code == 302
    assert response["Location"] == "/credentials/"
    assert secret not in response["Location"]
    assert authenticate_write_key(secret=secret) == write_key
    assert f'value="{secret}"' in shown.content.decode()
    assert "New write key “web”" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert secret not in reloaded.content.decode()
    assert "credentials.new_secret" not in admin_client.session
    assert AuditEntry.objects.get().actor_label == "admin"


def test_creating_a_token_and_refusing_a_taken_name(admin_client):
    admin_client.post("/credentials/access-tokens/", {"name": "flex"})

    again = admin_client.post("/credentials/access-tokens/", {"name": "flex"})

    assert again.status_code == 422
    assert (
        '<p class="field-error" id="access-token-error" role="alert">'
        "An access token named &#x27;flex&#x27; already exists.</p>"
    ) in again.content.decode()
    assert AccessToken.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("UI-SOURCE", "A write key named &#x27;ui-source&#x27; already exists."),
        ("a\x01b", NAME_RULE.replace("'", "&#x27;")),
        ("old", "A revoked write key already has this name; choose another name."),
    ],
)
def test_the_page_refuses_a_bad_or_taken_name_with_a_form_error(
    admin_client, name, error
):
    create_write_key(name="ui-source", actor="cli")
    create_write_key(name="old", actor="cli")
    revoke_write_key(name="old", actor="cli")
    before = list(WriteKey.objects.values_list("name", "revoked_at"))

    response = admin_client.post("/credentials/write-keys/", {"name": name})

    assert response.status_code == 422
    assert (
        f'<p class="field-error" id="write-key-error" role="alert">{error}</p>'
    ) in response.content.decode()
    assert list(WriteKey.objects.values_list("name", "revoked_at")) == before


def test_revoking_from_the_page(admin_client):
    write_key, secret = create_write_key(name="web", actor="cli")

    response = admin_client.post(f"/credentials/write-keys/{write_key.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/credentials/"
    assert authenticate_write_key(secret=secret) is None
    page = admin_client.get("/credentials/").content.decode()
    assert "Write key web is revoked." in page
    assert "Revoked " in page


def test_a_viewer_sees_the_list_but_cannot_create_or_revoke(viewer_client):
    token, secret = create_access_token(name="flex", actor="cli")

    page = viewer_client.get("/credentials/").content.decode()
    create = viewer_client.post("/credentials/access-tokens/", {"name": "x"})
    revoke = viewer_client.post(f"/credentials/access-tokens/{token.pk}/revoke/")

    assert "flex" in page
    assert token.prefix in page
    assert "Create access token" not in page
    assert ">Revoke<" not in page
    assert create.status_code == revoke.status_code == 403
    assert AccessToken.objects.count() == 1
    assert authenticate_access_token(secret=secret) == token
