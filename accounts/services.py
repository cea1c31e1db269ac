"""State changes of accounts that matter: resetting a second factor."""

from __future__ import annotations

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
