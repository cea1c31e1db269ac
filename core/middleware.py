"""Answers an ApplicationError a view did not catch: the same way everywhere.

A form post goes back to the page it came from with the message shown there (303); anything else
gets the refusal page with the error's status (403 for NotAllowed, 409 for Conflict, else 400). A
refusal of the actor (NotAllowed) is always the 403 page: there is no form to correct.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import ApplicationError, NotAllowed


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError):
            return None
        back = request.headers.get("referer", "")
        safe = url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        form_post = request.method == "POST" and not request.headers.get("hx-request")
        if form_post and safe and not isinstance(exception, NotAllowed):
            messages.error(request, exception.message)
            return HttpResponseRedirect(back, status=303)
        return render(
            request,
            "errors/refused.html",
            {"message": exception.message},
            status=exception.status,
        )
