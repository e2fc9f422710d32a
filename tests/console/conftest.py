from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission, User
from django.test import Client

from profiles.models import Identifier

DEFAULT_SETTINGS = importlib.import_module("profiles.migrations.0002_default_settings")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def squash(html: str) -> str:
    """HTML with runs of whitespace folded and CSRF tokens blanked, so that
    tests can compare the real markup without depending on indentation."""
    html = CSRF_INPUT.sub('name="csrfmiddlewaretoken" value="CSRF"', html)
    html = re.sub(r"\s+", " ", html)
    return re.sub(r">\s+<", "><", html).strip()


def staff_user(username: str, *perms: str) -> User:
    """A staff user holding exactly `perms` ("app_label.codename")."""
    user = User.objects.create_user(username, password="s3cret-pass", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def editor(db) -> User:
    return staff_user(
        "editor", "profiles.change_identifier", "profiles.change_addresstype"
    )


@pytest.fixture
def viewer(db) -> User:
    return staff_user("viewer")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor) -> Client:
    return logged_in(editor)


@pytest.fixture
def viewer_client(viewer) -> Client:
    return logged_in(viewer)


@pytest.fixture
def default_settings(transactional_db) -> None:
    """A transactional test database is flushed after each test, migration
    data included; put the defaults back. (Serialized rollback does not help
    the browser tests: the snapshot sits on a connection object that
    Playwright's test context does not see.)"""
    if not Identifier.objects.exists():
        DEFAULT_SETTINGS.create_defaults(apps, None)
