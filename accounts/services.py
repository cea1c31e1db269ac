"""State changes of accounts that matter: resetting a second factor, passwords set or changed."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.sessions import end_sessions_of
from audit.models import AuditEvent
from audit.services import audit_record


def _require_administrator(actor: User, user: User) -> None:
    # Another administrator resets an administrator's: nobody vouches for their own account.
    if not actor.is_active or actor.role != User.Role.ADMIN or actor.pk == user.pk:
        raise PermissionDenied


@transaction.atomic
def otp_reset(*, actor: User, user: User) -> int:
    """Remove every two-factor device of `user`, end their sessions and tell them by e-mail.

    The way back in for someone who lost their phone, and the only way a device is removed: the
    user sets up a new one (with a new secret, shown to them alone) at their next sign-in.
    Returns how many devices were removed.
    """
    _require_administrator(actor, user)
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    ended = end_sessions_of(user)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.OTP_RESET,
        obj=user,
        detail={"devices": removed, "sessions_ended": ended},
    )
    if user.email:
        from accounts.tasks import send_otp_reset_notice_task

        transaction.on_commit(lambda: send_otp_reset_notice_task.delay(user.pk))
    return removed


@transaction.atomic
def password_set_by_administrator(*, actor: User, user: User, raw_password: str | None) -> None:
    """Set (or, with None, disable) another user's password; they must change it at sign-in.

    An administrator who sets a password knows it; the forced change makes that knowledge
    worthless after the user's next sign-in, and the audit trail says who set it.
    """
    _require_administrator(actor, user)
    if raw_password is None:
        user.set_unusable_password()
    else:
        user.set_password(raw_password)
    user.must_change_password = raw_password is not None
    # A queryset update: the one audit row below says who set it (no anonymous "user changed").
    User.objects.filter(pk=user.pk).update(
        password=user.password, must_change_password=user.must_change_password
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.USER_CHANGED,
        obj=user,
        detail={
            "fields": ["password"],
            "set_by_administrator": True,
            "usable": raw_password is not None,
            "must_change_password": user.must_change_password,
        },
    )
    if raw_password is not None:
        password_validation.password_changed(raw_password, user)


@transaction.atomic
def password_change_own(*, user: User, raw_password: str) -> None:
    """Change the signed-in user's own password, which lifts a forced change."""
    if not user.is_active:
        raise PermissionDenied
    forced = user.must_change_password
    user.set_password(raw_password)
    user.must_change_password = False
    User.objects.filter(pk=user.pk).update(password=user.password, must_change_password=False)
    audit_record(
        actor=user,
        action=AuditEvent.Action.USER_CHANGED,
        obj=user,
        detail={"fields": ["password"], "own": True, "was_forced": forced},
    )
    password_validation.password_changed(raw_password, user)
