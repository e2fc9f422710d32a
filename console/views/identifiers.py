"""The Identifiers tab: identifier display names and address-type mappings.

Each action is one small endpoint. With htmx it answers with the row it
changed (plus the recent-changes list, swapped out of band); without
JavaScript the same form post redirects back to the page, or shows the page
again with the reason in the row when the input was refused (status 422).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from console.forms import (
    AddressTypeMappingForm,
    AddressTypeSearchForm,
    DisplayNameForm,
)
from profiles.identifiers import (
    clear_address_type_mapping,
    map_address_type,
    orphaned_address_types,
    recent_settings_changes,
    rename_identifier,
    set_address_type_search,
)
from profiles.models import AddressType, AuditEntry, Identifier

CHANGE_IDENTIFIER = "profiles.change_identifier"
CHANGE_ADDRESS_TYPE = "profiles.change_addresstype"
PAGE = "console/identifiers/index.html"
IDENTIFIER_ROW = "console/identifiers/_identifier_row.html"
IDENTIFIER_SWAP = "console/identifiers/_identifier_swap.html"
ADDRESS_TYPE_ROW = "console/identifiers/_address_type_row.html"
ADDRESS_TYPE_SWAP = "console/identifiers/_address_type_swap.html"
INVALID_STATUS = 422

ACTION_LABELS = {
    "identifier.create": "Added identifier",
    "identifier.update": "Changed identifier",
    "identifier.rename": "Renamed identifier",
    "identifier.delete": "Deleted identifier",
    "identifier.block_value": "Blocked a value of",
    "identifier.block_pattern": "Blocked a pattern of",
    "address_type.map": "Mapped address type",
    "address_type.clear": "Cleared mapping of",
    "address_type.search": "Switched search of",
    "address_type.orphaned": "Identifier deleted under",
    "blocked_value.add": "Blocked a value of",
    "blocked_value.remove": "Unblocked a value of",
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# Pages and rows.


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("identifiers")


@require_GET
@login_required
def identifiers_page(request: HtmxHttpRequest) -> HttpResponse:
    return _page(request, editing=request.GET.get("edit", ""))


@require_GET
@login_required
def identifier_row(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """The row as shown (what Cancel brings back)."""
    identifier = get_object_or_404(Identifier, key=key)
    if not request.htmx:
        return redirect("identifiers")
    return _identifier_row(request, identifier)


@require_GET
@login_required
@permission_required(CHANGE_IDENTIFIER, raise_exception=True)
def identifier_edit_row(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """The row with its display name open for editing."""
    identifier = get_object_or_404(Identifier, key=key)
    if not request.htmx:
        return redirect(_edit_url(identifier))
    return _identifier_row(request, identifier, editing=True)


# Actions.


@require_POST
@login_required
@permission_required(CHANGE_IDENTIFIER, raise_exception=True)
def identifier_rename(request: HtmxHttpRequest, key: str) -> HttpResponse:
    identifier = get_object_or_404(Identifier, key=key)
    form = DisplayNameForm(request.POST)
    if form.is_valid():
        try:
            identifier = rename_identifier(
                identifier=identifier,
                display_name=form.cleaned_data["display_name"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error("display_name", error)

    if not form.is_valid():
        error = " ".join(form.errors["display_name"])
        value = request.POST.get("display_name", identifier.display_name)
        if request.htmx:
            return _identifier_row(
                request,
                identifier,
                editing=True,
                value=value,
                error=error,
                status=INVALID_STATUS,
            )
        return _page(
            request, editing=key, value=value, error=error, status=INVALID_STATUS
        )

    if request.htmx:
        # The mapping table and its pickers show display names too.
        return _identifier_row(request, identifier, changed=True)
    messages.success(request, f"Display name of {key} saved.")
    return redirect("identifiers")


@require_POST
@login_required
@permission_required(CHANGE_ADDRESS_TYPE, raise_exception=True)
def address_type_map(request: HtmxHttpRequest, key: str) -> HttpResponse:
    address_type = get_object_or_404(AddressType, key=key)
    form = AddressTypeMappingForm(request.POST)
    if not form.is_valid():
        return _address_type_refused(request, address_type, form)

    map_address_type(
        address_type=address_type,
        identifier=form.cleaned_data["identifier"],
        actor=request.user,
    )
    return _address_type_done(request, address_type, "mapping saved")


@require_POST
@login_required
@permission_required(CHANGE_ADDRESS_TYPE, raise_exception=True)
def address_type_clear(request: HtmxHttpRequest, key: str) -> HttpResponse:
    address_type = get_object_or_404(AddressType, key=key)
    clear_address_type_mapping(address_type=address_type, actor=request.user)
    return _address_type_done(request, address_type, "mapping cleared")


@require_POST
@login_required
@permission_required(CHANGE_ADDRESS_TYPE, raise_exception=True)
def address_type_search(request: HtmxHttpRequest, key: str) -> HttpResponse:
    address_type = get_object_or_404(AddressType, key=key)
    form = AddressTypeSearchForm(request.POST)
    if not form.is_valid():
        return _address_type_refused(request, address_type, form)

    set_address_type_search(
        address_type=address_type, enabled=form.enabled, actor=request.user
    )
    state = "enabled" if form.enabled else "disabled"
    return _address_type_done(request, address_type, f"search {state}")


# Rendering.


def _page(
    request: HtmxHttpRequest,
    *,
    editing: str = "",
    value: str | None = None,
    error: str = "",
    address_type_errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit_names = request.user.has_perm(CHANGE_IDENTIFIER)
    identifiers = list(Identifier.objects.order_by("priority"))
    identifier_rows = [
        _identifier_context(
            identifier,
            editing=can_edit_names and identifier.key == editing,
            value=value,
            error=error,
        )
        for identifier in identifiers
    ]
    context = {
        "identifier_rows": identifier_rows,
        "address_type_rows": _address_type_rows(errors=address_type_errors or {}),
        **_shared_context(request, identifiers),
    }
    return render(request, PAGE, context, status=status)


def _shared_context(request: HtmxHttpRequest, identifiers: list[Identifier]) -> dict:
    return {
        "identifiers": identifiers,
        "can_edit_names": request.user.has_perm(CHANGE_IDENTIFIER),
        "can_edit_address_types": request.user.has_perm(CHANGE_ADDRESS_TYPE),
        "changes": describe_changes(recent_settings_changes()),
    }


def _identifier_context(
    identifier: Identifier,
    *,
    editing: bool = False,
    value: str | None = None,
    error: str = "",
) -> dict:
    return {
        "identifier": identifier,
        "editing": editing,
        "value": identifier.display_name if value is None else value,
        "error": error if editing else "",
    }


def _address_type_rows(*, errors: dict[str, str]) -> list[dict]:
    orphaned = orphaned_address_types()
    return [
        {
            "address_type": address_type,
            "orphaned_key": orphaned.get(address_type.key, ""),
            "error": errors.get(address_type.key, ""),
        }
        for address_type in AddressType.objects.select_related("identifier")
    ]


def _identifier_row(
    request: HtmxHttpRequest,
    identifier: Identifier,
    *,
    editing: bool = False,
    value: str | None = None,
    error: str = "",
    changed: bool = False,
    status: int = 200,
) -> HttpResponse:
    row = _identifier_context(identifier, editing=editing, value=value, error=error)
    context = {"row": row, "can_edit_names": request.user.has_perm(CHANGE_IDENTIFIER)}
    if not changed:
        return render(request, IDENTIFIER_ROW, context, status=status)

    # A new display name also shows in the mapping table and its pickers.
    identifiers = list(Identifier.objects.order_by("priority"))
    context["address_type_rows"] = _address_type_rows(errors={})
    context.update(_shared_context(request, identifiers))
    return render(request, IDENTIFIER_SWAP, context, status=status)


def _address_type_refused(
    request: HtmxHttpRequest, address_type: AddressType, form
) -> HttpResponse:
    error = " ".join(message for errors in form.errors.values() for message in errors)
    if not request.htmx:
        return _page(
            request,
            address_type_errors={address_type.key: error},
            status=INVALID_STATUS,
        )
    row = next(
        row
        for row in _address_type_rows(errors={address_type.key: error})
        if row["address_type"].pk == address_type.pk
    )
    return _address_type_row(request, row, status=INVALID_STATUS)


def _address_type_done(
    request: HtmxHttpRequest, address_type: AddressType, what: str
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, f"{address_type.label}: {what}.")
        return redirect("identifiers")
    row = next(
        row
        for row in _address_type_rows(errors={})
        if row["address_type"].pk == address_type.pk
    )
    return _address_type_row(request, row, template=ADDRESS_TYPE_SWAP)


def _address_type_row(
    request: HtmxHttpRequest,
    row: dict,
    *,
    template: str = ADDRESS_TYPE_ROW,
    status: int = 200,
) -> HttpResponse:
    identifiers = list(Identifier.objects.order_by("priority"))
    context = {"row": row, **_shared_context(request, identifiers)}
    return render(request, template, context, status=status)


def _edit_url(identifier: Identifier) -> str:
    query = urlencode({"edit": identifier.key})
    return f"{reverse('identifiers')}?{query}#identifier-{identifier.pk}"


def describe_changes(entries: list[AuditEntry]) -> list[dict]:
    """Audit entries as the page lists them: when, who, what, from and to."""
    return [
        {
            "when": entry.created_at,
            "who": entry.actor_label or "unknown",
            "what": ACTION_LABELS.get(entry.action, entry.action),
            "target": entry.target,
            "summary": _summary(entry.before, entry.after),
        }
        for entry in entries
    ]


def _summary(before: object, after: object) -> str:
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    parts = []
    for name in [*after, *(name for name in before if name not in after)]:
        if name in before and name in after:
            old, new = _shown(before[name]), _shown(after[name])
            parts.append(f"{name}: {old} → {new}")
        else:
            parts.append(f"{name}: {_shown(after.get(name, before.get(name)))}")
    return "; ".join(parts)


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
