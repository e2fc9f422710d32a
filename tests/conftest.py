from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# calls in the same thread are safe there because nothing else uses the loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DB_FIXTURES = {"db", "transactional_db", "live_server"}
DEFAULT_SETTINGS = importlib.import_module("profiles.migrations.0002_default_settings")


def pytest_collection_modifyitems(config, items):
    no_browser = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}")
    not_postgres = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
    for item in items:
        if "e2e" in item.keywords and not Path(CHROMIUM).exists():
            item.add_marker(no_browser)
        if "postgres_only" in item.keywords and not on_postgres:
            item.add_marker(not_postgres)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture
def db_vendor() -> str:
    return connection.vendor


@pytest.fixture(autouse=True)
def _migration_defaults(request):
    """Put back the data migration's identifiers, address types and blocked
    values when an earlier transactional test flushed them.

    Serialized rollback cannot be relied on: once Playwright's event loop runs,
    Django hands the test another connection object, without the snapshot.
    """
    uses_db = request.node.get_closest_marker("django_db") or (
        DB_FIXTURES & set(request.fixturenames)
    )
    if not uses_db:
        return

    # After pytest-django has opened the test's transaction or restored its
    # serialized rows, so that nothing here collides with them.
    request.getfixturevalue("_django_db_helper")
    Identifier = apps.get_model("profiles", "Identifier")
    if not Identifier.objects.exists():
        DEFAULT_SETTINGS.create_defaults(apps, None)
