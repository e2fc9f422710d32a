"""Refuse a NUL character in a request's path, query or form fields.

PostgreSQL text cannot hold U+0000, so such input would otherwise fail deep
in a query with a 500. JSON bodies are left to the API handlers, which know
their fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.api.http import error_response, is_api_path

NUL = "\x00"
MESSAGE = "The request holds a NUL character (%00), which no field accepts."
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _holds_nul(request):
            return self.get_response(request)
        if is_api_path(request.path):
            return error_response(400, "invalid_request", MESSAGE)
        return render(request, "400.html", {"reason": MESSAGE}, status=400)


def _holds_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    if _any_nul(request.GET.lists()):
        return True
    # API bodies are JSON read by their handlers; console forms are not.
    form = request.method == "POST" and request.content_type in FORM_TYPES
    if form and not is_api_path(request.path):
        return _any_nul(request.POST.lists())
    return False


def _any_nul(items: Iterable[tuple[str, list[str]]]) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in items
    )
