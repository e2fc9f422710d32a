"""The profile card: identifiers, traits, events, merges; redirects, 404."""

from __future__ import annotations

import pytest
from django.test import Client

from profiles.identifiers import rename_identifier
from profiles.merge import merge_profiles
from profiles.models import Identifier, Profile
from tests.console_profiles.conftest import messages_of, section, squash
from tests.engine.conftest import holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def noa(feed, agent) -> Profile:
    """F07: nested traits merged key by key; an anonymous page view first;
    then a client that sends "undefined" as an anonymous id."""
    rename_identifier(
        identifier=Identifier.objects.get(key="email"),
        display_name="Email address",
        actor=agent,
    )
    rename_identifier(
        identifier=Identifier.objects.get(key="user_id"),
        display_name="User ID",
        actor=agent,
    )
    feed({"type": "page", "anonymousId": "a-noa", "name": "Pricing"})
    feed(
        {
            "type": "identify",
            "userId": "u-noa",
            "traits": {
                "plan": "pro",
                "address": {"city": "Springfield"},
                "vip": True,
                "tags": ["a", "b"],
                "nickname": "",
            },
        }
    )
    feed(
        {
            "type": "identify",
            "anonymousId": "a-noa",
            "traits": {"address": {"postal_code": "00001"}, "email": "N@X.test"},
        }
    )
    feed({"type": "identify", "userId": "u-noa", "anonymousId": "a-noa"})
    feed(
        {"type": "track", "userId": "u-noa", "anonymousId": "undefined", "event": "Buy"}
    )
    return holder("user_id:u-noa")


def test_anonymous_is_sent_to_login(client: Client, noa):
    response = client.get(f"/profiles/{noa.uid}/")

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/profiles/{noa.uid}/"


def test_identifiers_by_display_name_in_priority_order(viewer_client, noa):
    response = viewer_client.get(f"/profiles/{noa.uid}/")

    table = squash(response.content.decode())
    start = table.index('<table class="settings profile-identifiers">')
    table = table[start : table.index("</table>", start) + len("</table>")]
    assert table == (
        '<table class="settings profile-identifiers"><thead><tr>'
        '<th scope="col">Identifier</th><th scope="col">Value</th>'
        '<th scope="col">First seen</th></tr></thead>'
        '<tbody id="identifier-user_id"><tr>'
        '<th scope="rowgroup" rowspan="1">User ID</th><td><code>u-noa</code></td>'
        '<td><time datetime="2024-01-01T00:01:00+00:00">2024-01-01 00:01 UTC</time>'
        "</td></tr></tbody>"
        '<tbody id="identifier-email"><tr>'
        '<th scope="rowgroup" rowspan="1">Email address</th>'
        "<td><code>n@x.test</code></td>"
        '<td><time datetime="2024-01-01T00:02:00+00:00">2024-01-01 00:02 UTC</time>'
        "</td></tr></tbody>"
        '<tbody id="identifier-anonymous_id"><tr>'
        '<th scope="rowgroup" rowspan="1">anonymous_id</th>'
        "<td><code>a-noa</code></td>"
        '<td><time datetime="2024-01-01T00:00:00+00:00">2024-01-01 00:00 UTC</time>'
        "</td></tr></tbody></table>"
    )


def test_several_values_of_one_identifier_share_its_name(viewer_client, feed):
    feed({"type": "identify", "userId": "u-2", "traits": {"email": "b@x.test"}})
    feed({"type": "identify", "userId": "u-2", "traits": {"email": "a@x.test"}})
    profile = holder("user_id:u-2")

    response = viewer_client.get(f"/profiles/{profile.uid}/")

    group = section(response.content.decode(), "identifier-email")
    assert group.startswith(
        '<tbody id="identifier-email"><tr>'
        '<th scope="rowgroup" rowspan="2">email</th><td><code>b@x.test</code></td>'
    )
    assert "<tr><td><code>a@x.test</code></td>" in group


def test_traits_with_nested_objects_one_line_each(viewer_client, noa):
    response = viewer_client.get(f"/profiles/{noa.uid}/")

    html = squash(response.content.decode())
    start = html.index('<table class="settings profile-traits">')
    assert html[start : html.index("</table>", start)] == (
        '<table class="settings profile-traits"><tbody>'
        '<tr><th scope="row">address.city</th><td>Springfield</td></tr>'
        '<tr><th scope="row">address.postal_code</th><td>00001</td></tr>'
        '<tr><th scope="row">email</th><td>N@X.test</td></tr>'
        '<tr><th scope="row">nickname</th><td>&quot;&quot;</td></tr>'
        '<tr><th scope="row">plan</th><td>pro</td></tr>'
        '<tr><th scope="row">tags</th><td>[&quot;a&quot;, &quot;b&quot;]</td></tr>'
        '<tr><th scope="row">vip</th><td>true</td></tr>'
        "</tbody>"
    )


def test_events_newest_first_with_their_warnings(viewer_client, noa):
    response = viewer_client.get(f"/profiles/{noa.uid}/")

    rows = [
        (
            row["event"].timestamp.strftime("%H:%M"),
            row["event"].type,
            row["event"].name,
            row["warnings"],
        )
        for row in response.context["event_rows"]
    ]
    assert rows == [
        ("00:04", "track", "Buy", ["anonymous_id 'undefined' blocked"]),
        ("00:03", "identify", "", []),
        ("00:02", "identify", "", []),
        ("00:01", "identify", "", []),
        ("00:00", "page", "Pricing", []),
    ]
    event = response.context["event_rows"][0]["event"]
    assert section(response.content.decode(), f"event-{event.pk}") == (
        f'<tr id="event-{event.pk}">'
        '<td><time datetime="2024-01-01T00:04:00+00:00">2024-01-01 00:04:00 UTC'
        "</time></td><td>track</td><td>Buy</td>"
        '<td><ul class="event-warnings"><li>anonymous_id &#x27;undefined&#x27; '
        "blocked</li></ul></td></tr>"
    )
    assert "Newest first: 1–5 of 5." in response.content.decode()


def test_events_page_by_50(viewer_client, feed):
    for n in range(51):
        feed({"type": "track", "userId": "u-busy", "event": f"E{n}"})
    profile = holder("user_id:u-busy")

    first = viewer_client.get(f"/profiles/{profile.uid}/")
    second = viewer_client.get(f"/profiles/{profile.uid}/", {"events": 2})

    assert [r["event"].name for r in first.context["event_rows"]][:2] == ["E50", "E49"]
    assert len(first.context["event_rows"]) == 50
    assert [r["event"].name for r in second.context["event_rows"]] == ["E0"]
    assert "Newest first: 51–51 of 51." in second.content.decode()


def test_merges_with_their_reasons(viewer_client, feed, agent):
    feed({"type": "identify", "anonymousId": "a-1", "traits": {"email": "m@x.test"}})
    feed({"type": "identify", "userId": "u-1"})
    survivor, merged = holder("anonymous_id:a-1"), holder("user_id:u-1")
    feed({"type": "identify", "userId": "u-1", "anonymousId": "a-1"})  # t-2
    feed({"type": "identify", "anonymousId": "a-3"})
    third = holder("anonymous_id:a-3")
    merge = merge_profiles(survivor=survivor, other=third, actor=agent)
    cli = merge_profiles(
        survivor=survivor,
        other=feed({"type": "identify", "anonymousId": "a-4"}).profile,
        actor="cli",
    )

    response = viewer_client.get(f"/profiles/{survivor.uid}/")

    when = merge.created_at.strftime("%Y-%m-%d %H:%M UTC")
    cli_when = cli.created_at.strftime("%Y-%m-%d %H:%M UTC")
    texts = [entry["text"] for entry in response.context["merges"]]
    assert texts == [
        f"Merged {cli.merged.uid} into this profile on {cli_when}: manual merge "
        "by cli.",
        f"Merged {third.uid} into this profile on {when}: manual merge by agent.",
        f"Merged {merged.uid} into this profile on "
        f"{response.context['merges'][2]['merge'].created_at:%Y-%m-%d %H:%M} UTC "
        "because event t-2 carried user_id:u-1.",
    ]
    assert f'<li id="merge-{merge.pk}">{texts[1]}</li>' in squash(
        response.content.decode()
    )
    assert (
        f"<dt>Also known as</dt><dd><code>{merged.uid}</code>, "
        f"<code>{third.uid}</code>, <code>{cli.merged.uid}</code></dd>"
    ) in squash(response.content.decode())


def test_a_merged_away_id_redirects_to_its_survivor(viewer_client, feed):
    feed({"type": "identify", "anonymousId": "a-1"})
    feed({"type": "identify", "userId": "u-1"})
    survivor, merged = holder("anonymous_id:a-1"), holder("user_id:u-1")
    feed({"type": "identify", "userId": "u-1", "anonymousId": "a-1"})

    response = viewer_client.get(f"/profiles/{merged.uid}/")

    assert response.status_code == 302
    assert response["Location"] == f"/profiles/{survivor.uid}/"
    followed = viewer_client.get(response["Location"])
    assert messages_of(followed) == [
        f"Profile {merged.uid} was merged into {survivor.uid}."
    ]


def test_an_unknown_id_is_a_404_page(viewer_client):
    response = viewer_client.get("/profiles/use_nope/")

    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "console/profiles/not_found.html"
    assert "There is no profile <code>use_nope</code>." in response.content.decode()


def test_a_reader_sees_no_action(viewer_client, noa):
    html = viewer_client.get(f"/profiles/{noa.uid}/").content.decode()

    assert "You can view this profile but not change it." in html
    for marker in (
        'id="add-identifier"',
        'id="merge-profile"',
        "/identifiers/remove/",
        "/delete/",
        '<form method="post" action="/profiles/',
    ):
        assert marker not in html


def test_an_agent_sees_every_action_but_no_remove_for_the_last_user_id(
    agent_client, noa
):
    html = squash(agent_client.get(f"/profiles/{noa.uid}/").content.decode())

    assert 'id="add-identifier"' in html
    assert 'id="merge-profile"' in html
    assert f'href="/profiles/{noa.uid}/delete/"' in html
    assert html.count("/identifiers/remove/") == 2  # email and anonymous_id
    assert (
        '<td class="actions"><span class="hint">The last user ID stays</span>' in html
    )
    assert "You can view this profile" not in html


def test_profiles_are_not_shown_without_the_view_permission(stranger_client, noa):
    assert stranger_client.get("/profiles/").status_code == 403
    assert stranger_client.get(f"/profiles/{noa.uid}/").status_code == 403
    assert stranger_client.get("/profiles/", {"q": "u-noa"}).status_code == 403
