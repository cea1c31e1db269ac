"""Project middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse


class MethodNotAllowedMiddleware:
    """Render Django's bare 405 answers as a translated page that says which methods are allowed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = TemplateResponse(
                request,
                "errors/405.html",
                {"allowed": response["Allow"]},
                status=405,
            )
            page["Allow"] = response["Allow"]
            return page.render()
        return response
