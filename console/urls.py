from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("console.api.urls")),
    path("", include("console.views.urls")),
    path("", include("console.views.credentials_urls")),
    path("", include("console.views.profiles_urls")),
]

handler404 = "console.views.errors.not_found"
handler500 = "console.views.errors.server_failure"
