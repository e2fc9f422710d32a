"""The Profile API (DOMAIN.md section 3, rule 0.13)."""

from __future__ import annotations

import pytest

from profiles.models import Event, Profile

from .conftest import SPACE, basic, holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(send):
    """P(u1): two identifies, three tracks, a group, an anonymous id merged in."""
    send(
        "/v1/batch",
        {
            "batch": [
                {
                    "type": "identify",
                    "userId": "u1",
                    "messageId": "m-1",
                    "timestamp": "2024-01-01T00:00:00Z",
                    "traits": {"email": "Jane@Example.com", "plan": "free"},
                },
                {
                    "type": "track",
                    "anonymousId": "an1",
                    "messageId": "m-2",
                    "timestamp": "2024-01-02T00:00:00Z",
                    "event": "Viewed",
                    "properties": {"page": "/pricing"},
                },
                {
                    "type": "identify",
                    "userId": "u1",
                    "anonymousId": "an1",
                    "messageId": "m-3",
                    "timestamp": "2024-01-03T00:00:00Z",
                    "traits": {"plan": "pro", "phone": "+1 415 555 0123"},
                },
                {
                    "type": "track",
                    "userId": "u1",
                    "messageId": "m-4",
                    "timestamp": "2024-01-04T00:00:00Z",
                    "event": "Paid",
                },
                {
                    "type": "group",
                    "userId": "u1",
                    "groupId": "acme",
                    "messageId": "m-5",
                    "timestamp": "2024-01-05T00:00:00Z",
                },
                {
                    "type": "track",
                    "userId": "u1",
                    "messageId": "m-6",
                    "timestamp": "2024-01-06T00:00:00Z",
                    "event": "Viewed",
                },
            ]
        },
    )
    return holder("user_id:u1")


@pytest.mark.parametrize(
    "reference",
    [
        "user_id:u1",
        "email:jane@example.com",
        "email:JANE@example.com",
        "phone:%2B14155550123",
        "phone:+14155550123",
        "anonymous_id:an1",
    ],
)
def test_traits_by_any_identifier(read, jane, reference):
    response = read(reference, "traits")

    assert response.status_code == 200
    assert response.json() == {
        "traits": {
            "email": "Jane@Example.com",
            "phone": "+1 415 555 0123",
            "plan": "pro",
        },
        "cursor": {
            "url": f"{SPACE}/{reference.replace('%2B', '+')}/traits",
            "has_more": False,
            "next": "",
            "limit": 10,
        },
    }
    assert response["Request-Id"]


def test_a_space_from_a_decoded_plus_is_read_like_any_phone_input(read, jane):
    # The normaliser trims the space; with the default region US, 1 415...
    # is the same number. Elsewhere it would be a 404, never a crash.
    response = read("phone:%2014155550123", "traits")

    assert response.status_code == 200
    assert response.json()["traits"]["plan"] == "pro"
    assert read("phone:%2044 20 7183 8750", "traits").status_code == 404


def test_the_profile_id_and_segment_id_address_the_profile(read, jane):
    for reference in (jane.uid, f"segment_id:{jane.uid}"):
        assert read(reference, "traits").json()["traits"]["plan"] == "pro"


def test_a_merged_away_id_answers_for_its_survivor(read, send, jane):
    send("/v1/identify", {"anonymousId": "an2", "traits": {"city": "Oslo"}})
    merged_away = holder("anonymous_id:an2")
    send("/v1/track", {"userId": "u1", "anonymousId": "an2", "event": "Linked"})
    merged_away.refresh_from_db()
    assert merged_away.merged_into == jane

    response = read(merged_away.uid, "traits")

    assert response.json()["traits"] == {
        "city": "Oslo",
        "email": "Jane@Example.com",
        "phone": "+1 415 555 0123",
        "plan": "pro",
    }


def test_traits_pages_include_and_verbose(read, jane):
    first = read("user_id:u1", "traits", limit="2").json()
    second = read("user_id:u1", "traits", limit="2", next=first["cursor"]["next"])

    assert first["traits"] == {"email": "Jane@Example.com", "phone": "+1 415 555 0123"}
    assert first["cursor"]["has_more"] is True
    assert second.json()["traits"] == {"plan": "pro"}
    assert second.json()["cursor"]["has_more"] is False

    assert read("user_id:u1", "traits", include="plan,city").json()["traits"] == {
        "plan": "pro"
    }
    verbose = read("user_id:u1", "traits", include="plan", verbose="true").json()
    assert verbose["traits"] == {
        "plan": {
            "value": "pro",
            "source_id": "test-source",
            "updated_at": "2024-01-03T00:00:00.000Z",
        }
    }
    assert read("user_id:u1", "traits", **{"class": "audience"}).json()["traits"] == {}


def test_external_ids_in_priority_order(read, jane):
    response = read("user_id:u1", "external_ids")

    data = response.json()["data"]
    assert [(item["type"], item["id"]) for item in data] == [
        ("user_id", "u1"),
        ("email", "jane@example.com"),
        ("phone", "+14155550123"),
        ("anonymous_id", "an1"),
    ]
    assert data[0] == {
        "source_id": "test-source",
        "collection": "users",
        "id": "u1",
        "type": "user_id",
        "created_at": "2024-01-01T00:00:00.000Z",
        "encoding": "none",
        "first_message_id": "m-1",
    }
    paged = read("user_id:u1", "external_ids", limit="3").json()
    rest = read("user_id:u1", "external_ids", next=paged["cursor"]["next"]).json()
    assert [item["id"] for item in paged["data"] + rest["data"]] == [
        "u1",
        "jane@example.com",
        "+14155550123",
        "an1",
    ]
    only_email = read("user_id:u1", "external_ids", include="email").json()
    assert [item["id"] for item in only_email["data"]] == ["jane@example.com"]


def test_events_newest_first_paged_and_filtered(read, jane):
    first = read("user_id:u1", "events", limit="4").json()
    rest = read("user_id:u1", "events", limit="4", next=first["cursor"]["next"]).json()

    assert [item["message_id"] for item in first["data"]] == [
        "m-6",
        "m-5",
        "m-4",
        "m-3",
    ]
    assert first["cursor"]["has_more"] is True
    assert [item["message_id"] for item in rest["data"]] == ["m-2", "m-1"]
    assert rest["cursor"] == {
        "url": f"{SPACE}/user_id:u1/events",
        "has_more": False,
        "next": "",
        "limit": 4,
    }
    assert first["data"][0] == {
        "external_ids": [
            {"collection": "users", "type": "user_id", "id": "u1", "encoding": "none"}
        ],
        "context": {},
        "type": "track",
        "message_id": "m-6",
        "source_id": "test-source",
        "timestamp": "2024-01-06T00:00:00.000Z",
        "properties": {},
        "event": "Viewed",
        "related": {"users": [jane.uid]},
    }

    ascending = read("user_id:u1", "events", sort="asc", limit="2").json()
    assert [item["message_id"] for item in ascending["data"]] == ["m-1", "m-2"]
    window = read(
        "user_id:u1",
        "events",
        start="2024-01-02T00:00:00Z",
        end="2024-01-04T00:00:00+00:00",
    ).json()
    assert [item["message_id"] for item in window["data"]] == ["m-3", "m-2"]
    viewed = read("user_id:u1", "events", include="Viewed").json()
    assert [item["message_id"] for item in viewed["data"]] == ["m-6", "m-2"]
    not_viewed = read("user_id:u1", "events", exclude="Viewed,Paid").json()
    assert [item["message_id"] for item in not_viewed["data"]] == ["m-5", "m-3", "m-1"]


def test_events_are_all_returned_however_old(read, jane):
    # Rule 0.13: Segment's 14-day window is not adopted.
    data = read("user_id:u1", "events", limit="100").json()["data"]

    assert len(data) == Event.objects.filter(profile=jane).count() == 6


def test_metadata_and_links(read, jane):
    metadata = read("user_id:u1", "metadata").json()["metadata"]
    links = read("user_id:u1", "links").json()

    assert metadata["first_message_id"] == "m-1"
    assert metadata["last_message_id"] == "m-6"
    assert metadata["first_source_id"] == metadata["last_source_id"] == "test-source"
    assert metadata["expires_at"] is None
    assert metadata["created_at"].endswith("Z")
    assert links == {
        "data": [
            {
                "to_collection": "accounts",
                "external_ids": [
                    {
                        "id": "acme",
                        "type": "group_id",
                        "source_id": "test-source",
                        "collection": "accounts",
                        "created_at": "2024-01-05T00:00:00.000Z",
                        "encoding": "none",
                    }
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    ("resource", "params", "message"),
    [
        ("traits", {"limit": "0"}, "'limit' must be a whole number from 1 to 100."),
        ("events", {"limit": "101"}, "'limit' must be a whole number from 1 to 100."),
        ("external_ids", {"limit": "ten"},
         "'limit' must be a whole number from 1 to 100."),
        ("traits", {"limit": "-1"}, "'limit' must be a whole number from 1 to 100."),
        ("traits", {"limit": "\u00b2"},
         "'limit' must be a whole number from 1 to 100."),
        ("traits", {"verbose": "yes"}, "'verbose' must be true or false."),
        ("traits", {"next": "garbage!"}, "The 'next' cursor is not one this API gave."),
        ("events", {"next": "WyJhIl0"}, "The 'next' cursor is not one this API gave."),
        ("external_ids", {"next": "WyJhIl0"},
         "The 'next' cursor is not one this API gave."),
        ("traits", {"class": "traits"},
         "'class' must be one of audience, computed_trait."),
    ],
)  # fmt: skip
def test_bad_parameters_are_400_validation_error(read, jane, resource, params, message):
    response = read("user_id:u1", resource, **params)

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "validation_error", "message": message}
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "up"}, "'sort' must be asc or desc."),
        ({"start": "yesterday"}, "'start' must be an ISO 8601 time."),
        ({"end": "2024-13-01"}, "'end' must be an ISO 8601 time."),
    ],
)
def test_bad_event_parameters_are_400_validation_error(read, jane, params, message):
    response = read("user_id:u1", "events", **params)

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "validation_error", "message": message}
    }


def test_limit_bounds_are_accepted(read, jane):
    assert read("user_id:u1", "events", limit="1").status_code == 200
    assert read("user_id:u1", "events", limit="100").status_code == 200


@pytest.mark.parametrize(
    "reference",
    [
        "user_id:nobody",
        "USER_ID:u1",
        "loyalty:u1",
        "use_0000",
        "segment_id:use_0000",
        "phone:not-a-phone",
        "email:",
    ],
)
def test_unknown_profiles_are_404_not_found(read, jane, reference):
    response = read(reference, "traits")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Profile was not found."}
    }


def test_another_space_or_collection_is_404(client, access_token, jane):
    headers = {"HTTP_AUTHORIZATION": basic(access_token)}

    other_space = client.get(
        "/v1/spaces/other/collections/users/profiles/user_id:u1/traits", **headers
    )
    accounts = client.get(
        "/v1/spaces/default/collections/accounts/profiles/group_id:acme/traits",
        **headers,
    )
    unknown = client.get(f"{SPACE}/user_id:u1/friends", **headers)

    assert other_space.status_code == accounts.status_code == unknown.status_code == 404
    assert other_space.json()["error"]["message"] == "Space was not found."
    assert unknown.json() == {
        "error": {"code": "not_found", "message": "There is no such resource."}
    }
    assert unknown["Request-Id"]


def test_the_space_comes_from_settings(client, access_token, jane, settings):
    settings.SPACE_ID = "spa_1"

    response = client.get(
        "/v1/spaces/spa_1/collections/users/profiles/user_id:u1/traits",
        HTTP_AUTHORIZATION=basic(access_token),
    )

    assert response.status_code == 200


@pytest.mark.parametrize("token", ["pat_wrong", ""])
def test_a_wrong_token_is_401_with_a_request_id(read, jane, token):
    response = read("user_id:u1", "traits", token=token)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_error"
    assert response["Request-Id"]


def test_no_token_is_401(client, jane):
    response = client.get(f"{SPACE}/user_id:u1/traits")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Unified Profiles"'


def test_request_ids_differ(read, jane):
    first = read("user_id:u1", "metadata")
    second = read("user_id:u1", "metadata")

    assert first["Request-Id"] != second["Request-Id"]
    assert Profile.objects.filter(merged_into=None).count() == 1


def test_refusals_log_the_route_never_the_email_in_the_path(read, jane, caplog):
    caplog.set_level("INFO")

    response = read("email:someone.else@example.com", "traits")

    assert response.status_code == 404
    assert "someone.else" not in caplog.text
    assert [record.getMessage() for record in caplog.records] == [
        "GET v1/spaces/<str:space>/collections/<str:collection>/profiles/"
        f"<path:reference>/traits answered 404 (request {response['Request-Id']})"
    ]
