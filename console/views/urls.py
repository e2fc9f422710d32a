from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from console.views import identifiers

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", identifiers.home, name="home"),
    path("identifiers/", identifiers.identifiers_page, name="identifiers"),
    path(
        "identifiers/<str:key>/row/",
        identifiers.identifier_row,
        name="identifier-row",
    ),
    path(
        "identifiers/<str:key>/edit/",
        identifiers.identifier_edit_row,
        name="identifier-edit",
    ),
    path(
        "identifiers/<str:key>/display-name/",
        identifiers.identifier_rename,
        name="identifier-rename",
    ),
    path(
        "address-types/<str:key>/identifier/",
        identifiers.address_type_map,
        name="address-type-map",
    ),
    path(
        "address-types/<str:key>/clear/",
        identifiers.address_type_clear,
        name="address-type-clear",
    ),
    path(
        "address-types/<str:key>/search/",
        identifiers.address_type_search,
        name="address-type-search",
    ),
]
