"""The Profiles search page: F08 and F10 inputs, the recent list, htmx."""

from __future__ import annotations

import pytest
from django.test import Client

from profiles.identifiers import rename_identifier
from profiles.models import ExternalId, Identifier, Profile
from tests.console_profiles.conftest import section
from tests.engine.conftest import holder

pytestmark = pytest.mark.django_db


def uids(response) -> list[str]:
    return [row.profile.uid for row in response.context["rows"]]


@pytest.fixture
def pia(feed) -> Profile:
    """F08: an anonymous page view, then the identify that links it."""
    feed({"type": "track", "anonymousId": "a-pia", "event": "Pricing Viewed"})
    feed(
        {
            "type": "identify",
            "userId": "u-pia",
            "anonymousId": "a-pia",
            "traits": {"email": "Pia@Example.test"},
        }
    )
    return holder("user_id:u-pia")


@pytest.fixture
def tao(feed) -> Profile:
    """F10: a phone given in national format."""
    feed({"type": "identify", "userId": "u-tao", "traits": {"phone": "(202) 555-0143"}})
    return holder("user_id:u-tao")


def test_anonymous_is_sent_to_login(client: Client):
    response = client.get("/profiles/", {"q": "u-pia"})

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/profiles/%3Fq%3Du-pia"


def test_f08_email_search_finds_the_one_stitched_profile(viewer_client, pia, tao):
    for identifier in ("", "email"):
        response = viewer_client.get(
            "/profiles/", {"identifier": identifier, "q": "pia@example.test"}
        )

        assert response.status_code == 200
        assert uids(response) == [pia.uid]
        row = response.context["rows"][0]
        assert (row.match.identifier.key, row.match.value) == (
            "email",
            "pia@example.test",
        )
        assert row.event_count == 2


@pytest.mark.parametrize(
    "typed", ["202-555-0143", "2025550143", "+1 (202) 555 0143", "tel:+12025550143"]
)
@pytest.mark.parametrize("identifier", ["", "phone"])
def test_f10_phone_search_in_any_format(viewer_client, pia, tao, typed, identifier):
    response = viewer_client.get("/profiles/", {"identifier": identifier, "q": typed})

    assert uids(response) == [tao.uid]
    row = response.context["rows"][0]
    assert (row.match.identifier.key, row.match.value) == ("phone", "+12025550143")


def test_result_row_markup(viewer_client, tao):
    response = viewer_client.get("/profiles/", {"q": "2025550143"})

    updated = tao.updated_at
    assert section(response.content.decode(), f"profile-{tao.uid}") == (
        f'<tr id="profile-{tao.uid}">'
        f'<th scope="row"><a href="/profiles/{tao.uid}/"><code>{tao.uid}</code></a>'
        '</th><td><ul class="identifier-summary">'
        '<li><span class="identifier-name">user_id</span> u-tao</li>'
        '<li><span class="identifier-name">phone</span> +12025550143</li>'
        "</ul></td><td>phone +12025550143</td>"
        '<td class="count">1</td>'
        f'<td><time datetime="{updated.isoformat()}">'
        f"{updated:%Y-%m-%d %H:%M} UTC</time></td></tr>"
    )


def test_rows_show_display_names_in_priority_order_and_the_rest_as_a_count(
    viewer_client, feed, agent
):
    rename_identifier(
        identifier=Identifier.objects.get(key="email"),
        display_name="Email address",
        actor=agent,
    )
    feed(
        {
            "type": "identify",
            "userId": "u-ivy",
            "anonymousId": "a-ivy",
            "traits": {"email": "ivy@example.test", "phone": "+14155550123"},
        }
    )

    response = viewer_client.get("/profiles/", {"q": "u-ivy"})

    row = response.context["rows"][0]
    shown = [(e.identifier.display_name, e.value) for e in row.identifiers]
    assert shown == [
        ("user_id", "u-ivy"),
        ("Email address", "ivy@example.test"),
        ("phone", "+14155550123"),
    ]
    assert row.more_identifiers == 1
    assert '<li class="more">and 1 more</li>' in response.content.decode()


def test_a_value_invalid_for_the_chosen_identifier_says_why(viewer_client, tao):
    response = viewer_client.get("/profiles/", {"identifier": "phone", "q": "12345"})

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert (
        section(response.content.decode(), "profile-results").count(
            '<p class="field-error" role="alert">Not a valid phone number '
            "(default region US).</p>"
        )
        == 1
    )


def test_an_unknown_identifier_says_so(viewer_client, tao):
    response = viewer_client.get("/profiles/", {"identifier": "shoe", "q": "42"})

    assert response.context["error"] == "There is no identifier “shoe”."


def test_no_match_says_so_and_creates_nothing(viewer_client, tao):
    before = (Profile.objects.count(), ExternalId.objects.count())

    for identifier in ("", "phone", "email", "user_id"):
        typed = "nobody@example.test" if identifier != "phone" else "2025550199"
        response = viewer_client.get(
            "/profiles/", {"identifier": identifier, "q": typed}
        )
        assert response.context["rows"] == []
        assert "No profile holds this value." in response.content.decode()

    assert (Profile.objects.count(), ExternalId.objects.count()) == before


def test_any_identifier_also_matches_a_profile_id_even_merged_away(viewer_client, feed):
    feed({"type": "identify", "anonymousId": "a-1", "traits": {"email": "j@x.test"}})
    feed({"type": "identify", "userId": "u-1"})
    older, newer = holder("anonymous_id:a-1"), holder("user_id:u-1")
    feed({"type": "identify", "userId": "u-1", "anonymousId": "a-1"})

    response = viewer_client.get("/profiles/", {"q": newer.uid})

    assert uids(response) == [older.uid]
    assert response.context["rows"][0].match.identifier is None
    assert "<td>profile id</td>" in response.content.decode()


def test_without_a_query_the_latest_updated_profiles_page_by_25(viewer_client, feed):
    for n in range(27):
        feed({"type": "identify", "userId": f"u-{n:02}"})
    profiles = list(Profile.objects.order_by("-updated_at", "-pk"))

    first = viewer_client.get("/profiles/")
    second = viewer_client.get("/profiles/", {"page": 2})

    assert uids(first) == [p.uid for p in profiles[:25]]
    assert uids(second) == [p.uid for p in profiles[25:]]
    assert uids(second) == [holder("user_id:u-01").uid, holder("user_id:u-00").uid]
    assert "Page 2 of 2 (27 profiles)" in second.content.decode()
    assert viewer_client.get("/profiles/", {"page": "x"}).status_code == 200


def test_merged_profiles_are_not_listed(viewer_client, feed):
    feed({"type": "identify", "anonymousId": "a-1"})
    feed({"type": "identify", "userId": "u-1"})
    feed({"type": "identify", "userId": "u-1", "anonymousId": "a-1"})

    response = viewer_client.get("/profiles/")

    assert uids(response) == [holder("user_id:u-1").uid]


def test_htmx_search_answers_with_the_results_section_only(viewer_client, tao):
    page = viewer_client.get("/profiles/", {"q": "2025550143"})
    swap = viewer_client.get(
        "/profiles/", {"q": "2025550143"}, headers={"HX-Request": "true"}
    )

    assert swap.status_code == 200
    assert [t.name for t in swap.templates] == ["console/profiles/_results.html"]
    html = swap.content.decode()
    assert html.lstrip().startswith('<section id="profile-results"')
    assert section(html, "profile-results") == section(
        page.content.decode(), "profile-results"
    )
    assert "HX-Request" in swap["Vary"]


def test_htmx_history_restore_gets_the_whole_page(viewer_client, tao):
    response = viewer_client.get(
        "/profiles/",
        {"q": "2025550143"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "console/profiles/index.html" in [t.name for t in response.templates]


def test_search_form_keeps_the_query_and_lists_identifiers_by_display_name(
    viewer_client, tao
):
    response = viewer_client.get("/profiles/", {"identifier": "phone", "q": "x y"})

    html = section(response.content.decode(), "search-identifier")
    assert html.startswith(
        '<select id="search-identifier" name="identifier">'
        '<option value="">Any identifier</option>'
        '<option value="user_id">user_id (user_id)</option>'
        '<option value="email">email (email)</option>'
        '<option value="phone" selected>phone (phone)</option>'
    )
    assert 'name="q" type="search" value="x y"' in response.content.decode()
    assert response.context["error"] == "Not a phone number."


def test_f08_the_card_found_shows_the_anonymous_event_before_the_identify(
    viewer_client, pia
):
    found = viewer_client.get("/profiles/", {"q": "PIA@example.test"})
    card = viewer_client.get(f"/profiles/{uids(found)[0]}/")

    events = [(r["event"].type, r["event"].name) for r in card.context["event_rows"]]
    assert events == [("identify", ""), ("track", "Pricing Viewed")]
    assert section(card.content.decode(), "identifier-email") == (
        '<tbody id="identifier-email"><tr><th scope="rowgroup" rowspan="1">email</th>'
        '<td><code>pia@example.test</code></td><td><time datetime="2024-01-01T00:01:'
        '00+00:00">2024-01-01 00:01 UTC</time></td></tr></tbody>'
    )
