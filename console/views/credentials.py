"""Console pages for write keys and access tokens.

A successful create redirects to the page (post/redirect/get, so that a
reload does not post the form again). The new secret waits in the session
for exactly that one display and is removed as it is shown; the page that
holds it is marked not to be cached. It never goes into a URL or a message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from profiles.credentials import (
    CredentialError,
    create_access_token,
    create_write_key,
    revoke_access_token,
    revoke_write_key,
)
from profiles.models import AccessToken, Credential, WriteKey

PAGE = "console/credentials/index.html"
SESSION_SLOT = "credentials.new_secret"
INVALID_STATUS = 422
VIEW_PERMISSIONS = ("profiles.view_writekey", "profiles.view_accesstoken")
ACTIVE_FIRST = F("revoked_at").asc(nulls_first=True)


@require_GET
@login_required
def credentials_page(request: HttpRequest) -> HttpResponse:
    _require(request, *VIEW_PERMISSIONS)
    created = request.session.pop(SESSION_SLOT, None)
    if created is None:
        return _page(request)
    return _page(
        request,
        created_name=created["name"],
        created_kind=created["kind"],
        secret=created["secret"],
    )


@require_POST
@login_required
def write_key_create(request: HttpRequest) -> HttpResponse:
    return _create(request, create=create_write_key, kind="write key")


@require_POST
@login_required
def access_token_create(request: HttpRequest) -> HttpResponse:
    return _create(request, create=create_access_token, kind="access token")


@require_POST
@login_required
def write_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _revoke(request, model=WriteKey, pk=pk, revoke=revoke_write_key)


@require_POST
@login_required
def access_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _revoke(request, model=AccessToken, pk=pk, revoke=revoke_access_token)


def _create(
    request: HttpRequest, *, create: Callable[..., tuple[Credential, str]], kind: str
) -> HttpResponse:
    slug = kind.replace(" ", "")
    _require(request, *VIEW_PERMISSIONS, f"profiles.add_{slug}")
    try:
        credential, secret = create(
            name=request.POST.get("name", ""), actor=request.user
        )
    except CredentialError as error:
        errors = {kind.replace(" ", "_"): str(error)}
        return _page(request, errors=errors, status=INVALID_STATUS)
    request.session[SESSION_SLOT] = {
        "kind": kind,
        "name": credential.name,
        "secret": secret,
    }
    return redirect("credentials")


def _revoke(
    request: HttpRequest,
    *,
    model: type[Credential],
    pk: int,
    revoke: Callable[..., Credential],
) -> HttpResponse:
    _require(request, *VIEW_PERMISSIONS, f"profiles.change_{model._meta.model_name}")
    credential = get_object_or_404(model, pk=pk)
    revoke(name=credential.name, actor=request.user)
    messages.success(
        request,
        f"{model._meta.verbose_name.capitalize()} {credential.name} is revoked.",
    )
    return redirect("credentials")


def _page(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    user = request.user
    response = render(
        request,
        PAGE,
        {
            "write_keys": WriteKey.objects.order_by(ACTIVE_FIRST, "name"),
            "access_tokens": AccessToken.objects.order_by(ACTIVE_FIRST, "name"),
            "can_add_write_key": user.has_perm("profiles.add_writekey"),
            "can_revoke_write_key": user.has_perm("profiles.change_writekey"),
            "can_add_access_token": user.has_perm("profiles.add_accesstoken"),
            "can_revoke_access_token": user.has_perm("profiles.change_accesstoken"),
            **context,
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


def _require(request: HttpRequest, *permissions: str) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied
