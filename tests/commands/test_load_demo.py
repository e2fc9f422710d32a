from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from profiles.demo import JUNK_IDS, demo_events
from profiles.models import AddressType, AuditEntry, Event, ExternalId, Profile
from profiles.validation import check_message

SUMMARY = re.compile(
    r"demo loaded: customers=30 events=(\d+) profiles_created=\d+ merges=\d+ "
    r"warnings=\d+ seconds=\d+\.\d"
)


def test_demo_events_are_the_same_for_the_same_seed():
    assert demo_events(customers=50, seed=3) == demo_events(customers=50, seed=3)
    assert demo_events(customers=50, seed=3) != demo_events(customers=50, seed=4)


def test_demo_events_are_valid_messages_in_time_order_with_unique_ids():
    messages = demo_events()

    assert 2000 <= len(messages) <= 5000
    assert [check_message(message) for message in messages] == messages
    assert len({message["messageId"] for message in messages}) == len(messages)
    times = [message["timestamp"] for message in messages]
    assert times == sorted(times)


def test_demo_events_tell_the_whole_story():
    messages = demo_events()
    names = Counter(m.get("event") or m["type"] for m in messages)
    junk = [
        m
        for m in messages
        if m.get("userId") in JUNK_IDS or m.get("anonymousId") in JUNK_IDS
    ]
    shared = Counter(
        (m["anonymousId"], m["userId"])
        for m in messages
        if m["type"] == "identify" and "anonymousId" in m and "userId" in m
    )
    devices_with_two_users = Counter(device for device, _ in shared)

    assert {
        "page",
        "screen",
        "Signed Up",
        "Order Completed",
        "Call Completed",
        "SMS Received",
        "WhatsApp Message Received",
        "Email Received",
    } <= set(names)
    assert len(junk) >= 20
    assert {m["type"] for m in junk} == {"identify", "track"}
    assert any(n > 1 for n in devices_with_two_users.values())


@pytest.mark.django_db
def test_load_demo_maps_address_types_and_resolves_every_event(run):
    result = run("load_demo", "--customers", "30")

    match = SUMMARY.fullmatch(result.stdout.strip())
    assert match, result.stdout
    assert (
        int(match.group(1)) == len(demo_events(customers=30)) == Event.objects.count()
    )
    mapping = dict(AddressType.objects.values_list("key", "identifier__key"))
    assert mapping == {
        "voice": "phone",
        "sms": "phone",
        "whatsapp": "phone",
        "email": "email",
        "chat": None,
        "messenger": None,
    }
    assert AuditEntry.objects.filter(actor_label="cli").count() == 4
    assert not ExternalId.objects.filter(value__in=JUNK_IDS).exists()
    user_ids = Counter(
        ExternalId.objects.filter(identifier__key="user_id").values_list(
            "profile", flat=True
        )
    )
    assert max(user_ids.values()) == 1
    holder = {
        (key, value): profile
        for key, value, profile in ExternalId.objects.values_list(
            "identifier__key", "value", "profile"
        )
    }
    sign_ups = {
        m["userId"]: m["traits"]["email"]
        for m in demo_events(customers=30)
        if m.get("event") is None and "email" in m.get("traits", {})
        if m.get("userId") not in JUNK_IDS
    }
    assert len(sign_ups) >= 15
    for user_id, email in sign_ups.items():
        assert holder[("user_id", user_id)] == holder[("email", email)]


@pytest.mark.django_db
def test_load_demo_if_empty_leaves_existing_profiles_alone(run):
    Profile.objects.create()

    result = run("load_demo", "--if-empty", "--customers", "30")

    assert (result.stdout, result.stderr) == (
        "",
        "profiles already exist: demo data not loaded\n",
    )
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_load_demo_refuses_a_customer_count_below_one():
    with pytest.raises(CommandError, match="--customers must be at least 1."):
        call_command("load_demo", "--customers", "0")

    assert not Profile.objects.exists()
