"""The Identifiers tab: page content, row actions with and without htmx,
validation, permissions and the audit trail (DOMAIN.md 1.3, scenarios 5-7)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from console.forms import IDENTIFIER_UNKNOWN, SEARCH_CHOICE_UNKNOWN
from profiles.identifiers import (
    configure_identifier,
    delete_identifier,
    map_address_type,
    rename_identifier,
)
from profiles.models import AddressType, AuditEntry, Identifier
from tests.console.conftest import squash

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
DEFAULT_KEYS = [
    "user_id", "email", "phone", "android.id", "android.idfa", "android.push_token",
    "anonymous_id", "ga_client_id", "ios.id", "ios.idfa", "ios.push_token",
]  # fmt: skip
LABELS = ["Voice", "SMS", "WhatsApp", "Email", "Chat", "Messenger"]


def page_html(client: Client, url: str = "/identifiers/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return squash(response.content.decode())


def identifier_rows(html: str) -> list[tuple[str, str, str, str, str, str]]:
    """(priority, display name, key, type, limit, window) per listed row."""
    return re.findall(
        r'<td class="priority">(\d+)</td><td class="display-name">'
        r'<span class="name">([^<]*)</span>.*?<code>([^<]*)</code></td>'
        r'<td class="type"><span class="badge \w+">(\w+)</span></td>'
        r'<td class="limit">(\d+)</td><td class="window">(\w+)</td>',
        html,
    )


def address_type_rows(html: str) -> list[tuple[str, str, str]]:
    """(label, identifier cell, search cell) per mapping row."""
    return [
        (label, mapped.strip(), search)
        for label, mapped, search in re.findall(
            r'<th scope="row" class="label">([^<]*)</th>'
            r'<td class="mapped">([^<]*)(?:<p[^>]*>[^<]*</p>)*</td>'
            r'<td class="search">(\w+)</td>',
            html,
        )
    ]


def identifier_row(identifier: Identifier, name: str, *, edit_link: bool) -> str:
    key, pk = identifier.key, identifier.pk
    edit = (
        f'<a class="edit" href="/identifiers/?edit={key}#identifier-{pk}" '
        f'hx-get="/identifiers/{key}/edit/" hx-target="closest tr" '
        f'hx-swap="outerHTML" aria-label="Edit display name of {key}">Edit</a>'
        if edit_link
        else ""
    )
    return (
        f'<tr id="identifier-{pk}"><td class="priority">{identifier.priority}</td>'
        f'<td class="display-name"><span class="name">{name}</span>{edit}</td>'
        f'<td class="key"><code>{key}</code></td><td class="type">'
        '<span class="badge default">Default</span></td>'
        f'<td class="limit">{identifier.limit}</td><td class="window">Ever</td></tr>'
    )


def edit_row(identifier: Identifier, value: str, error: str = "") -> str:
    key, pk = identifier.key, identifier.pk
    invalid = (
        f' aria-invalid="true" aria-describedby="display-name-error-{pk}"'
        if error
        else ""
    )
    message = (
        f'<p class="field-error" id="display-name-error-{pk}" role="alert">{error}</p>'
        if error
        else ""
    )
    return (
        f'<tr id="identifier-{pk}"><td class="priority">{identifier.priority}</td>'
        '<td class="display-name"><form class="inline-edit" method="post" '
        f'action="/identifiers/{key}/display-name/" '
        f'hx-post="/identifiers/{key}/display-name/" hx-target="closest tr" '
        'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="CSRF"><label class="visually-hidden" '
        f'for="display-name-{pk}">Display name of {key}</label>'
        f'<input id="display-name-{pk}" name="display_name" value="{value}" '
        f'autofocus{invalid}><button type="submit">Save</button>'
        '<a class="cancel" href="/identifiers/" '
        f'hx-get="/identifiers/{key}/row/" hx-target="closest tr" '
        f'hx-swap="outerHTML">Cancel</a>{message}</form></td>'
        f'<td class="key"><code>{key}</code></td><td class="type">'
        '<span class="badge default">Default</span></td>'
        f'<td class="limit">{identifier.limit}</td><td class="window">Ever</td></tr>'
    )


def address_type_row(
    address_type: AddressType,
    *,
    mapped: str,
    search_on: bool,
    options: list[tuple[str, str]],
    selected: str = "",
    note: str = "",
    oob: bool = False,
) -> str:
    key, pk, label = address_type.key, address_type.pk, address_type.label
    form = (
        f'<form method="post" action="/address-types/{key}/{{action}}/" '
        f'hx-post="/address-types/{key}/{{action}}/" hx-target="closest tr" '
        'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="CSRF">'
    )
    toggle = (
        '<input type="hidden" name="search" value="disabled"><button type="submit" '
        'class="menu-item">Disable search by this address type</button>'
        if search_on
        else '<input type="hidden" name="search" value="enabled"><button '
        'type="submit" class="menu-item">Enable search by this address type</button>'
    )
    clear = (
        form.format(action="clear")
        + '<button type="submit" class="menu-item">Clear mapping</button></form>'
        if selected
        else ""
    )
    swap = ' hx-swap-oob="true"' if oob else ""
    placeholder = (
        ""
        if selected
        else '<option value="" selected disabled>Choose an identifier…</option>'
    )
    choices = placeholder + "".join(
        f'<option value="{option_key}"'
        f"{' selected' if option_key == selected else ''}>{name} ({option_key})"
        "</option>"
        for option_key, name in options
    )
    return (
        f'<tr id="address-type-{pk}"{swap}>'
        f'<th scope="row" class="label">{label}</th>'
        f'<td class="mapped">{mapped}{note}</td>'
        f'<td class="search">{"Enabled" if search_on else "Disabled"}</td>'
        '<td class="actions"><button type="button" class="menu-button" '
        'aria-haspopup="true" aria-expanded="false" '
        f'aria-controls="address-type-menu-{pk}" aria-label="Actions for {label}">'
        f'⋮</button><div class="row-menu" id="address-type-menu-{pk}">'
        '<button type="button" class="menu-item js-only" '
        f'data-opens="address-type-picker-{pk}">Select identifier</button>'
        + form.format(action="search")
        + toggle
        + "</form>"
        + clear
        + "</div>"
        + f'<form class="picker" id="address-type-picker-{pk}" method="post" '
        f'action="/address-types/{key}/identifier/" '
        f'hx-post="/address-types/{key}/identifier/" hx-target="closest tr" '
        'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" '
        f'value="CSRF"><label for="address-type-identifier-{pk}">Identifier for '
        f'{label}</label><select id="address-type-identifier-{pk}" '
        f'name="identifier" required>{choices}</select><button type="submit">'
        'Save mapping</button><button type="button" class="picker-cancel js-only">'
        "Cancel</button></form></td></tr>"
    )


def default_options(**names: str) -> list[tuple[str, str]]:
    return [(key, names.get(key, key)) for key in DEFAULT_KEYS]


def audit() -> list[tuple]:
    return list(
        AuditEntry.objects.order_by("id").values_list(
            "actor_label", "action", "target", "before", "after"
        )
    )


# The page.


def test_home_redirects_to_the_identifiers_tab(editor_client):
    assert editor_client.get("/").url == "/identifiers/"


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/identifiers/").url == "/login/?next=/identifiers/"

    response = client.post("/identifiers/phone/display-name/", {"display_name": "x"})

    assert response.url == "/login/?next=/identifiers/phone/display-name/"
    assert Identifier.objects.get(key="phone").display_name == "phone"


def test_scenario_5_lists_the_default_identifiers_in_priority_order(editor_client):
    rows = identifier_rows(page_html(editor_client))

    windows = {"anonymous_id": "Weekly", "ga_client_id": "Monthly"}
    assert rows == [
        (
            str(priority),
            key,
            key,
            "Default",
            "1" if key == "user_id" else "5",
            windows.get(key, "Ever"),
        )
        for priority, key in enumerate(DEFAULT_KEYS, start=1)
    ]


def test_scenario_5_a_custom_identifier_is_badged_and_listed_last(editor_client):
    configure_identifier(key="loyalty_id", actor="cli")

    rows = identifier_rows(page_html(editor_client))

    assert len(rows) == 12
    assert rows[-1] == ("12", "loyalty_id", "loyalty_id", "Custom", "5", "Ever")


def test_scenario_25_the_tab_shows_the_new_order(editor_client):
    configure_identifier(key="loyalty_id", actor="cli")
    configure_identifier(key="crm_id", priority=3, actor="cli")

    rows = identifier_rows(page_html(editor_client))

    assert [(priority, key) for priority, _, key, *_ in rows] == list(
        zip(
            map(str, range(1, 14)),
            ["user_id", "email", "crm_id", *DEFAULT_KEYS[2:], "loyalty_id"],
            strict=True,
        )
    )


def test_the_page_says_where_the_order_is_changed(editor_client):
    html = page_html(editor_client)

    assert (
        "Priority 1 is searched first. The order is read-only here: change it in "
        "the identity-resolution settings, that is "
        '<a href="/admin/profiles/identifier/">Django admin</a> or '
        "<code>manage.py configure_identifier KEY --priority N</code>."
    ) in html


def test_scenario_7_mapping_table_initial_state(editor_client):
    html = page_html(editor_client)

    assert address_type_rows(html) == [
        (label, "Not mapped", "Enabled") for label in LABELS
    ]
    for address_type in AddressType.objects.all():
        assert (
            address_type_row(
                address_type,
                mapped="Not mapped",
                search_on=True,
                options=default_options(),
            )
            in html
        )


def test_scenario_6_a_new_display_name_shows_everywhere_on_the_tab(editor_client):
    sms = AddressType.objects.get(key="sms")
    phone = Identifier.objects.get(key="phone")
    map_address_type(address_type=sms, identifier=phone, actor="cli")
    rename_identifier(identifier=phone, display_name="Phone number", actor="cli")

    html = page_html(editor_client)

    assert identifier_row(phone, "Phone number", edit_link=True) in html
    assert address_type_rows(html)[1] == ("SMS", "Phone number", "Enabled")
    assert '<option value="phone">Phone number (phone)</option>' in html
    assert '<option value="phone" selected>Phone number (phone)</option>' in html


# Renaming in place.


def test_edit_returns_the_row_with_an_input(editor_client):
    phone = Identifier.objects.get(key="phone")

    response = editor_client.get("/identifiers/phone/edit/", **HX)

    assert squash(response.content.decode()) == edit_row(phone, "phone")


def test_edit_without_javascript_opens_the_row_on_the_page(editor_client):
    phone = Identifier.objects.get(key="phone")

    response = editor_client.get("/identifiers/phone/edit/")

    assert response.url == f"/identifiers/?edit=phone#identifier-{phone.pk}"
    assert edit_row(phone, "phone") in page_html(
        editor_client, "/identifiers/?edit=phone"
    )


def test_cancel_returns_the_row_as_shown(editor_client):
    phone = Identifier.objects.get(key="phone")

    response = editor_client.get("/identifiers/phone/row/", **HX)

    assert squash(response.content.decode()) == identifier_row(
        phone, "phone", edit_link=True
    )


def test_rename_with_htmx_returns_the_row_and_refreshes_the_rest(editor_client):
    phone = Identifier.objects.get(key="phone")
    sms = AddressType.objects.get(key="sms")
    map_address_type(address_type=sms, identifier=phone, actor="cli")

    response = editor_client.post(
        "/identifiers/phone/display-name/", {"display_name": " Phone number "}, **HX
    )

    html = squash(response.content.decode())
    assert response.status_code == 200
    assert html.startswith(identifier_row(phone, "Phone number", edit_link=True))
    assert (
        address_type_row(
            sms,
            mapped="Phone number",
            search_on=True,
            options=default_options(phone="Phone number"),
            selected="phone",
            oob=True,
        )
        in html
    )
    assert html.count('hx-swap-oob="true"') == 7
    assert re.search(
        r'<section id="recent-changes" [^>]*hx-swap-oob="true">.*'
        r'<span class="who">editor</span>: Renamed identifier <code>phone</code> '
        r"\(display_name: phone → Phone number\)</li>",
        html,
    )
    assert audit()[-1] == (
        "editor",
        "identifier.rename",
        "phone",
        {"display_name": "phone"},
        {"display_name": "Phone number"},
    )


def test_rename_without_javascript_redirects_back_with_a_message(editor_client):
    response = editor_client.post(
        "/identifiers/phone/display-name/", {"display_name": "Phone number"}
    )

    assert response.url == "/identifiers/"
    html = page_html(editor_client)
    assert '<li class="message success">Display name of phone saved.</li>' in html
    assert identifier_rows(html)[2][1] == "Phone number"


def test_a_repeated_rename_is_applied_and_audited_once(editor_client):
    for _ in range(2):
        editor_client.post(
            "/identifiers/phone/display-name/", {"display_name": "Phone number"}, **HX
        )

    assert [entry[1] for entry in audit()] == ["identifier.rename"]


@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ({"display_name": "USER_ID"}, "The display name “USER_ID” is already used by"
         " user_id."),
        ({"display_name": "x" * 65}, "A display name is at most 64 characters."),
        ({}, "This field is missing from the request."),
    ],
)  # fmt: skip
def test_a_refused_name_shows_its_reason_in_the_row(editor_client, posted, error):
    phone = Identifier.objects.get(key="phone")

    response = editor_client.post("/identifiers/phone/display-name/", posted, **HX)

    assert response.status_code == 422
    value = posted.get("display_name", "phone")
    assert squash(response.content.decode()) == edit_row(phone, value, error)
    assert Identifier.objects.get(key="phone").display_name == "phone"
    assert AuditEntry.objects.count() == 0


def test_a_refused_name_without_javascript_shows_the_page_with_the_reason(
    editor_client,
):
    phone = Identifier.objects.get(key="phone")

    response = editor_client.post(
        "/identifiers/phone/display-name/", {"display_name": "Email"}
    )

    assert response.status_code == 422
    html = squash(response.content.decode())
    error = "The display name “Email” is already used by email."
    assert edit_row(phone, "Email", error) in html
    assert identifier_rows(html)[0][1] == "user_id"


def test_a_blank_name_resets_to_the_key(editor_client):
    phone = Identifier.objects.get(key="phone")
    rename_identifier(identifier=phone, display_name="Phone number", actor="cli")

    response = editor_client.post(
        "/identifiers/phone/display-name/", {"display_name": "  "}, **HX
    )

    phone.refresh_from_db()
    assert phone.display_name == "phone"
    assert squash(response.content.decode()).startswith(
        identifier_row(phone, "phone", edit_link=True)
    )


def test_unknown_identifier_or_address_type_is_a_404(editor_client):
    assert editor_client.get("/identifiers/nope/edit/", **HX).status_code == 404
    assert editor_client.post("/address-types/fax/clear/", **HX).status_code == 404


def test_actions_accept_only_post(editor_client):
    assert editor_client.get("/identifiers/phone/display-name/").status_code == 405
    assert editor_client.get("/address-types/sms/search/").status_code == 405


# The address-type row menu.


def test_select_identifier_with_htmx_returns_the_row(editor_client):
    sms = AddressType.objects.get(key="sms")

    response = editor_client.post(
        "/address-types/sms/identifier/", {"identifier": "phone"}, **HX
    )

    html = squash(response.content.decode())
    expected = address_type_row(
        sms,
        mapped="phone",
        search_on=True,
        options=default_options(),
        selected="phone",
    )
    assert html.startswith(expected)
    assert html[len(expected) :].startswith(
        '<section id="recent-changes" aria-labelledby="recent-changes-heading" '
        'hx-swap-oob="true">'
    )
    sms.refresh_from_db()
    assert sms.identifier.key == "phone"


def test_select_identifier_without_javascript_redirects_back(editor_client):
    response = editor_client.post(
        "/address-types/sms/identifier/", {"identifier": "phone"}
    )

    assert response.url == "/identifiers/"
    html = page_html(editor_client)
    assert '<li class="message success">SMS: mapping saved.</li>' in html
    assert address_type_rows(html)[1] == ("SMS", "phone", "Enabled")


def test_disable_then_enable_search_keeps_the_mapping(editor_client):
    sms = AddressType.objects.get(key="sms")
    map_address_type(
        address_type=sms, identifier=Identifier.objects.get(key="phone"), actor="cli"
    )

    response = editor_client.post(
        "/address-types/sms/search/", {"search": "disabled"}, **HX
    )

    assert squash(response.content.decode()).startswith(
        address_type_row(
            sms,
            mapped="phone",
            search_on=False,
            options=default_options(),
            selected="phone",
        )
    )

    response = editor_client.post("/address-types/sms/search/", {"search": "enabled"})

    assert response.url == "/identifiers/"
    sms.refresh_from_db()
    assert (sms.identifier.key, sms.search_enabled) == ("phone", True)


def test_clear_mapping_returns_to_not_mapped(editor_client):
    sms = AddressType.objects.get(key="sms")
    map_address_type(
        address_type=sms, identifier=Identifier.objects.get(key="phone"), actor="cli"
    )

    response = editor_client.post("/address-types/sms/clear/", **HX)

    assert squash(response.content.decode()).startswith(
        address_type_row(
            sms, mapped="Not mapped", search_on=True, options=default_options()
        )
    )


def test_double_submits_of_row_actions_change_things_once(editor_client):
    for _ in range(2):
        editor_client.post("/address-types/sms/identifier/", {"identifier": "phone"})
        editor_client.post("/address-types/sms/search/", {"search": "disabled"}, **HX)
    for _ in range(2):
        editor_client.post("/address-types/sms/clear/")

    assert audit() == [
        ("editor", "address_type.map", "sms", {"identifier": None},
         {"identifier": "phone"}),
        ("editor", "address_type.search", "sms", {"search_enabled": True},
         {"search_enabled": False}),
        ("editor", "address_type.clear", "sms", {"identifier": "phone"},
         {"identifier": None}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "posted", "error"),
    [
        ("identifier", {"identifier": "fax_id"}, IDENTIFIER_UNKNOWN),
        ("identifier", {}, IDENTIFIER_UNKNOWN),
        ("search", {"search": "maybe"}, SEARCH_CHOICE_UNKNOWN),
    ],
)  # fmt: skip
def test_refused_row_actions_show_the_reason(editor_client, url, posted, error):
    sms = AddressType.objects.get(key="sms")

    response = editor_client.post(f"/address-types/sms/{url}/", posted, **HX)

    assert response.status_code == 422
    note = f'<p class="field-error" role="alert">{error}</p>'
    assert squash(response.content.decode()) == address_type_row(
        sms, mapped="Not mapped", search_on=True, options=default_options(), note=note
    )
    assert AuditEntry.objects.count() == 0

    page = editor_client.post(f"/address-types/sms/{url}/", posted)

    assert page.status_code == 422
    assert note in squash(page.content.decode())


def test_a_deleted_identifier_leaves_a_warning_on_its_row(editor_client):
    configure_identifier(key="crm_id", actor="cli")
    crm = Identifier.objects.get(key="crm_id")
    map_address_type(
        address_type=AddressType.objects.get(key="chat"), identifier=crm, actor="cli"
    )
    delete_identifier(identifier=crm, actor="cli")

    html = page_html(editor_client)

    assert address_type_rows(html)[4] == ("Chat", "Not mapped", "Enabled")
    assert (
        '<td class="mapped">Not mapped<p class="warning" role="status">The '
        "identifier it was mapped to (crm_id) was deleted.</p></td>"
    ) in html


def test_latest_changes_lists_the_ten_newest(editor_client):
    sms = AddressType.objects.get(key="sms")
    for number in range(12):
        enabled = number % 2 == 1
        editor_client.post(
            "/address-types/sms/search/",
            {"search": "enabled" if enabled else "disabled"},
        )

    html = page_html(editor_client)

    items = re.findall(r"<li><time[^>]*>[^<]*</time><span class=\"who\">(\w+)</span>: "
                       r"([^<]*)<code>(\w+)</code> \(([^)]*)\)</li>", html)  # fmt: skip
    assert len(items) == 10
    assert items[0] == (
        "editor",
        "Switched search of ",
        "sms",
        "search_enabled: off → on",
    )
    assert items[1] == (
        "editor",
        "Switched search of ",
        "sms",
        "search_enabled: on → off",
    )
    assert sms.pk


# Permissions.


def test_a_read_only_user_sees_no_controls(viewer_client):
    html = page_html(viewer_client)

    assert (
        '<p class="note read-only" role="note"> You can view these settings but not '
        "change them. </p>"
    ) in html
    assert 'class="edit"' not in html
    assert "menu-button" not in html
    assert "<form" not in html.split("<main>")[1]
    assert len(identifier_rows(html)) == 11


def test_a_read_only_user_cannot_open_the_editor(viewer_client):
    assert viewer_client.get("/identifiers/phone/edit/", **HX).status_code == 403
    html = page_html(viewer_client, "/identifiers/?edit=phone")
    assert "inline-edit" not in html


@pytest.mark.parametrize(
    ("url", "posted"),
    [
        ("/identifiers/phone/display-name/", {"display_name": "Hacked"}),
        ("/address-types/sms/identifier/", {"identifier": "phone"}),
        ("/address-types/sms/search/", {"search": "disabled"}),
        ("/address-types/sms/clear/", {}),
    ],
)
def test_forged_posts_from_a_read_only_user_are_refused(viewer_client, url, posted):
    before = (
        list(Identifier.objects.values()),
        list(AddressType.objects.values()),
    )

    assert viewer_client.post(url, posted).status_code == 403
    assert viewer_client.post(url, posted, **HX).status_code == 403

    after = (list(Identifier.objects.values()), list(AddressType.objects.values()))
    assert after == before
    assert AuditEntry.objects.count() == 0


def _client_with(username: str, codename: str) -> Client:
    user = User.objects.create_user(username, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_each_permission_gates_its_own_table():
    names = _client_with("names", "change_identifier")
    mappings = _client_with("mappings", "change_addresstype")

    assert (
        names.post("/identifiers/phone/display-name/", {"display_name": "Phone"})
    ).status_code == 302
    assert (
        names.post("/address-types/sms/identifier/", {"identifier": "phone"})
    ).status_code == 403
    assert (
        mappings.post("/identifiers/phone/display-name/", {"display_name": "P"})
    ).status_code == 403
    assert (
        mappings.post("/address-types/sms/identifier/", {"identifier": "phone"})
    ).status_code == 302

    names_page = page_html(names)
    assert 'class="edit"' in names_page
    assert "menu-button" not in names_page
    assert "You can view address-type mappings but not change them." in names_page
    mappings_page = page_html(mappings)
    assert 'class="edit"' not in mappings_page
    assert "menu-button" in mappings_page
    assert "You can view display names but not change them." in mappings_page


def test_a_superuser_can_edit_both(client):
    admin = User.objects.create_superuser("root", password="s3cret-pass")
    client.force_login(admin)

    client.post("/identifiers/phone/display-name/", {"display_name": "Phone"})
    client.post("/address-types/sms/identifier/", {"identifier": "phone"})

    assert [(who, action) for who, action, *_ in audit()] == [
        ("root", "identifier.rename"),
        ("root", "address_type.map"),
    ]
    assert 'class="note read-only"' not in page_html(client)
