"""Invitation links: signed, expiring after 72 hours, good for one use.

A link carries the user's id and a digest of the account's state (password, time of the latest
invitation, active or not), signed with the secret key. Setting a password changes the state, so
a link works once; sending a new invitation changes it too, so only the latest link works;
deactivating the account voids every link. Nothing is stored: a link is checked by recomputing.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User

SALT = "accounts.invitation"
MAX_AGE_SECONDS = 72 * 3600
# Backends that deliver nothing to the user: with these the administrator is shown the link.
UNDELIVERED_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


class InvalidInvitation(Exception):
    """A link that cannot be used; `message` says why, for the person who followed it."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def _state(user: User) -> str:
    invited = user.invited_at.isoformat() if user.invited_at else ""
    raw = f"{user.pk}|{user.password}|{invited}|{user.is_active}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def make_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "s": _state(user)}, salt=SALT)


def invitation_path(user: User) -> str:
    return reverse("accounts:invitation", kwargs={"token": make_token(user)})


def invitation_url(user: User) -> str:
    """The absolute address of the user's invitation (e-mails have no request to build it)."""
    return settings.JOBS_SITE_URL.rstrip("/") + invitation_path(user)


def user_for_token(token: str) -> User:
    """The invited user of a link, or InvalidInvitation saying what is wrong with it."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise InvalidInvitation(
            _("This invitation has expired. Ask your administrator to send a new one.")
        ) from None
    except signing.BadSignature:
        raise InvalidInvitation(
            _("This invitation link is not valid. Check that you copied all of it.")
        ) from None
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or _state(user) != payload.get("s") or user.has_usable_password():
        raise InvalidInvitation(
            _(
                "This invitation was already used or replaced by a newer one. Sign in, or ask "
                "your administrator to send a new invitation."
            )
        )
    return user


def mail_is_delivered() -> bool:
    """Whether the configured e-mail backend reaches people (SMTP, or the tests' outbox)."""
    return settings.EMAIL_BACKEND not in UNDELIVERED_BACKENDS
