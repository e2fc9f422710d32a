"""The official Segment and RudderStack Python clients against the live server.

What they send (gzip or not, the key in the header or the body, traits under
`traits` or `context.traits`) is theirs; the test reads the outcome back
through the Profile API.
"""

from __future__ import annotations

import pytest
import requests
import rudderstack.analytics.client as rudder
import rudderstack.analytics.request as rudder_request
import segment.analytics.request as segment_request
from segment.analytics import Client as SegmentClient

from .conftest import SPACE

# live_server needs a transactional database; serialized_rollback brings back
# the default identifiers that flushing it removes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _close_client_connections():
    # Both clients keep one HTTP session per process. Closing its kept-alive
    # connections lets the live server's request threads end before the
    # server does, instead of closing the database connection afterwards.
    yield
    segment_request._session.close()
    rudder_request._session.close()


def profile_api(live_server, token: str, reference: str, resource: str, **params):
    response = requests.get(
        f"{live_server.url}{SPACE}/{reference}/{resource}",
        params=params,
        auth=(token, ""),
        timeout=10,
    )
    return response.status_code, response.json()


def test_segment_client_identify_track_page_alias(live_server, write_key, access_token):
    errors = []
    client = SegmentClient(
        write_key,
        host=live_server.url,
        gzip=True,
        sync_mode=True,
        max_retries=0,
        on_error=lambda error, batch: errors.append(error),
    )

    client.page(anonymous_id="an-seg", name="Pricing", properties={"path": "/p"})
    client.identify(
        user_id="u-seg", traits={"email": "Seg@Example.test", "plan": "pro"}
    )
    client.track(user_id="u-seg", event="Order Completed", properties={"total": 10})
    client.alias(previous_id="an-seg", user_id="u-seg")
    client.flush()

    assert errors == []
    status, traits = profile_api(live_server, access_token, "user_id:u-seg", "traits")
    assert status == 200
    assert traits["traits"] == {"email": "Seg@Example.test", "plan": "pro"}
    _, external_ids = profile_api(
        live_server, access_token, "anonymous_id:an-seg", "external_ids"
    )
    assert [(item["type"], item["id"]) for item in external_ids["data"]] == [
        ("user_id", "u-seg"),
        ("email", "seg@example.test"),
        ("anonymous_id", "an-seg"),
    ]
    _, events = profile_api(
        live_server, access_token, "email:seg@example.test", "events", sort="asc"
    )
    assert [(item["type"], item["event"]) for item in events["data"]] == [
        ("page", "Pricing"),
        ("identify", ""),
        ("track", "Order Completed"),
        ("alias", ""),
    ]
    assert events["data"][2]["properties"] == {"total": 10}
    assert events["data"][2]["context"]["library"]["name"] == "analytics-python"


def test_rudderstack_client_identify_track_page_alias(
    live_server, write_key, access_token
):
    errors = []
    client = rudder.Client(
        write_key,
        host=live_server.url,
        max_retries=0,
        on_error=lambda error, batch: errors.append(error),
    )

    client.page(anonymous_id="an-rud", name="Home")
    client.identify(
        user_id="u-rud", traits={"email": "Rud@Example.test", "phone": "4155550188"}
    )
    client.track(user_id="u-rud", event="Signed Up")
    client.alias(previous_id="an-rud", user_id="u-rud")
    client.flush()
    client.join()

    assert errors == []
    status, traits = profile_api(live_server, access_token, "user_id:u-rud", "traits")
    assert status == 200
    assert traits["traits"] == {"email": "Rud@Example.test", "phone": "4155550188"}
    _, external_ids = profile_api(
        live_server, access_token, "phone:+14155550188", "external_ids"
    )
    assert sorted((item["type"], item["id"]) for item in external_ids["data"]) == [
        ("anonymous_id", "an-rud"),
        ("email", "rud@example.test"),
        ("phone", "+14155550188"),
        ("user_id", "u-rud"),
    ]
    _, events = profile_api(
        live_server, access_token, "user_id:u-rud", "events", sort="asc"
    )
    assert sorted(item["type"] for item in events["data"]) == [
        "alias",
        "identify",
        "page",
        "track",
    ]
