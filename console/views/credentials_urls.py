from __future__ import annotations

from django.urls import path

from console.views import credentials

urlpatterns = [
    path("credentials/", credentials.credentials_page, name="credentials"),
    path(
        "credentials/write-keys/",
        credentials.write_key_create,
        name="write-key-create",
    ),
    path(
        "credentials/write-keys/<int:pk>/revoke/",
        credentials.write_key_revoke,
        name="write-key-revoke",
    ),
    path(
        "credentials/access-tokens/",
        credentials.access_token_create,
        name="access-token-create",
    ),
    path(
        "credentials/access-tokens/<int:pk>/revoke/",
        credentials.access_token_revoke,
        name="access-token-revoke",
    ),
]
