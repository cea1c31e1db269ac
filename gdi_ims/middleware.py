"""Project middleware."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.exceptions import BadRequest
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


class NullCharacterMiddleware:
    """Refuse a request whose query or form values hold a NUL character, with the 400 page.

    PostgreSQL cannot store or compare a text with NUL in it, so such a value reaching a query
    (a search, a choice looked up by its code) failed with a server error. No person types one.
    Uploaded files are not looked at: a file's bytes may hold NULs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        data = [request.GET]
        if request.method == "POST":
            data.append(request.POST)
        for values in data:
            for key, items in values.lists():
                if "\x00" in key or any("\x00" in item for item in items):
                    raise BadRequest("NUL character in a request value")
        return self.get_response(request)


# --- Security: sessions, second factor, caching ------------------------------------------------
# Pages a signed-in user who still owes a second factor may reach.
SECOND_FACTOR_EXEMPT = frozenset(
    {"accounts:otp-verify", "accounts:otp-enrol", "accounts:logout", "set_language", "healthz"}
)


class SessionLimitsMiddleware:
    """End idle sessions, sessions older than SESSION_ABSOLUTE_SECONDS, and deactivated users'.

    Idle limit: the store drops a session SESSION_COOKIE_AGE seconds after its last save. Saving
    it on every request would cost a database write per page, so activity is written at most once
    every SESSION_IDLE_REFRESH_SECONDS (the time of that write kept in the session): a session
    ends between SESSION_COOKIE_AGE minus that interval and SESSION_COOKIE_AGE after the last
    request, never later. The same rule is checked here against the kept time, whatever the
    store. The absolute limit counts from sign-in (stored in the session by accounts.sessions).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        from accounts.sessions import LOGIN_AT_SESSION_KEY, SEEN_AT_SESSION_KEY

        user = request.user
        if user.is_authenticated:
            session = request.session
            now = time.time()
            started = session.get(LOGIN_AT_SESSION_KEY)
            seen = session.get(SEEN_AT_SESSION_KEY)
            if not user.is_active:
                return self._end(request, "inactive")
            if started is not None and now - started > settings.SESSION_ABSOLUTE_SECONDS:
                return self._end(request, "absolute")
            if seen is not None and now - seen > settings.SESSION_COOKIE_AGE:
                return self._end(request, "idle")
            if started is None:
                session[LOGIN_AT_SESSION_KEY] = now
            if seen is None or now - seen >= settings.SESSION_IDLE_REFRESH_SECONDS:
                # A changed session is saved, which pushes its expiry in the store forward.
                session[SEEN_AT_SESSION_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, reason: str) -> HttpResponse:
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login
        from django.utils.translation import gettext as _

        from audit.models import AuditEvent
        from audit.services import audit_record

        audit_record(
            actor=request.user,
            action=AuditEvent.Action.SESSION_EXPIRED,
            request=request,
            detail={"reason": reason},
        )
        logout(request)
        messages.info(request, _("Your session has ended. Please sign in again."))
        return redirect_to_login(request.get_full_path())


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


# Pages a user who must change their password may reach (after the second factor).
PASSWORD_CHANGE_EXEMPT = frozenset(
    {"accounts:password-change", "accounts:logout", "set_language", "healthz"}
)


class PasswordChangeRequiredMiddleware:
    """Send a user whose password an administrator set to the change-password page first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.contrib.auth.views import redirect_to_login
        from django.urls import Resolver404, resolve, reverse
        from django_htmx.http import HttpResponseClientRedirect

        from accounts import otp

        user = request.user
        # The second factor first (its pages are not exempt here): then the password.
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not otp.owes_second_factor(user)
        ):
            try:
                view_name = resolve(request.path_info).view_name
            except Resolver404:
                view_name = ""
            if view_name not in PASSWORD_CHANGE_EXEMPT:
                page = reverse("accounts:password-change")
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(page)
                return redirect_to_login(request.get_full_path(), page)
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every dynamic response: pages carry personal data.

    Static files are answered before this runs, by WhiteNoise (above it in MIDDLEWARE), and keep
    their long cache lifetimes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
