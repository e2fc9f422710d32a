"""Demo data: a month of a small online shop and its contact center.

The events are generated from a fixed seed, so every `make run` shows the same
story: visitors browse anonymously, sign up, come back on their phone, call,
text and write from WhatsApp and email. A few share a family computer, and a
few come from a buggy client that sends "undefined" or "null" as an id. All of
it goes through the engine (`ingest_message`), like real traffic, so the demo
profiles, merges and warnings are the engine's own work.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from profiles.identifiers import map_address_type
from profiles.models import AddressType, Identifier
from profiles.resolution import ingest_message

logger = logging.getLogger(__name__)

DEMO_SEED = 20240301
DEMO_CUSTOMERS = 400
DEMO_START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
DEMO_SOURCE = "demo"
DEMO_BATCH_SIZE = 250

# Address type -> identifier, as DOMAIN.md rule 0.3 asks of the demo data.
DEMO_MAPPINGS = {
    "voice": "phone",
    "sms": "phone",
    "whatsapp": "phone",
    "email": "email",
}

FIRST_NAMES = [
    "Ada", "Bruno", "Chiara", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines",
    "Jonas", "Kemi", "Luca", "Maya", "Nils", "Olga", "Priya", "Quentin", "Rosa",
    "Sami", "Tara", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Berg", "Costa", "Diallo", "Evans", "Fischer", "Garcia", "Huang",
    "Ivanova", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor",
    "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Varga", "Weber", "Young",
]  # fmt: skip
# US area codes with the fictional 555-01xx block: valid numbers nobody owns,
# distinct for the first 800 customers.
AREA_CODES = ["202", "212", "312", "415", "512", "617", "646", "718"]
PAGES = [
    ("Home", "/"),
    ("Pricing", "/pricing"),
    ("Headphones", "/products/headphones"),
    ("Speakers", "/products/speakers"),
    ("Help", "/help"),
    ("Returns", "/help/returns"),
]
PLANS = ["free", "plus", "pro"]
CITIES = ["Austin", "Boston", "Chicago", "New York", "San Francisco", "Seattle"]
# What buggy clients send in place of an id; the default blocked values.
JUNK_IDS = ["undefined", "null", "[object Object]", "0", "anonymous"]


@dataclass
class Customer:
    number: int
    first_name: str
    last_name: str
    email: str
    phone: str  # E.164
    user_id: str
    device: str  # the anonymous id of the browser they start on
    contact_id: str  # the anonymous id the contact center writes back with


@dataclass
class DemoSummary:
    customers: int
    events: int
    profiles_created: int
    merges: int
    warnings: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"demo loaded: customers={self.customers} events={self.events} "
            f"profiles_created={self.profiles_created} merges={self.merges} "
            f"warnings={self.warnings} seconds={self.seconds:.1f}"
        )


def demo_events(
    *, customers: int = DEMO_CUSTOMERS, seed: int = DEMO_SEED
) -> list[dict[str, Any]]:
    """The demo messages in time order, each with its messageId and timestamp."""
    rng = random.Random(seed)  # noqa: S311 - seeded demo data, not secrets
    people = [_customer(number, rng) for number in range(customers)]

    timed: list[tuple[datetime, int, dict[str, Any]]] = []
    for person in people:
        start = DEMO_START + timedelta(minutes=rng.randrange(60 * 24 * 28))
        # Every 25th customer browses on the previous customer's computer.
        shared = people[person.number - 1].device if person.number % 25 == 24 else None
        at = start
        for message in _journey(person, rng, shared_device=shared):
            at += timedelta(minutes=rng.randrange(1, 600))
            timed.append((at, len(timed), message))

    timed.sort(key=lambda item: (item[0], item[1]))
    messages = []
    for index, (at, _, message) in enumerate(timed):
        message["messageId"] = f"demo-{seed}-{index}"
        message["timestamp"] = at.isoformat().replace("+00:00", "Z")
        messages.append(message)
    return messages


def load_demo(
    *, customers: int = DEMO_CUSTOMERS, seed: int = DEMO_SEED, actor: str = "cli"
) -> DemoSummary:
    """Map the contact-center address types and resolve the demo events."""
    started = time.monotonic()
    map_demo_address_types(actor=actor)

    summary = DemoSummary(customers, 0, 0, 0, 0, 0.0)
    messages = demo_events(customers=customers, seed=seed)
    for start in range(0, len(messages), DEMO_BATCH_SIZE):
        # One commit per batch, each message a savepoint inside it: the demo
        # loads before the console starts, so no other writer waits on it.
        with transaction.atomic():
            for message in messages[start : start + DEMO_BATCH_SIZE]:
                result = ingest_message(message, source=DEMO_SOURCE)
                if result.duplicate:
                    continue
                summary.events += 1
                summary.profiles_created += int(result.created)
                summary.merges += result.merges
                summary.warnings += len(result.warnings)

    summary.seconds = time.monotonic() - started
    logger.info("demo loaded: %s events, %s merges", summary.events, summary.merges)
    return summary


@transaction.atomic
def map_demo_address_types(*, actor: str) -> None:
    """Map voice, SMS and WhatsApp to phone and email to email, audited."""
    identifiers = Identifier.objects.in_bulk(DEMO_MAPPINGS.values(), field_name="key")
    for address_type in AddressType.objects.filter(key__in=DEMO_MAPPINGS):
        map_address_type(
            address_type=address_type,
            identifier=identifiers[DEMO_MAPPINGS[address_type.key]],
            actor=actor,
        )


def _customer(number: int, rng: random.Random) -> Customer:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    area = AREA_CODES[number % len(AREA_CODES)]
    line = 100 + (number // len(AREA_CODES)) % 100
    return Customer(
        number=number,
        first_name=first,
        last_name=last,
        email=f"{first}.{last}{number}@example.com".lower(),
        phone=f"+1{area}5550{line}",
        user_id=f"cus_{number:05d}",
        device=_hex_id(rng),
        contact_id=f"flex_{rng.getrandbits(64):016x}",
    )


def _journey(
    person: Customer, rng: random.Random, *, shared_device: str | None
) -> Iterator[dict[str, Any]]:
    """One customer's messages in the order they happen."""
    device = shared_device or person.device
    for _ in range(rng.randint(1, 4)):
        yield _page_view(device, rng)

    signed_up = rng.random() < 0.75
    if signed_up:
        yield from _sign_up(person, rng, device=device)
        if rng.random() < 0.3:
            yield from _mobile_session(person, rng)
        for _ in range(rng.randint(0, 3)):
            yield _order(person, rng)

    # The contact center writes back with its own id for the customer and the
    # address they reached it from; the mapped phone and email join them up.
    if rng.random() < 0.4:
        yield _contact(person, "voice", "Call Completed", phone=person.phone)
    if rng.random() < 0.2:
        yield _contact(person, "sms", "SMS Received", phone=_spaced(person.phone))
    if rng.random() < 0.25:
        whatsapp = f"whatsapp:{person.phone}"
        yield _contact(person, "whatsapp", "WhatsApp Message Received", phone=whatsapp)
    if rng.random() < 0.35:
        email = person.email if rng.random() < 0.7 else person.email.title()
        yield _contact(person, "email", "Email Received", email=email)

    if signed_up and rng.random() < 0.2:
        yield {
            "type": "identify",
            "userId": person.user_id,
            "traits": {"plan": "pro", "city": rng.choice(CITIES)},
        }
    # A buggy client build sends junk ids: blocked, never joining strangers.
    if person.number % 20 == 7:
        yield {
            "type": "identify",
            "userId": rng.choice(JUNK_IDS),
            "anonymousId": person.device,
            "traits": {"email": person.email, "app_version": "2.0.0-beta"},
        }
    if signed_up and person.number % 20 == 13:
        yield {
            "type": "track",
            "event": "Wishlist Viewed",
            "userId": person.user_id,
            "anonymousId": rng.choice(JUNK_IDS),
        }


def _page_view(device: str, rng: random.Random) -> dict[str, Any]:
    name, path = rng.choice(PAGES)
    return {
        "type": "page",
        "anonymousId": device,
        "name": name,
        "properties": {"path": path, "url": f"https://shop.example.com{path}"},
    }


def _sign_up(
    person: Customer, rng: random.Random, *, device: str
) -> Iterator[dict[str, Any]]:
    traits: dict[str, Any] = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "name": f"{person.first_name} {person.last_name}",
        "plan": rng.choice(PLANS),
    }
    if rng.random() < 0.55:
        traits["phone"] = _national(person.phone)
    yield {
        "type": "identify",
        "userId": person.user_id,
        "anonymousId": device,
        "traits": traits,
    }
    yield {
        "type": "track",
        "event": "Signed Up",
        "userId": person.user_id,
        "anonymousId": device,
        "properties": {"plan": traits["plan"]},
    }


def _mobile_session(person: Customer, rng: random.Random) -> Iterator[dict[str, Any]]:
    """The app on their phone: a new anonymous id until they log in."""
    app_device = _hex_id(rng)
    device = {"type": rng.choice(["ios", "android"]), "id": _hex_id(rng)}
    yield {
        "type": "screen",
        "anonymousId": app_device,
        "name": "Catalogue",
        "context": {"device": dict(device)},
    }
    yield {
        "type": "identify",
        "userId": person.user_id,
        "anonymousId": app_device,
        "context": {"device": dict(device)},
    }


def _order(person: Customer, rng: random.Random) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "userId": person.user_id,
        "properties": {
            "order_id": f"ord_{_hex_id(rng)[:10]}",
            "revenue": round(rng.uniform(15, 400), 2),
            "currency": "USD",
        },
    }


def _contact(
    person: Customer, channel: str, event: str, **address: str
) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "anonymousId": person.contact_id,
        "properties": {"channel": channel, **address},
    }


def _national(e164: str) -> str:
    """+14155550123 -> (415) 555-0123, as a sign-up form would take it."""
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def _spaced(e164: str) -> str:
    return f"+1 {e164[2:5]}-{e164[5:8]}-{e164[8:]}"


def _hex_id(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
