"""The Profiles pages: search by any identifier, and the profile card.

Search works as a plain GET form and, with htmx, swaps only the results (the
URL is pushed, so a search can be bookmarked and Back works). The card's
actions are plain form posts that redirect back with a message; a refused
form shows the card again with the reason beside the form (status 422).
Every action is safe to submit twice: a repeat says "already present",
"already merged" or "already deleted" and changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from profiles.deletion import (
    IdentifierNotFound,
    LastUserIdRefused,
    ProfileGone,
    delete_profile,
    remove_identifier,
)
from profiles.merge import (
    AlreadyMerged,
    AlreadyPresent,
    IdentifierRefused,
    MergeRefused,
    add_identifier,
    merge_profiles,
)
from profiles.models import Event, Identifier, Merge, Profile
from profiles.profile_actions import (
    ANY_IDENTIFIER,
    profile_card,
    profile_rows,
    recent_profiles,
    search_profiles,
)
from profiles.reads import find_profile_by_reference
from profiles.search import find_profile_by_identifier, get_canonical_profile

# Profiles hold personal data: reading them is a permission of its own.
VIEW_PROFILE = "profiles.view_profile"
CHANGE_PROFILE = "profiles.change_profile"
PAGE = "console/profiles/index.html"
RESULTS = "console/profiles/_results.html"
CARD = "console/profiles/card.html"
DELETE_PAGE = "console/profiles/delete.html"
NOT_FOUND = "console/profiles/not_found.html"
PROFILES_PER_PAGE = 25
EVENTS_PER_PAGE = 50
INVALID_STATUS = 422
TIME_FORMAT = "%Y-%m-%d %H:%M %Z"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# Pages.


@require_GET
@login_required
@permission_required(VIEW_PROFILE, raise_exception=True)
def profiles_page(request: HtmxHttpRequest) -> HttpResponse:
    """Search results for `q`, else the most recently updated profiles."""
    identifier_key = request.GET.get("identifier", ANY_IDENTIFIER)
    query = request.GET.get("q", "").strip()
    context: dict[str, Any] = {
        "identifiers": Identifier.objects.order_by("priority"),
        "identifier_key": identifier_key,
        "query": query,
    }
    if query:
        search = search_profiles(identifier_key=identifier_key, value=query)
        context.update(rows=search.rows, error=search.error)
    else:
        paginator = Paginator(recent_profiles(), PROFILES_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        context.update(rows=profile_rows(list(page.object_list)), page=page)

    # A history restore needs the whole page, not the fragment.
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, RESULTS if partial else PAGE, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@login_required
@permission_required(VIEW_PROFILE, raise_exception=True)
def profile_page(request: HtmxHttpRequest, uid: str) -> HttpResponse:
    """The card; a merged-away id leads to the profile it was merged into."""
    profile = get_canonical_profile(uid=uid)
    if profile is None:
        return render(request, NOT_FOUND, {"uid": uid}, status=404)
    if profile.uid != uid:
        messages.info(request, f"Profile {uid} was merged into {profile.uid}.")
        return redirect("profile", uid=profile.uid)
    return _card(request, profile)


@require_GET
@login_required
@permission_required(CHANGE_PROFILE, raise_exception=True)
def profile_delete_confirm(request: HtmxHttpRequest, uid: str) -> HttpResponse:
    """What deleting the profile would erase, and the button that does it."""
    profile = get_canonical_profile(uid=uid)
    if profile is None:
        return render(request, NOT_FOUND, {"uid": uid}, status=404)
    if profile.uid != uid:
        return redirect("profile", uid=profile.uid)
    card = profile_card(profile=profile)
    context = {
        "profile": profile,
        "identifier_count": sum(len(group.values) for group in card.identifier_groups),
        "event_count": card.events.count(),
        "merged_uids": card.merged_uids,
    }
    return render(request, DELETE_PAGE, context)


# Actions.


@require_POST
@login_required
@permission_required(CHANGE_PROFILE, raise_exception=True)
def profile_identifier_add(request: HtmxHttpRequest, uid: str) -> HttpResponse:
    profile = get_canonical_profile(uid=uid)
    if profile is None:
        return _gone(request, uid)
    identifier_key = request.POST.get("identifier", "")
    value = request.POST.get("value", "")
    form = {"identifier": identifier_key, "value": value}
    if not value.strip():
        return _card(request, profile, add_form=form, add_error="Enter a value to add.")

    try:
        external_id = add_identifier(
            profile=profile,
            identifier_key=identifier_key,
            value=value,
            actor=request.user,
        )
    except AlreadyPresent as present:
        existing = present.external_id
        messages.info(
            request,
            f"{existing.identifier.display_name} {existing.value} is already "
            "present on this profile.",
        )
        return redirect("profile", uid=existing.profile.uid)
    except IdentifierRefused as refusal:
        holder = find_profile_by_identifier(identifier_key=identifier_key, value=value)
        return _card(
            request,
            profile,
            add_form=form,
            add_error=refusal.message,
            add_holder=holder if holder and holder.pk != profile.pk else None,
        )

    messages.success(
        request, f"Added {external_id.identifier.display_name} {external_id.value}."
    )
    return redirect("profile", uid=external_id.profile.uid)


@require_POST
@login_required
@permission_required(CHANGE_PROFILE, raise_exception=True)
def profile_identifier_remove(request: HtmxHttpRequest, uid: str) -> HttpResponse:
    profile = get_canonical_profile(uid=uid)
    if profile is None:
        return _gone(request, uid)
    identifier_key = request.POST.get("identifier", "")
    value = request.POST.get("value", "")
    shown = _display_name(identifier_key)

    try:
        remove_identifier(
            profile=profile,
            identifier_key=identifier_key,
            value=value,
            actor=request.user,
        )
    except ProfileGone:
        return _gone(request, uid)
    except LastUserIdRefused as refusal:
        messages.error(request, str(refusal))
    except IdentifierNotFound:
        messages.info(
            request, f"{shown} {value} is not on this profile (already removed?)."
        )
    else:
        messages.success(request, f"Removed {shown} {value}.")
    return redirect("profile", uid=profile.uid)


@require_POST
@login_required
@permission_required(CHANGE_PROFILE, raise_exception=True)
def profile_merge(request: HtmxHttpRequest, uid: str) -> HttpResponse:
    """Merge the profile named in the form into this one."""
    survivor = get_canonical_profile(uid=uid)
    if survivor is None:
        return _gone(request, uid)
    reference = request.POST.get("other", "").strip()
    form = {"other": reference}
    if not reference:
        return _card(
            request,
            survivor,
            merge_form=form,
            merge_error="Enter the id of the profile to merge into this one.",
        )
    other = find_profile_by_reference(reference=reference)
    if other is None:
        return _card(
            request,
            survivor,
            merge_form=form,
            merge_error=f"There is no profile {reference}.",
        )

    if other.pk == survivor.pk:
        return _already_merged(request, uid, reference, survivor)
    try:
        merge = merge_profiles(survivor=survivor, other=other, actor=request.user)
    except AlreadyMerged as done:
        return _already_merged(request, uid, reference, done.survivor)
    except MergeRefused as refusal:
        return _card(request, survivor, merge_form=form, merge_error=refusal.message)

    messages.success(request, f"Merged {merge.merged.uid} into this profile.")
    return redirect("profile", uid=merge.survivor.uid)


@require_POST
@login_required
@permission_required(CHANGE_PROFILE, raise_exception=True)
def profile_delete(request: HtmxHttpRequest, uid: str) -> HttpResponse:
    profile = Profile.objects.select_related("merged_into").filter(uid=uid).first()
    if profile is None:
        return _gone(request, uid)
    if profile.merged_into is not None:
        # The confirmation named another profile than the one that would go.
        messages.error(
            request,
            f"Profile {uid} was merged into {profile.merged_into.uid}; check "
            "that profile before deleting it.",
        )
        return redirect("profile", uid=profile.merged_into.uid)

    try:
        summary = delete_profile(profile=profile, actor=request.user)
    except ProfileGone:
        return _gone(request, uid)
    messages.success(
        request,
        f"Deleted profile {uid} with {summary['identifiers']} identifiers and "
        f"{summary['events']} events.",
    )
    return redirect("profiles")


# Rendering.


def _card(
    request: HtmxHttpRequest, profile: Profile, **form_state: Any
) -> HttpResponse:
    """The card page; with `form_state` it is the answer to a refused form."""
    card = profile_card(profile=profile)
    events = Paginator(card.events, EVENTS_PER_PAGE).get_page(request.GET.get("events"))
    context = {
        "profile": profile,
        "identifier_groups": card.identifier_groups,
        "user_id_count": sum(
            len(group.values)
            for group in card.identifier_groups
            if group.identifier.key == "user_id"
        ),
        "traits": trait_rows(profile.traits),
        "events": events,
        "event_rows": [_event_row(event) for event in events.object_list],
        "merges": [
            describe_merge(merge, profile, card.merge_actors) for merge in card.merges
        ],
        "merged_uids": card.merged_uids,
        "identifiers": Identifier.objects.order_by("priority"),
        "can_change": request.user.has_perm(CHANGE_PROFILE),
        "add_form": {"identifier": "", "value": ""},
        "merge_form": {"other": ""},
        **form_state,
    }
    status = INVALID_STATUS if form_state else 200
    return render(request, CARD, context, status=status)


def _already_merged(
    request: HtmxHttpRequest, uid: str, reference: str, survivor: Profile
) -> HttpResponse:
    """A repeated merge (a double submit, or the losing side of two opposite
    merges): say so and show the profile both now are."""
    messages.info(
        request,
        f"Already merged: {uid} and {reference} are both profile {survivor.uid}.",
    )
    return redirect("profile", uid=survivor.uid)


def _gone(request: HtmxHttpRequest, uid: str) -> HttpResponse:
    """A post about a profile that no longer exists: a repeated delete, or
    one that lost a race; never an error page."""
    messages.info(request, f"Profile {uid} no longer exists (already deleted?).")
    return redirect("profiles")


def _display_name(identifier_key: str) -> str:
    identifier = Identifier.objects.filter(key=identifier_key).first()
    return identifier.display_name if identifier else identifier_key


def _event_row(event: Event) -> dict[str, Any]:
    return {
        "event": event,
        "warnings": [describe_warning(entry) for entry in event.warnings or []],
    }


def trait_rows(traits: dict[str, Any]) -> list[tuple[str, str]]:
    """Traits as (name, text) rows in name order; an object's keys become
    dotted names (`address.city`) so nested values read on one line each."""
    rows: list[tuple[str, str]] = []

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key in sorted(value):
                walk(f"{name}.{key}", value[key])
        else:
            rows.append((name, _trait_text(value)))

    for name in sorted(traits):
        walk(name, traits[name])
    return rows


def _trait_text(value: Any) -> str:
    if isinstance(value, str):
        # An empty string is a kept value (rule 0.8), so it must show.
        return value if value else '""'
    # Numbers, booleans, null, lists and {} as JSON writes them.
    return json.dumps(value, ensure_ascii=False)


def describe_warning(entry: Any) -> str:
    """One warning stored on an event, as a sentence an admin can read."""
    if not isinstance(entry, dict):
        return str(entry)
    identifier = entry.get("identifier") or ""
    value = entry.get("value")
    message = entry.get("message") or entry.get("code") or ""
    if entry.get("code") == "blocked_value" and identifier and value is not None:
        return f"{identifier} '{value}' blocked"
    subject = " ".join(
        part for part in (identifier, "" if value is None else f"'{value}'") if part
    )
    return f"{subject}: {message}" if subject else message


def describe_merge(
    merge: Merge, profile: Profile, actors: dict[int, str]
) -> dict[str, Any]:
    """A merge and its reason, as the card lists it; `actors` names who made
    manual merges whose user row is gone or that a command made."""
    into = "this profile" if merge.survivor_id == profile.pk else merge.survivor.uid
    when = _time(merge.created_at)
    if merge.kind == Merge.Kind.MANUAL:
        who = merge.actor.get_username() if merge.actor else actors.get(merge.pk)
        text = f"Merged {merge.merged.uid} into {into} on {when}: manual merge"
        text += f" by {who}." if who else "."
    else:
        if merge.event is None:
            which = "an event"
        else:
            which = f"event {merge.event.message_id or f'#{merge.event.pk}'}"
        if merge.identifier is None:
            carried = "an identifier both profiles held"
        else:
            carried = f"{merge.identifier.key}:{merge.value}"
        text = f"Merged {merge.merged.uid} into {into} on {when} because {which} "
        text += f"carried {carried}."
    return {"merge": merge, "text": text}


def _time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(TIME_FORMAT)
