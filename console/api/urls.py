"""The JSON APIs, at absolute paths without a trailing slash: clients do not
follow a redirect on a POST, so nothing here may depend on APPEND_SLASH."""

from __future__ import annotations

from django.urls import path, re_path

from console.api import lookup, profiles, tracking
from console.api.http import api_view

PROFILE = "v1/spaces/<str:space>/collections/<str:collection>/profiles/<path:reference>"

urlpatterns = [
    path(
        "v1/identify",
        api_view(POST=tracking.identify, tracking=True),
        name="api-identify",
    ),
    path("v1/track", api_view(POST=tracking.track, tracking=True), name="api-track"),
    path("v1/page", api_view(POST=tracking.page, tracking=True), name="api-page"),
    path("v1/screen", api_view(POST=tracking.screen, tracking=True), name="api-screen"),
    path("v1/group", api_view(POST=tracking.group, tracking=True), name="api-group"),
    path("v1/alias", api_view(POST=tracking.alias, tracking=True), name="api-alias"),
    path("v1/batch", api_view(POST=tracking.batch, tracking=True), name="api-batch"),
    path("v1/import", api_view(POST=tracking.batch, tracking=True), name="api-import"),
    path(
        "api/v1/lookup",
        api_view(GET=lookup.lookup_profile, POST=lookup.lookup_or_create_profile),
        name="api-lookup",
    ),
    path(f"{PROFILE}/traits", api_view(GET=profiles.traits), name="api-traits"),
    path(
        f"{PROFILE}/external_ids",
        api_view(GET=profiles.external_ids),
        name="api-external-ids",
    ),
    path(f"{PROFILE}/events", api_view(GET=profiles.events), name="api-events"),
    path(f"{PROFILE}/metadata", api_view(GET=profiles.metadata), name="api-metadata"),
    path(f"{PROFILE}/links", api_view(GET=profiles.links), name="api-links"),
    re_path(
        r"^v1/spaces/(?P<path>.*)$",
        api_view(GET=profiles.unknown_resource),
        name="api-unknown",
    ),
]
