"""Project middleware."""

from __future__ import annotations

import time
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


# --- Security: sessions, second factor, caching ------------------------------------------------
# Pages a signed-in user who still owes a second factor may reach.
SECOND_FACTOR_EXEMPT = frozenset(
    {"accounts:otp-verify", "accounts:otp-enrol", "accounts:logout", "set_language", "healthz"}
)


class SessionLimitsMiddleware:
    """End sessions older than SESSION_ABSOLUTE_SECONDS, and sessions of deactivated users.

    The idle limit is the session cookie's age (pushed forward on every request); this adds the
    absolute one, counted from sign-in (stored in the session by accounts.sessions).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login
        from django.utils.translation import gettext as _

        from accounts.sessions import LOGIN_AT_SESSION_KEY
        from audit.models import AuditEvent
        from audit.services import audit_record

        user = request.user
        if user.is_authenticated:
            now = time.time()
            started = request.session.get(LOGIN_AT_SESSION_KEY)
            if started is None:
                request.session[LOGIN_AT_SESSION_KEY] = now
            elif not user.is_active or now - started > settings.SESSION_ABSOLUTE_SECONDS:
                audit_record(
                    actor=user,
                    action=AuditEvent.Action.SESSION_EXPIRED,
                    request=request,
                    detail={"reason": "inactive" if not user.is_active else "absolute"},
                )
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class SecondFactorMiddleware:
    """Send a signed-in user who owes a second factor to the code page (or its set-up)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.contrib.auth.views import redirect_to_login
        from django.urls import Resolver404, resolve, reverse
        from django_htmx.http import HttpResponseClientRedirect

        from accounts import otp

        user = request.user
        if otp.owes_second_factor(user):
            try:
                view_name = resolve(request.path_info).view_name
            except Resolver404:
                view_name = ""
            if view_name not in SECOND_FACTOR_EXEMPT:
                page = "accounts:otp-verify" if otp.confirmed_device(user) else "accounts:otp-enrol"
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(reverse(page))
                return redirect_to_login(request.get_full_path(), reverse(page))
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every dynamic response: pages carry personal data.

    Static files are answered earlier by WhiteNoise and keep their long cache lifetimes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
