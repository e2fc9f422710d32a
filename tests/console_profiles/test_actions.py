"""The card's actions: add and remove an identifier, merge, delete.

Each is a plain form post that redirects back with a message, refuses bad
input with the reason beside its form (422) and is harmless when repeated.
"""

from __future__ import annotations

import pytest
from django.test import Client

from profiles.models import AuditEntry, Event, ExternalId, Merge, Profile
from tests.console_profiles.conftest import messages_of, section
from tests.engine.conftest import holder, identifiers_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def p1(feed) -> Profile:
    feed({"type": "identify", "userId": "u-mia", "traits": {"plan": "pro"}})
    return holder("user_id:u-mia")


@pytest.fixture
def p2(feed, p1) -> Profile:
    feed({"type": "identify", "anonymousId": "a-mia", "traits": {"email": "m@x.test"}})
    return holder("anonymous_id:a-mia")


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def post(client: Client, url: str, data: dict | None = None, **kwargs):
    return client.post(url, data or {}, **kwargs)


# Permissions.

ACTIONS = [
    ("identifiers/add/", {"identifier": "email", "value": "x@x.test"}),
    ("identifiers/remove/", {"identifier": "user_id", "value": "u-mia"}),
    ("merge/", {"other": "u"}),
    ("delete/confirmed/", {}),
]


@pytest.mark.parametrize(("path", "data"), ACTIONS)
def test_a_reader_cannot_post_an_action(viewer_client, p1, p2, path, data):
    before = (identifiers_of(p1), Profile.objects.count(), audit_actions())

    response = post(viewer_client, f"/profiles/{p1.uid}/{path}", data)

    assert response.status_code == 403
    assert (identifiers_of(p1), Profile.objects.count(), audit_actions()) == before


@pytest.mark.parametrize(("path", "data"), ACTIONS)
def test_anonymous_posts_go_to_login(client, p1, path, data):
    response = post(client, f"/profiles/{p1.uid}/{path}", data)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert Profile.objects.filter(pk=p1.pk).exists()


def test_a_reader_cannot_open_the_delete_confirmation(viewer_client, p1):
    assert viewer_client.get(f"/profiles/{p1.uid}/delete/").status_code == 403


def test_actions_refuse_get(agent_client, p1):
    for path, _ in ACTIONS:
        assert agent_client.get(f"/profiles/{p1.uid}/{path}").status_code == 405


# Add identifier.


def test_add_identifier_normalises_and_redirects_with_a_message(agent_client, p1):
    response = post(
        agent_client,
        f"/profiles/{p1.uid}/identifiers/add/",
        {"identifier": "phone", "value": "(202) 555-0143"},
        follow=True,
    )

    assert response.redirect_chain == [(f"/profiles/{p1.uid}/", 302)]
    assert messages_of(response) == ["Added phone +12025550143."]
    assert identifiers_of(p1) == {"user_id:u-mia", "phone:+12025550143"}
    row = ExternalId.objects.get(value="+12025550143")
    assert row.source == "console"
    entry = AuditEntry.objects.get(action="profile.add_identifier")
    assert (entry.actor_label, entry.target) == ("agent", p1.uid)
    assert entry.after == {"identifier": "phone", "external_id": row.pk}


def test_f12_adding_twice_says_already_present(agent_client, p1):
    url = f"/profiles/{p1.uid}/identifiers/add/"
    data = {"identifier": "email", "value": "X@Example.test"}
    post(agent_client, url, data, follow=True)

    response = post(agent_client, url, data, follow=True)

    assert messages_of(response) == [
        "email x@example.test is already present on this profile."
    ]
    assert ExternalId.objects.filter(value="x@example.test").count() == 1
    assert audit_actions() == ["profile.add_identifier"]


def test_f09_an_invalid_phone_is_a_form_error_and_saves_nothing(agent_client, p1):
    response = post(
        agent_client,
        f"/profiles/{p1.uid}/identifiers/add/",
        {"identifier": "phone", "value": "03432640000"},
    )

    assert response.status_code == 422
    assert section(response.content.decode(), "add-identifier-error") == (
        '<p class="field-error" id="add-identifier-error" role="alert">'
        "Not a valid phone number (default region US).</p>"
    )
    assert 'name="value" value="03432640000"' in response.content.decode()
    assert '<option value="phone" selected>' in response.content.decode()
    assert identifiers_of(p1) == {"user_id:u-mia"}
    assert audit_actions() == []


def test_a_value_held_by_another_profile_is_refused_with_a_link(agent_client, p1, p2):
    response = post(
        agent_client,
        f"/profiles/{p1.uid}/identifiers/add/",
        {"identifier": "email", "value": "M@X.test"},
    )

    assert response.status_code == 422
    assert section(response.content.decode(), "add-identifier-error") == (
        '<p class="field-error" id="add-identifier-error" role="alert">'
        "Another profile holds this identifier; merge the profiles instead. "
        f'<a href="/profiles/{p2.uid}/">Open profile {p2.uid}</a></p>'
    )
    assert identifiers_of(p1) == {"user_id:u-mia"}


def test_over_the_limit_is_refused_with_the_reason(agent_client, p1):
    response = post(
        agent_client,
        f"/profiles/{p1.uid}/identifiers/add/",
        {"identifier": "user_id", "value": "u-other"},
    )

    assert response.status_code == 422
    assert response.context["add_error"] == (
        "Refused: it would break the identifier limit of user_id (limit 1)."
    )
    assert identifiers_of(p1) == {"user_id:u-mia"}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"identifier": "email", "value": "  "}, "Enter a value to add."),
        ({"identifier": "email", "value": "not-an-email"}, None),
        ({"identifier": "user_id", "value": "undefined"}, None),
        ({"identifier": "shoe", "value": "42"}, "There is no identifier 'shoe'."),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(agent_client, p1, data, error):
    response = post(agent_client, f"/profiles/{p1.uid}/identifiers/add/", data)

    assert response.status_code == 422
    if error:
        assert response.context["add_error"] == error
    else:
        assert response.context["add_error"]
    assert identifiers_of(p1) == {"user_id:u-mia"}
    assert audit_actions() == []


def test_blocked_value_reason(agent_client, p1):
    response = post(
        agent_client,
        f"/profiles/{p1.uid}/identifiers/add/",
        {"identifier": "anonymous_id", "value": "undefined"},
    )

    assert response.context["add_error"] == (
        "This value is blocked and cannot be an identifier."
    )


# Remove identifier.


def test_remove_identifier_and_again(agent_client, p1, p2):
    post(agent_client, f"/profiles/{p1.uid}/merge/", {"other": p2.uid}, follow=True)
    url = f"/profiles/{p1.uid}/identifiers/remove/"
    data = {"identifier": "email", "value": "m@x.test"}

    first = post(agent_client, url, data, follow=True)
    second = post(agent_client, url, data, follow=True)

    assert messages_of(first) == ["Removed email m@x.test."]
    assert messages_of(second) == [
        "email m@x.test is not on this profile (already removed?)."
    ]
    assert identifiers_of(p1) == {"user_id:u-mia", "anonymous_id:a-mia"}
    assert audit_actions() == ["profile.merge", "profile.remove_identifier"]


def test_the_last_user_id_is_not_removed(agent_client, p1):
    response = post(
        agent_client,
        f"/profiles/{p1.uid}/identifiers/remove/",
        {"identifier": "user_id", "value": "u-mia"},
        follow=True,
    )

    assert response.redirect_chain == [(f"/profiles/{p1.uid}/", 302)]
    assert messages_of(response) == ["The last user_id of a profile cannot be removed."]
    assert identifiers_of(p1) == {"user_id:u-mia"}


# Merge.


def test_merge_another_profile_into_this_one(agent_client, p1, p2):
    response = post(
        agent_client, f"/profiles/{p1.uid}/merge/", {"other": p2.uid}, follow=True
    )

    assert response.redirect_chain == [(f"/profiles/{p1.uid}/", 302)]
    assert messages_of(response) == [f"Merged {p2.uid} into this profile."]
    assert identifiers_of(p1) == {
        "user_id:u-mia",
        "anonymous_id:a-mia",
        "email:m@x.test",
    }
    merge = Merge.objects.get()
    assert (merge.survivor, merge.merged, merge.kind, merge.actor.username) == (
        p1,
        p2,
        "manual",
        "agent",
    )


def test_merge_by_an_identifier_reference(agent_client, p1, p2):
    post(
        agent_client,
        f"/profiles/{p1.uid}/merge/",
        {"other": "email:M@x.test"},
        follow=True,
    )

    assert Profile.objects.get(pk=p2.pk).merged_into == p1


def test_f12_merging_twice_says_already_merged(agent_client, p1, p2):
    url = f"/profiles/{p1.uid}/merge/"
    post(agent_client, url, {"other": p2.uid}, follow=True)

    response = post(agent_client, url, {"other": p2.uid}, follow=True)

    assert response.redirect_chain == [(f"/profiles/{p1.uid}/", 302)]
    assert messages_of(response) == [
        f"Already merged: {p1.uid} and {p2.uid} are both profile {p1.uid}."
    ]
    assert Merge.objects.count() == 1
    assert audit_actions() == ["profile.merge"]


def test_f06_the_losing_opposite_merge_shows_already_merged(agent_client, p1, p2):
    post(agent_client, f"/profiles/{p1.uid}/merge/", {"other": p2.uid}, follow=True)

    # Admin 2 had P2's card open and merges P1 into it.
    response = post(
        agent_client, f"/profiles/{p2.uid}/merge/", {"other": p1.uid}, follow=True
    )

    assert response.redirect_chain == [(f"/profiles/{p1.uid}/", 302)]
    assert messages_of(response) == [
        f"Already merged: {p2.uid} and {p1.uid} are both profile {p1.uid}."
    ]
    assert Merge.objects.count() == 1
    assert Profile.objects.filter(merged_into__isnull=True).count() == 1


def test_a_merge_that_breaks_a_limit_is_refused_with_the_reason(agent_client, feed, p1):
    feed({"type": "identify", "userId": "u-other"})
    other = holder("user_id:u-other")

    response = post(agent_client, f"/profiles/{p1.uid}/merge/", {"other": other.uid})

    assert response.status_code == 422
    assert section(response.content.decode(), "merge-error") == (
        '<p class="field-error" id="merge-error" role="alert">Refused: it would '
        "break the identifier limit of user_id (limit 1) on one profile.</p>"
    )
    assert f'name="other" value="{other.uid}"' in response.content.decode()
    assert Merge.objects.count() == 0


@pytest.mark.parametrize(
    ("other", "error"),
    [
        ("", "Enter the id of the profile to merge into this one."),
        ("use_nope", "There is no profile use_nope."),
        ("email:nobody@x.test", "There is no profile email:nobody@x.test."),
    ],
)
def test_merge_with_no_such_profile_is_refused(agent_client, p1, other, error):
    response = post(agent_client, f"/profiles/{p1.uid}/merge/", {"other": other})

    assert response.status_code == 422
    assert response.context["merge_error"] == error
    assert Merge.objects.count() == 0


def test_merging_a_profile_into_itself_is_already_merged(agent_client, p1):
    response = post(
        agent_client, f"/profiles/{p1.uid}/merge/", {"other": p1.uid}, follow=True
    )

    assert messages_of(response) == [
        f"Already merged: {p1.uid} and {p1.uid} are both profile {p1.uid}."
    ]
    assert audit_actions() == []


# Delete.


def test_delete_asks_for_confirmation_first(agent_client, p1, p2):
    post(agent_client, f"/profiles/{p1.uid}/merge/", {"other": p2.uid}, follow=True)

    response = agent_client.get(f"/profiles/{p1.uid}/delete/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "its 3 identifiers and 2 events" in " ".join(html.split())
    assert f"the 1 profile merged into it (<code>{p2.uid}</code>)" in " ".join(
        html.split()
    )
    assert f'action="/profiles/{p1.uid}/delete/confirmed/"' in html
    assert Profile.objects.count() == 2


def test_delete_erases_the_profile_and_a_repeat_is_harmless(agent_client, p1, p2):
    url = f"/profiles/{p1.uid}/delete/confirmed/"

    first = post(agent_client, url, follow=True)
    second = post(agent_client, url, follow=True)

    assert first.redirect_chain == [("/profiles/", 302)]
    assert messages_of(first) == [
        f"Deleted profile {p1.uid} with 1 identifiers and 1 events."
    ]
    assert messages_of(second) == [
        f"Profile {p1.uid} no longer exists (already deleted?)."
    ]
    assert not Profile.objects.filter(pk=p1.pk).exists()
    assert not Event.objects.filter(profile_id=p1.pk).exists()
    assert identifiers_of(p2) == {"anonymous_id:a-mia", "email:m@x.test"}
    entry = AuditEntry.objects.get(action="profile.delete")
    assert "u-mia" not in str(entry.before)
    assert agent_client.get(f"/profiles/{p1.uid}/").status_code == 404


def test_delete_through_a_merged_away_id_is_refused(agent_client, p1, p2):
    post(agent_client, f"/profiles/{p1.uid}/merge/", {"other": p2.uid}, follow=True)

    response = post(agent_client, f"/profiles/{p2.uid}/delete/confirmed/", follow=True)

    assert response.redirect_chain == [(f"/profiles/{p1.uid}/", 302)]
    assert messages_of(response) == [
        f"Profile {p2.uid} was merged into {p1.uid}; check that profile before "
        "deleting it."
    ]
    assert Profile.objects.count() == 2


def test_actions_on_a_deleted_profile_never_fail(agent_client, p1, p2):
    post(agent_client, f"/profiles/{p1.uid}/delete/confirmed/", follow=True)

    for path, data in ACTIONS:
        response = post(agent_client, f"/profiles/{p1.uid}/{path}", data, follow=True)
        assert response.redirect_chain == [("/profiles/", 302)]
        assert messages_of(response) == [
            f"Profile {p1.uid} no longer exists (already deleted?)."
        ]
    assert agent_client.get(f"/profiles/{p1.uid}/delete/").status_code == 404


# Input PostgreSQL cannot hold.


NUL_REQUESTS = [
    ("get", "/profiles/", {"q": "a\x00b"}),
    ("get", "/profiles/", {"identifier": "\x00", "q": "u-mia"}),
    ("get", "/profiles/use_\x00/", {}),
    ("get", "/profiles/{uid}/", {"events": "\x00"}),
    ("post", "/profiles/{uid}/identifiers/add/", {"value": "a\x00@x.test"}),
    ("post", "/profiles/{uid}/identifiers/remove/", {"value": "\x00"}),
    ("post", "/profiles/{uid}/merge/", {"other": "use_\x00"}),
    ("post", "/profiles/use_\x00/delete/confirmed/", {}),
]


@pytest.mark.parametrize(("method", "path", "data"), NUL_REQUESTS)
def test_a_nul_character_is_a_400_and_changes_nothing(
    agent_client, p1, method, path, data
):
    before = (identifiers_of(p1), Profile.objects.count(), audit_actions())

    response = getattr(agent_client, method)(path.format(uid=p1.uid), data)

    # console.middleware refuses it before the view runs.
    assert response.status_code == 400
    assert (
        '<p class="hint">The request holds a NUL character (%00), which no '
        "field accepts. Nothing was changed.</p>"
    ) in response.content.decode()
    assert (identifiers_of(p1), Profile.objects.count(), audit_actions()) == before
