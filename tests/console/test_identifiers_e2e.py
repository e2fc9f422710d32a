"""The Identifiers tab in headless Chromium: htmx swaps, the ⋮ menu, the
keyboard, and everything still there after a reload."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from profiles.models import AddressType, AuditEntry, Identifier

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_settings"),
]


@pytest.fixture
def logged_in(page: Page, live_server) -> Page:
    User.objects.create_superuser("admin", password="s3cret-pass")
    page.goto(live_server.url + "/")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("s3cret-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/identifiers/")
    return page


def test_rename_map_and_toggle_search_then_reload(logged_in: Page):
    page = logged_in
    phone = Identifier.objects.get(key="phone")
    sms = AddressType.objects.get(key="sms")
    phone_row = page.locator(f"#identifier-{phone.pk}")
    sms_row = page.locator(f"#address-type-{sms.pk}")

    phone_row.get_by_role("link", name="Edit display name of phone").click()
    name_input = phone_row.get_by_label("Display name of phone", exact=True)
    expect(name_input).to_be_focused()
    name_input.fill("Phone number")
    name_input.press("Enter")
    expect(phone_row.locator(".name")).to_have_text("Phone number")
    expect(
        phone_row.get_by_role("link", name="Edit display name of phone")
    ).to_be_focused()

    menu_button = sms_row.get_by_role("button", name="Actions for SMS")
    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    sms_row.get_by_role("button", name="Select identifier").click()
    sms_row.get_by_label("Identifier for SMS").select_option("phone")
    sms_row.get_by_role("button", name="Save mapping").click()
    expect(sms_row.locator(".mapped")).to_have_text("Phone number")

    sms_row.get_by_role("button", name="Actions for SMS").click()
    sms_row.get_by_role("button", name="Disable search by this address type").click()
    expect(sms_row.locator(".search")).to_have_text("Disabled")
    expect(page.locator("#recent-changes li").first).to_contain_text(
        "Switched search of sms (search_enabled: on → off)"
    )

    sms_row.get_by_role("button", name="Actions for SMS").click()
    sms_row.get_by_role("button", name="Enable search by this address type").click()
    expect(sms_row.locator(".search")).to_have_text("Enabled")

    page.reload()

    expect(phone_row.locator(".name")).to_have_text("Phone number")
    expect(sms_row.locator(".mapped")).to_have_text("Phone number")
    expect(sms_row.locator(".search")).to_have_text("Enabled")
    sms.refresh_from_db()
    assert (sms.identifier_id, sms.search_enabled) == (phone.pk, True)
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "identifier.rename",
        "address_type.map",
        "address_type.search",
        "address_type.search",
    ]


def test_menu_and_edit_follow_the_keyboard(logged_in: Page):
    page = logged_in
    voice = AddressType.objects.get(key="voice")
    email = Identifier.objects.get(key="email")
    voice_row = page.locator(f"#address-type-{voice.pk}")
    menu_button = voice_row.get_by_role("button", name="Actions for Voice")
    menu = voice_row.locator(".row-menu")

    expect(menu).to_be_hidden()
    menu_button.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(voice_row.get_by_role("button", name="Select identifier")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(menu_button).to_be_focused()

    menu_button.click()
    page.get_by_role("heading", name="Identifiers", exact=True).click()
    expect(menu).to_be_hidden()

    email_row = page.locator(f"#identifier-{email.pk}")
    email_row.get_by_role("link", name="Edit display name of email").click()
    name_input = email_row.get_by_label("Display name of email", exact=True)
    name_input.fill("user_id")
    name_input.press("Enter")
    expect(email_row.get_by_role("alert")).to_have_text(
        "The display name “user_id” is already used by user_id."
    )
    email_row.get_by_label("Display name of email", exact=True).press("Escape")
    expect(email_row.locator(".name")).to_have_text("email")
    expect(
        email_row.get_by_role("link", name="Edit display name of email")
    ).to_be_focused()
    assert Identifier.objects.get(key="email").display_name == "email"
