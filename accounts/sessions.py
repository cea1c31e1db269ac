"""Server-side session control: the idle and absolute session limits, ending a user's sessions."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.reauth import REAUTH_AT_SESSION_KEY

LOGIN_AT_SESSION_KEY = "ims_login_at"
# Where the session was opened from, for the user's list of their sessions.
IP_SESSION_KEY = "ims_ip"
AGENT_SESSION_KEY = "ims_agent"
# When the session's expiry was last pushed forward (gdi_ims.middleware.SessionLimitsMiddleware).
SEEN_AT_SESSION_KEY = "ims_seen_at"


@dataclass(frozen=True)
class LiveSession:
    key: str
    signed_in_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    ip: str
    agent: str
    expires_at: dt.datetime


def _stamp(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, tz=dt.UTC) if isinstance(value, int | float) else None


def _live_sessions_of(user: Any) -> list[tuple[Session, dict[str, Any]]]:
    user_id = str(user.pk)
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get(SESSION_KEY, "")) == user_id:
            found.append((session, data))
    return found


def sessions_of(user: Any) -> list[LiveSession]:
    """The user's live sessions, the most recently used first."""
    live = [
        LiveSession(
            key=session.session_key,
            signed_in_at=_stamp(data.get(LOGIN_AT_SESSION_KEY)),
            last_seen_at=_stamp(data.get(SEEN_AT_SESSION_KEY) or data.get(LOGIN_AT_SESSION_KEY)),
            ip=str(data.get(IP_SESSION_KEY, "")),
            agent=str(data.get(AGENT_SESSION_KEY, "")),
            expires_at=session.expire_date,
        )
        for session, data in _live_sessions_of(user)
    ]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(live, key=lambda s: s.last_seen_at or epoch, reverse=True)


def end_sessions_of(user: Any, *, keep: str | None = None) -> int:
    """Delete every live session of `user` (but `keep`) from the store; returns how many ended.

    Sessions are short (30 idle minutes), so the live ones are few and decoding each is cheap.
    Each is deleted through the session engine, so an engine that also keeps a copy elsewhere
    (a cache) loses that copy too: the user could otherwise come back in with it once reactivated.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    doomed = [s.session_key for s, _data in _live_sessions_of(user) if s.session_key != keep]
    for key in doomed:
        store(session_key=key).delete()
    return len(doomed)


def remember_login_time(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Receiver of user_logged_in: the start of the absolute session limit."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_SESSION_KEY] = time.time()
        # Signing in proves who one is: sensitive actions need no new proof for a few minutes.
        request.session[REAUTH_AT_SESSION_KEY] = time.time()
        request.session[IP_SESSION_KEY] = request.META.get("REMOTE_ADDR", "")
        request.session[AGENT_SESSION_KEY] = request.META.get("HTTP_USER_AGENT", "")[:200]
