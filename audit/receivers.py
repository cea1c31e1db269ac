"""Audit records for sign-in, lockout and changes to users, wherever they come from.

Signals are used here (and only here) because sign-in, axes' lockout and user changes made in
the admin have no service of ours to call `audit_record` from.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_record

User = get_user_model()
# Fields whose change alters what a user may see or do.
SCOPE_FIELDS = ("role", "province_id", "is_staff", "is_superuser")
WATCHED_FIELDS = (*SCOPE_FIELDS, "is_active", "username", "first_name", "last_name", "email",
                  "password")  # fmt: skip


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=AuditEvent.Action.SIGN_IN, obj=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_sign_out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditEvent.Action.SIGN_OUT, obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the user name tried; Django has already masked the password in `credentials`.
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        actor=None,
        action=AuditEvent.Action.SIGN_IN_FAILED,
        request=request,
        detail={"username": username},
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None,
    **kwargs: Any,
) -> None:  # fmt: skip
    audit_record(
        actor=None,
        action=AuditEvent.Action.LOCKED_OUT,
        request=request,
        detail={"username": (username or "")[:150]},
    )


@receiver(pre_save, sender=User, dispatch_uid="audit_user_before")
def _remember_user_before(sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    if instance.pk is None or (update_fields and not set(update_fields) & set(WATCHED_FIELDS)):
        instance._audit_before = None
        return
    instance._audit_before = sender.objects.filter(pk=instance.pk).values(*WATCHED_FIELDS).first()


@receiver(post_save, sender=User, dispatch_uid="audit_user_after")
def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # The admin (accounts.admin) attaches who made the change and the request.
    actor = getattr(instance, "_audit_actor", None)
    request = getattr(instance, "_audit_request", None)
    if created:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.USER_CREATED,
            obj=instance,
            request=request,
            detail={"role": instance.role, "province": instance.province_id},
        )
        return
    before = getattr(instance, "_audit_before", None)
    if not before:
        return
    changed = [f for f in WATCHED_FIELDS if before[f] != getattr(instance, f)]
    if not changed:
        return
    if before["is_active"] and not instance.is_active:
        # Receivers only record: whoever deactivated (accounts.admin) ended the sessions and says
        # how many; a bare save() ends none (the sign-in backend still refuses the inactive user).
        audit_record(
            actor=actor,
            action=AuditEvent.Action.USER_DEACTIVATED,
            obj=instance,
            request=request,
            detail={"sessions_ended": getattr(instance, "_audit_sessions_ended", 0)},
        )
    scope_changes = {f: [before[f], getattr(instance, f)] for f in SCOPE_FIELDS if f in changed}
    if scope_changes:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.ROLE_CHANGED,
            obj=instance,
            request=request,
            detail=scope_changes,
        )
    others = [f for f in changed if f not in SCOPE_FIELDS and f != "is_active"]
    if others:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.USER_CHANGED,
            obj=instance,
            request=request,
            detail={"fields": others},
        )


@receiver(post_delete, sender=User, dispatch_uid="audit_user_deleted")
def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    audit_record(
        actor=getattr(instance, "_audit_actor", None),
        action=AuditEvent.Action.USER_DELETED,
        obj=instance,
        request=getattr(instance, "_audit_request", None),
    )
