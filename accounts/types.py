"""Types the apps share about who is asking."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request behind @login_required: `user` is a signed-in User, never AnonymousUser."""

    user: User
    htmx: HtmxDetails  # set by django-htmx's HtmxMiddleware
