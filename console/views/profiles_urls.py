from __future__ import annotations

from django.urls import path

from console.views import profiles

urlpatterns = [
    path("profiles/", profiles.profiles_page, name="profiles"),
    path("profiles/<str:uid>/", profiles.profile_page, name="profile"),
    path(
        "profiles/<str:uid>/identifiers/add/",
        profiles.profile_identifier_add,
        name="profile-identifier-add",
    ),
    path(
        "profiles/<str:uid>/identifiers/remove/",
        profiles.profile_identifier_remove,
        name="profile-identifier-remove",
    ),
    path("profiles/<str:uid>/merge/", profiles.profile_merge, name="profile-merge"),
    path(
        "profiles/<str:uid>/delete/",
        profiles.profile_delete_confirm,
        name="profile-delete-confirm",
    ),
    path(
        "profiles/<str:uid>/delete/confirmed/",
        profiles.profile_delete,
        name="profile-delete",
    ),
]
