from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# calls in the same thread are safe there because nothing else uses the loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


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
