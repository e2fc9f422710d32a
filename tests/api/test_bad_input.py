"""Input found by a break-it test: far timestamps, NUL characters, unknown
paths. Each is refused or tamed with an exact answer, and nothing stored
changes when a request is refused."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from console.views.errors import server_failure
from profiles.models import Event, Profile, WriteKey
from profiles.resolution import parse_timestamp

from .conftest import SPACE, basic, store_counts

pytestmark = pytest.mark.django_db

FAR_TIMES = [
    "9999-12-31T23:59:59-05:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+05:00",  # year 0 in UTC
    "9001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
]
OUT_OF_RANGE = "is outside the years 1970 to 9000 (UTC); the time received is used."


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", password="x"))
    return client


# Far timestamps ---------------------------------------------------------------


@pytest.mark.parametrize("text", FAR_TIMES)
def test_parse_timestamp_refuses_times_outside_the_range(text):
    assert parse_timestamp(text) is None


def test_parse_timestamp_answers_in_utc():
    assert parse_timestamp("9000-12-31T18:00:00-05:00") == datetime(
        9000, 12, 31, 23, 0, tzinfo=UTC
    )
    assert parse_timestamp("1970-01-01T00:00:00Z") == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("field", ["timestamp", "originalTimestamp"])
@pytest.mark.parametrize("text", FAR_TIMES)
def test_a_far_timestamp_uses_the_time_received_with_a_warning(
    send, client, access_token, field, text
):
    before = datetime.now(UTC)
    response = send("/v1/identify", {"userId": "x", field: text})

    event = Event.objects.get()
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert before <= event.timestamp <= datetime.now(UTC)
    assert event.timestamp == event.received_at
    assert event.warnings == [
        {
            "code": "invalid_timestamp",
            "identifier": "",
            "message": f"{field} {OUT_OF_RANGE}",
            "field": field,
            "value": text,
        }
    ]

    # Every reader of the profile keeps working.
    auth = {"HTTP_AUTHORIZATION": basic(access_token)}
    for resource in ("traits", "events", "external_ids", "metadata", "links"):
        answer = client.get(f"{SPACE}/user_id:x/{resource}", **auth)
        assert answer.status_code == 200, resource
    events = client.get(f"{SPACE}/user_id:x/events", **auth).json()["data"]
    assert [item["type"] for item in events] == ["identify"]
    exported = io.StringIO()
    call_command("export_profiles", stdout=exported)
    assert json.loads(exported.getvalue())["identifiers"][0]["value"] == "x"


def test_the_console_shows_a_profile_whose_event_came_with_a_far_time(
    send, admin_client
):
    send("/v1/identify", {"userId": "x", "timestamp": "9999-12-31T23:59:59-05:00"})
    profile = Profile.objects.get()

    assert admin_client.get("/profiles/").status_code == 200
    card = admin_client.get(f"/profiles/{profile.uid}/")
    assert card.status_code == 200
    assert (
        f"<li>&#x27;9999-12-31T23:59:59-05:00&#x27;: timestamp {OUT_OF_RANGE}</li>"
    ) in card.content.decode()


def test_resolve_events_warns_about_a_far_time_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "events.jsonl"
    message = {"type": "identify", "userId": "x", "timestamp": FAR_TIMES[0]}
    path.write_text(json.dumps(message) + "\n")

    call_command("resolve_events", str(path))

    out, err = capsys.readouterr()
    assert out.startswith("events=1 profiles_created=1 merges=0 warnings=1 ")
    assert "Traceback" not in err
    assert "invalid_timestamp" in err
    assert Event.objects.get().timestamp == Event.objects.get().received_at


@pytest.fixture
def ann(send):
    send(
        "/v1/identify",
        {"userId": "u-ann", "messageId": "m-1", "timestamp": "2024-01-01T00:00:00Z"},
    )
    send(
        "/v1/identify",
        {"userId": "u-ann", "messageId": "m-2", "timestamp": "2024-01-02T00:00:00Z"},
    )


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"start": "0001-01-01T00:00:00+05:00"},
            "'start' must be an ISO 8601 time within the years 1 to 9999 in UTC.",
        ),
        (
            {"end": "9999-12-31T23:59:59-05:00"},
            "'end' must be an ISO 8601 time within the years 1 to 9999 in UTC.",
        ),
        (
            {"next": _cursor(["9999-12-31T23:59:59-05:00", 1])},
            "The 'next' cursor is not one this API gave.",
        ),
        (
            {"next": _cursor(["0001-01-01T00:00:00+05:00", 1]), "sort": "asc"},
            "The 'next' cursor is not one this API gave.",
        ),
    ],
)
def test_far_times_in_event_parameters_are_400(read, ann, params, message):
    before = store_counts()

    response = read("user_id:u-ann", "events", **params)

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "validation_error", "message": message}
    }
    assert store_counts() == before


def test_the_widest_utc_times_still_page_events(read, ann):
    response = read(
        "user_id:u-ann",
        "events",
        start="0001-01-01T00:00:00Z",
        end="9999-12-31T23:59:59Z",
        limit="1",
    )

    assert response.status_code == 200
    assert [item["message_id"] for item in response.json()["data"]] == ["m-2"]


# NUL characters ---------------------------------------------------------------

NUL_REFUSAL = {
    "error": {
        "code": "invalid_request",
        "message": "The request holds a NUL character (%00), which no field accepts.",
    }
}


@pytest.mark.parametrize(
    "path",
    [
        f"{SPACE}/user_id:pg%00clean/traits",
        f"{SPACE}/user%00_id:x/traits",
        f"{SPACE}/use_%00/traits",
        f"{SPACE}/segment_id:%00/traits",
        f"{SPACE}/user_id:u-ann/events?include=a%00b",
        f"{SPACE}/user_id:u-ann/events?exclude=a%00b",
        f"{SPACE}/user_id:u-ann/external_ids?include=a%00b",
        f"{SPACE}/user_id:u-ann/events?a%00b=1",
        "/api/v1/lookup?address_type=s%00ms&address=1",
        "/api/v1/lookup?address_type=sms&address=%2B1415%00",
    ],
)
def test_a_nul_in_an_api_path_or_query_is_400(client, access_token, ann, path):
    before = store_counts()

    response = client.get(path, HTTP_AUTHORIZATION=basic(access_token))

    assert response.status_code == 400
    assert response.json() == NUL_REFUSAL
    assert store_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"address_type": "s\x00ms", "address": "+14155550100"}, "address_type"),
        ({"address_type": "sms", "address": "+1415555\x000100"}, "address"),
    ],
)
def test_a_nul_in_a_lookup_body_is_400(
    client, access_token, contact_center_mapping, body, field
):
    before = store_counts()

    response = client.post(
        "/api/v1/lookup",
        json.dumps({**body, "create": True}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(access_token),
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "'address_type' and 'address' must not hold a NUL character.",
        }
    }
    assert store_counts() == before


@pytest.mark.parametrize("encoded", [True, False])
def test_a_nul_in_a_console_form_is_a_400_page(admin_client, encoded):
    if encoded:
        response = admin_client.post(
            "/credentials/write-keys/",
            "name=nul%00x",
            content_type="application/x-www-form-urlencoded",
        )
    else:  # multipart
        response = admin_client.post("/credentials/write-keys/", {"name": "nul\x00x"})

    page = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Bad request</h1>" in page
    assert (
        "The request holds a NUL character (%00), which no field accepts. "
        "Nothing was changed."
    ) in page
    assert '<a href="/">Back to the console</a>' in page
    assert not WriteKey.objects.exists()


def test_a_nul_in_a_console_query_is_a_400_page(admin_client):
    response = admin_client.get("/profiles/?q=a%00b")

    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


# Unknown paths and server errors -------------------------------------------------

NOT_FOUND = {
    "code": "not_found",
    "message": "There is no such endpoint; API paths have no trailing slash.",
}


@pytest.mark.parametrize("path", ["/v1/identify/", "/v1/foo", "/v1/batch/x"])
def test_an_unknown_tracking_path_is_json_404(send, path):
    response = send(path, {"userId": "x"})

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": NOT_FOUND}
    assert not Event.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/lookup/", "/api/v2/lookup", "/api/"])
def test_an_unknown_read_api_path_is_json_404(client, access_token, path):
    response = client.get(path, HTTP_AUTHORIZATION=basic(access_token))

    assert response.status_code == 404
    assert response.json() == {"error": NOT_FOUND}


def test_an_unknown_console_path_is_a_styled_page(admin_client):
    response = admin_client.get("/nowhere/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert '<link rel="stylesheet" href="/static/console/console.css">' in page


def test_a_wrong_method_on_the_lookup_keeps_its_shape(client):
    response = client.delete("/api/v1/lookup")

    assert response.status_code == 405
    assert response.json() == {
        "error": {"code": "method_not_allowed", "message": "Use GET or POST."}
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/v1/batch",
            {
                "success": False,
                "error": {
                    "code": "internal_error",
                    "message": "The server failed to answer; retrying later is safe.",
                },
            },
        ),
        (
            "/api/v1/lookup",
            {
                "error": {
                    "code": "internal_error",
                    "message": "The server failed to answer; retrying later is safe.",
                }
            },
        ),
        (
            f"{SPACE}/user_id:x/traits",
            {
                "error": {
                    "code": "internal_error",
                    "message": "The server failed to answer; retrying later is safe.",
                }
            },
        ),
    ],
)
def test_a_server_error_under_the_apis_is_json(path, body):
    response = server_failure(RequestFactory().post(path))

    assert response.status_code == 500
    assert json.loads(response.content) == body


def test_the_500_page_renders_without_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_failure(RequestFactory().get("/profiles/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in page
    assert '<a href="/">Back to the console</a>' in page


# Found by a second break-it pass ------------------------------------------------

NUMBER_TOO_LARGE = "The message holds a number too large to store (beyond a double)."


def test_a_number_beyond_a_double_refuses_only_its_message(send):
    raw = (
        b'{"batch": [{"type": "identify", "userId": "u-ok", "messageId": "m-1"},'
        b' {"type": "identify", "userId": "u-inf", "traits": {"x": 1e400}}]}'
    )

    response = send("/v1/batch", None, raw=raw)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "errors": [{"index": 1, "error": NUMBER_TOO_LARGE}],
    }
    assert list(Event.objects.values_list("message_id", flat=True)) == ["m-1"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"userId": 1e400}',
        b'{"userId": "x", "context": {"ip": -1e999}}',
    ],
)
def test_a_single_call_with_a_number_beyond_a_double_is_400(send, raw):
    before = store_counts()

    response = send("/v1/identify", None, raw=raw)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_valid_message"
    assert store_counts() == before


def test_a_deeply_nested_cursor_is_400(read, ann):
    cursor = base64.urlsafe_b64encode(b"[" * 5000).decode().rstrip("=")

    response = read("user_id:u-ann", "traits", next=cursor)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "validation_error",
            "message": "The 'next' cursor is not one this API gave.",
        }
    }


def test_a_limit_of_thousands_of_digits_is_400(read, ann):
    response = read("user_id:u-ann", "traits", limit="9" * 5000)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "validation_error",
            "message": "'limit' must be a whole number from 1 to 100.",
        }
    }
