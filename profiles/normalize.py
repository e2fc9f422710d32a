"""Turn raw identifier values into the one form they are stored and matched in.

DOMAIN.md rule 0.4 and section 2.8: phones become E.164 through the
`phonenumbers` library, emails are trimmed and lower-cased whole, everything
else is trimmed with its case kept. JSON numbers count as their decimal string;
booleans, objects and arrays are never identifiers. Blocked values (rule 0.5)
are checked on the trimmed raw form and on the normalised form.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import phonenumbers
import regex
from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from profiles.models import BlockedValue, ExternalId, Normaliser

logger = logging.getLogger(__name__)

MAX_VALUE_LENGTH = ExternalId._meta.get_field("value").max_length

# Channel prefixes that contact-center software puts before a phone number.
PHONE_PREFIXES = ("tel:", "sms:", "whatsapp:")


class InvalidValue(ValueError):
    """A value that can never be an identifier; `code` names the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def value_as_text(value: object) -> str:
    """The trimmed text of a JSON scalar, or InvalidValue for other types.

    `12345` and `"12345"` give the same text; `"012345"` stays distinct.
    """
    # bool is a subclass of int, so it has to be refused before numbers.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        kind = "boolean" if isinstance(value, bool) else type(value).__name__
        raise InvalidValue("invalid_type", f"A {kind} cannot be an identifier.")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidValue("invalid_type", "Not a finite number.")
    if value.is_integer():
        return str(int(value))
    # repr gives the shortest round-tripping digits; Decimal drops the exponent.
    return format(Decimal(repr(value)), "f")


def strip_prefix(text: str, prefixes: Iterable[str]) -> str:
    lowered = text.lower()
    for prefix in prefixes:
        if lowered.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


def normalise_phone(value: object, *, region: str | None = None) -> str:
    """E.164 for a number the library calls valid, with the default region
    (settings.PHONE_DEFAULT_REGION) applied to numbers written without `+`."""
    text = strip_prefix(value_as_text(value), PHONE_PREFIXES)
    region = region or settings.PHONE_DEFAULT_REGION
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue("invalid_phone", "Not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(
            "invalid_phone", f"Not a valid phone number (default region {region})."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: object) -> str:
    """The trimmed, wholly lower-cased address; no dot or plus folding."""
    text = value_as_text(value).lower()
    try:
        # Reserved test domains such as example.test are real identifiers here,
        # and nothing may be looked up on the network.
        validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise InvalidValue("invalid_email", f"Not an email address: {exc}") from exc
    return text


def normalise_raw(value: object) -> str:
    return value_as_text(value)


NORMALISERS = {
    Normaliser.PHONE: normalise_phone,
    Normaliser.EMAIL: normalise_email,
    Normaliser.RAW: normalise_raw,
}


def normalise_value(value: object, *, normaliser: str) -> str:
    """Normalise with the named normaliser; raises InvalidValue."""
    normalised = NORMALISERS[Normaliser(normaliser)](value)
    if len(normalised) > MAX_VALUE_LENGTH:
        raise InvalidValue(
            "too_long", f"An identifier is at most {MAX_VALUE_LENGTH} characters."
        )
    return normalised


# A pattern such as `(a+)+$` takes exponential time on some values; one event
# must never stall a worker, so a match that runs past this is cut off.
PATTERN_TIMEOUT_SECONDS = 0.05


@lru_cache(maxsize=512)
def _compile(pattern: str) -> regex.Pattern[str] | None:
    try:
        return regex.compile(pattern)
    except regex.error:
        return None


@dataclass(frozen=True)
class BlockRule:
    identifier_id: int | None
    value: str
    is_pattern: bool

    def matches(self, text: str) -> bool:
        if not self.is_pattern:
            return text == self.value
        compiled = _compile(self.value)
        if compiled is None:
            # A broken pattern blocks nothing rather than everything.
            logger.warning("Blocked-value pattern %r does not compile", self.value)
            return False
        try:
            return compiled.fullmatch(text, timeout=PATTERN_TIMEOUT_SECONDS) is not None
        except TimeoutError:
            # An unchecked value is never promoted: it counts as blocked.
            logger.warning("Blocked-value pattern %r timed out", self.value)
            return True


def load_block_rules() -> list[BlockRule]:
    return [
        BlockRule(identifier_id, value, is_pattern)
        for identifier_id, value, is_pattern in BlockedValue.objects.values_list(
            "identifier_id", "value", "is_pattern"
        )
    ]


def is_blocked(
    *, identifier_id: int, raw: str, normalised: str, rules: Iterable[BlockRule]
) -> bool:
    """True when the trimmed raw form or the normalised form matches a rule
    that applies to every identifier or to this one."""
    for rule in rules:
        if rule.identifier_id not in (None, identifier_id):
            continue
        if rule.matches(raw) or rule.matches(normalised):
            return True
    return False


BLOCKED_MESSAGE = "The value is on the blocked list and is not used as an identifier."
EMPTY_MESSAGE = "An empty value is not an identifier."


def identifier_value(
    raw: object, *, identifier_id: int, normaliser: str, rules: Iterable[BlockRule]
) -> str:
    """The value `raw` takes as an identifier: normalised, not blocked (rule
    0.5, on the raw and the normalised form) and not empty.

    Raises InvalidValue whose code names why not: the normaliser's own code,
    `blocked_value` or `empty_value`.
    """
    normalised = normalise_value(raw, normaliser=normaliser)
    raw_text = value_as_text(raw)
    if is_blocked(
        identifier_id=identifier_id, raw=raw_text, normalised=normalised, rules=rules
    ):
        raise InvalidValue("blocked_value", BLOCKED_MESSAGE)
    if not normalised:
        raise InvalidValue("empty_value", EMPTY_MESSAGE)
    return normalised
