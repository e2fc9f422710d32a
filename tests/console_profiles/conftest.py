from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

# Shared with the engine's and the Identifiers tab's tests: the scenario feed
# and the whitespace-insensitive HTML comparison.
from tests.console.conftest import logged_in, squash, staff_user
from tests.engine.conftest import Feed

PASSWORD = "s3cret-pass"


def section(html: str, element_id: str) -> str:
    """The squashed markup of the element with this id, to its own closing
    tag (nested elements of the same name are counted)."""
    html = squash(html)
    start = html.rindex("<", 0, html.index(f'id="{element_id}"'))
    tag = re.match(r"<(\w+)", html[start:]).group(1)
    depth = 0
    for found in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return html[start : start + found.end()]
    raise AssertionError(f"#{element_id} is not closed")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def feed(db) -> Feed:
    return Feed()


@pytest.fixture
def agent(db) -> User:
    """May read and change profiles."""
    return staff_user("agent", "profiles.view_profile", "profiles.change_profile")


@pytest.fixture
def viewer(db) -> User:
    """May read profiles, and change nothing."""
    return staff_user("viewer", "profiles.view_profile")


@pytest.fixture
def stranger_client(db) -> Client:
    """Logged in as staff, without the permission to read profiles."""
    return logged_in(staff_user("stranger"))


@pytest.fixture
def agent_client(agent) -> Client:
    return logged_in(agent)


@pytest.fixture
def viewer_client(viewer) -> Client:
    return logged_in(viewer)
