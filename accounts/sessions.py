"""Server-side session control: the idle and absolute session limits, ending a user's sessions."""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

LOGIN_AT_SESSION_KEY = "ims_login_at"
# When the session's expiry was last pushed forward (gdi_ims.middleware.SessionLimitsMiddleware).
SEEN_AT_SESSION_KEY = "ims_seen_at"


def end_sessions_of(user: Any) -> int:
    """Delete every live session of `user` from the store; returns how many were ended.

    Sessions are short (30 idle minutes), so the live ones are few and decoding each is cheap.
    Each is deleted through the session engine, so an engine that also keeps a copy elsewhere
    (a cache) loses that copy too: the user could otherwise come back in with it once reactivated.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    user_id = str(user.pk)
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get(SESSION_KEY, "")) == user_id:
            doomed.append(session.session_key)
    for key in doomed:
        store(session_key=key).delete()
    return len(doomed)


def remember_login_time(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Receiver of user_logged_in: the start of the absolute session limit."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_SESSION_KEY] = time.time()
