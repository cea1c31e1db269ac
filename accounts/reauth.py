"""Re-authentication before sensitive actions: the password (and the code) in the last minutes.

Bulk acknowledgement, bulk card issue, revocation, role changes and second-factor resets are
done by whoever holds the session. A session left open on an unattended screen must not be
enough: these actions ask again for the password, and the authenticator code where the user has
one, unless the user gave them less than REAUTH_MAX_AGE_SECONDS ago (at sign-in, or on the
confirm page).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

REAUTH_AT_SESSION_KEY = "ims_reauth_at"


def stamp(request: HttpRequest) -> None:
    """Record that the user has just proved who they are, in this session."""
    request.session[REAUTH_AT_SESSION_KEY] = time.time()


def is_recent(request: HttpRequest) -> bool:
    at = request.session.get(REAUTH_AT_SESSION_KEY)
    return isinstance(at, int | float) and time.time() - at <= settings.REAUTH_MAX_AGE_SECONDS


def _back_to(request: HttpRequest) -> str:
    """Where to come back after confirming: this page for a GET, the page of the form for a
    POST (a POST is never replayed: the user does it again, knowingly)."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parsed = urlparse(referer)
        return parsed.path + (f"?{parsed.query}" if parsed.query else "")
    return reverse(settings.LOGIN_REDIRECT_URL)


def ask(request: HttpRequest) -> HttpResponse:
    """The confirm page, coming back here (or to the form) afterwards."""
    if request.method != "GET":
        messages.warning(request, _("Confirm it is you, then do it again: nothing was changed."))
    query = urlencode({"next": _back_to(request)})
    return HttpResponseRedirect(f"{reverse('accounts:reauth')}?{query}")


View = Callable[..., HttpResponse]


def recent_authentication_required(view: View) -> View:
    """Send a user whose last proof of identity is too old to the confirm page first.

    Put it under @login_required: anonymous visitors still go to the sign-in page.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_recent(request):
            return ask(request)
        return view(request, *args, **kwargs)

    return wrapped
