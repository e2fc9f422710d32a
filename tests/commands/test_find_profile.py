from __future__ import annotations

import pytest

from profiles.export import export_profile
from profiles.identifiers import map_address_type, set_address_type_search
from profiles.models import AddressType, Identifier, Profile
from profiles.resolution import ingest_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def voice_to_phone():
    map_address_type(
        address_type=AddressType.objects.get(key="voice"),
        identifier=Identifier.objects.get(key="phone"),
        actor="test",
    )


@pytest.fixture
def caller() -> Profile:
    result = ingest_message(
        {
            "type": "identify",
            "userId": "u-tao",
            "messageId": "m1",
            "traits": {"phone": "(202) 555-0143", "name": "Tao"},
        },
        source="test",
    )
    return result.profile


def test_prints_the_profile_found_by_a_mapped_address(run, voice_to_phone, caller):
    result = run("find_profile", "voice", "+1 202-555-0143")

    assert result.exit_code == 0
    assert result.json_lines == [export_profile(profile=caller)]
    assert result.json_lines[0]["identifiers"] == [
        {"type": "user_id", "value": "u-tao"},
        {"type": "phone", "value": "+12025550143"},
    ]
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("address_type", "address", "message"),
    [
        ("voice", "+1 415 555 0199", "not found"),
        ("voice", "not a number", "invalid address"),
        ("sms", "+12025550143", "not mapped"),
        ("fax", "+12025550143", "unknown address type: fax"),
    ],
)
def test_exits_1_with_the_reason_on_stderr(
    run, voice_to_phone, caller, address_type, address, message
):
    result = run("find_profile", address_type, address)

    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")


def test_a_disabled_address_type_does_not_search(run, voice_to_phone, caller):
    set_address_type_search(
        address_type=AddressType.objects.get(key="voice"), enabled=False, actor="test"
    )

    result = run("find_profile", "voice", "+12025550143")

    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "search disabled\n",
    )


def test_create_makes_a_profile_holding_only_the_address_once(run, voice_to_phone):
    created = run("find_profile", "voice", "+44 20 7183 8750", "--create")
    found = run("find_profile", "voice", "+442071838750")

    assert created.exit_code == found.exit_code == 0
    assert created.json_lines[0]["identifiers"] == [
        {"type": "phone", "value": "+442071838750"}
    ]
    assert found.json_lines[0]["id"] == created.json_lines[0]["id"]
    assert Profile.objects.count() == 1
