"""Answers for unknown paths and unexpected failures.

Under the JSON APIs (/v1/ and /api/) a client gets JSON in that API's own
error shape; elsewhere a person gets a short page. The 500 page is rendered
without a request context, because the database or a context processor may
be what failed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found, server_error

from console.api.http import (
    error_response,
    is_api_path,
    is_tracking_path,
    tracking_error_response,
)

NOT_FOUND = "There is no such endpoint; API paths have no trailing slash."
SERVER_ERROR = "The server failed to answer; retrying later is safe."


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_tracking_path(request.path):
        return tracking_error_response(404, "not_found", NOT_FOUND)
    if is_api_path(request.path):
        return error_response(404, "not_found", NOT_FOUND)
    return page_not_found(request, exception, template_name="404.html")


def server_failure(request: HttpRequest) -> HttpResponse:
    if is_tracking_path(request.path):
        return tracking_error_response(500, "internal_error", SERVER_ERROR)
    if is_api_path(request.path):
        return error_response(500, "internal_error", SERVER_ERROR)
    return server_error(request, template_name="500.html")
