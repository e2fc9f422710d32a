"""Normalisation of identifier values (DOMAIN.md rules 0.4 and 0.5)."""

from __future__ import annotations

import pytest

from profiles.normalize import (
    BlockRule,
    InvalidValue,
    is_blocked,
    normalise_email,
    normalise_phone,
    normalise_raw,
)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-0123", "US", "+14155550123"),
        ("415.555.0123", "US", "+14155550123"),
        ("+1 415 555 0123", "US", "+14155550123"),
        ("+44 20 7183 8750", "US", "+442071838750"),
        ("whatsapp:+14155550123", "US", "+14155550123"),
        ("tel:+1-415-555-0123", "US", "+14155550123"),
        ("SMS:+14155550123", "US", "+14155550123"),
        ("00 33 1 42 68 53 00", "FR", "+33142685300"),
        ("01 42 68 53 00", "FR", "+33142685300"),
        (4155550123, "US", "+14155550123"),
    ],
)
def test_phone_valid(raw, region, expected):
    assert normalise_phone(raw, region=region) == expected


@pytest.mark.parametrize(
    "raw", ["03432640000", "+1234567", "", "   ", "not a phone", "0033142685300"]
)
def test_phone_invalid_in_us(raw):
    with pytest.raises(InvalidValue) as caught:
        normalise_phone(raw, region="US")

    assert caught.value.code == "invalid_phone"


def test_phone_default_region_from_settings(settings):
    settings.PHONE_DEFAULT_REGION = "GB"

    assert normalise_phone("020 7183 8750") == "+442071838750"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jane@Example.COM ", "jane@example.com"),
        ("Uma.Ray@Example.TEST", "uma.ray@example.test"),
        ("umaray@example.test", "umaray@example.test"),
        ("uma.ray+promo@example.test", "uma.ray+promo@example.test"),
    ],
)
def test_email_valid(raw, expected):
    assert normalise_email(raw) == expected


def test_email_dots_and_plus_tags_are_not_folded():
    assert normalise_email("umaray@example.test") != normalise_email(
        "uma.ray+promo@example.test"
    )


@pytest.mark.parametrize(
    "raw", ["jane", "jane@", "@example.com", "jane@localhost", "a b@x.com", "", 42]
)
def test_email_invalid(raw):
    with pytest.raises(InvalidValue) as caught:
        normalise_email(raw)

    assert caught.value.code == "invalid_email"


def test_numbers_are_their_decimal_string():
    assert normalise_raw(12345) == "12345"
    assert normalise_raw("12345") == "12345"
    assert normalise_raw(" 012345 ") == "012345"
    assert normalise_raw(12345.0) == "12345"
    assert normalise_raw(0.1) == "0.1"
    assert normalise_raw(1e21) == "1000000000000000000000"


def test_raw_keeps_case():
    assert normalise_raw(" AbC ") == "AbC"


@pytest.mark.parametrize("raw", [True, False, {"id": 1}, [1, 2], float("nan")])
def test_booleans_objects_and_arrays_are_refused(raw):
    with pytest.raises(InvalidValue) as caught:
        normalise_raw(raw)

    assert caught.value.code == "invalid_type"


RULES = [
    BlockRule(None, r"^[0-]*$", True),
    BlockRule(None, "null", False),
    BlockRule(7, "abc123", False),
]


@pytest.mark.parametrize(
    ("identifier_id", "raw", "normalised", "blocked"),
    [
        (1, "0000-000", "0000-000", True),
        (1, "", "", True),
        (1, "null", "null", True),
        (1, "Null", "Null", False),
        (1, "abc123", "abc123", False),
        (7, "abc123", "abc123", True),
        (2, "NULL", "null", True),  # the normalised form matches
        (1, "10-0", "10-0", False),
    ],
)
def test_blocked_values(identifier_id, raw, normalised, blocked):
    assert (
        is_blocked(
            identifier_id=identifier_id, raw=raw, normalised=normalised, rules=RULES
        )
        is blocked
    )


def test_broken_pattern_blocks_nothing():
    rules = [BlockRule(None, "([", True)]

    assert not is_blocked(identifier_id=1, raw="x", normalised="x", rules=rules)


def test_a_runaway_pattern_is_cut_off_and_blocks_the_value(caplog):
    # `(a|aa)+$` backtracks exponentially on "aaa…!": unchecked, 40
    # characters would take hours; the timeout returns in milliseconds.
    rules = [BlockRule(None, r"(a|aa)+$", True)]
    value = "a" * 40 + "!"

    blocked = is_blocked(identifier_id=1, raw=value, normalised=value, rules=rules)

    assert blocked is True
    assert "timed out" in caplog.text


def test_a_pattern_that_matches_quickly_is_not_affected_by_the_timeout():
    rules = [BlockRule(None, r"(a|aa)+$", True)]

    assert is_blocked(identifier_id=1, raw="aaaa", normalised="aaaa", rules=rules)
    assert not is_blocked(identifier_id=1, raw="bbb", normalised="bbb", rules=rules)
