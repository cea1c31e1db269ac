"""Notifications of events in a user's work: in the app, and by e-mail in the user's language.

The services that return a declaration or a province list, or record a failed print run or
import, queue a task after their commit; the task (in `jobs.tasks`) calls one function here. Each
event makes at most one notification per recipient (`event_key`), so a task delivered twice
neither adds a second entry nor sends a second e-mail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cards.models import PrintRun
from compilation.models import ProvinceCompilation
from imports.models import ImportBatch
from jobs import conf
from jobs.models import Notification
from residents.models import Declaration

logger = logging.getLogger(__name__)
Kind = Notification.Kind


def notify(
    *,
    kind: str,
    recipients: Iterable[User],
    event_key: str,
    target: int | None,
    province_id: str | None,
    detail: dict[str, object],
) -> list[Notification]:
    """Record the event for each active recipient (once), then e-mail those not e-mailed yet."""
    users = [u for u in recipients if u.is_active]
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=u,
                    kind=kind,
                    event_key=event_key[:64],
                    target=target,
                    province_id=province_id,
                    detail=detail,
                )
                for u in users
            ],
            ignore_conflicts=True,
        )
    notifications = list(
        Notification.objects.filter(kind=kind, event_key=event_key[:64], recipient__in=users)
        .select_related("recipient", "province")
        .order_by("id")
    )
    for notification in notifications:
        if notification.emailed_at is None and notification.recipient.email:
            _email(notification)
    return notifications


def _email(notification: Notification) -> None:
    """One e-mail, in the recipient's language (both when unknown), then marked e-mailed."""
    from accounts.tasks import languages_of, send_to_user

    send_to_user(
        notification.recipient,
        subject=Notification.Kind(notification.kind).label,
        template="jobs/email/notification.txt",
        context={"notification": notification, "url": conf.site_url() + notification.link},
        languages=languages_of(notification.recipient),
    )
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )


# --- The events ------------------------------------------------------------------------------
def declaration_returned(*, declaration_id: int, version: int) -> list[Notification]:
    """Tell the maker that a verifier returned their declaration, with the reason."""
    declaration = (
        Declaration.objects.select_related("resident", "created_by").filter(pk=declaration_id)
    ).first()
    if declaration is None or declaration.status != Declaration.Status.RETURNED:
        return []  # corrected and sent again before the task ran: nothing worth telling
    resident = declaration.resident
    return notify(
        kind=Kind.DECLARATION_RETURNED,
        recipients=[declaration.created_by],
        event_key=f"{declaration.pk}:{version}",
        target=declaration.pk,
        province_id=resident.province_id,
        detail={
            "resident": resident.pk,
            "name": resident.full_name,
            "reason": declaration.status_reason[:500],
        },
    )


def province_list_returned(*, province_code: str) -> list[Notification]:
    """Tell the province's officers and verifiers that HQ returned their list, and why."""
    compilation = ProvinceCompilation.objects.filter(province_id=province_code).first()
    if compilation is None or compilation.returned_at is None:
        return []
    staff = User.objects.filter(
        province_id=province_code, role__in=[User.Role.OFFICER, User.Role.VERIFIER]
    ).order_by("id")
    return notify(
        kind=Kind.LIST_RETURNED,
        recipients=staff,
        event_key=f"{province_code}:{compilation.returned_at.isoformat()}",
        target=compilation.pk,
        province_id=province_code,
        detail={"reason": compilation.return_reason[:500]},
    )


def print_run_failed(*, run_id: int) -> list[Notification]:
    """Tell the clerk who built the print run that it failed."""
    run = PrintRun.objects.select_related("created_by").filter(pk=run_id).first()
    if run is None or run.status != PrintRun.Status.FAILED:
        return []
    moment = run.finished_at.isoformat() if run.finished_at else ""
    return notify(
        kind=Kind.PRINT_RUN_FAILED,
        recipients=[run.created_by],
        event_key=f"{run.pk}:{moment}",
        target=run.pk,
        province_id=run.province_id,
        detail={},
    )


def import_failed(*, batch_id: int) -> list[Notification]:
    """Tell the officer who uploaded a province list that its import failed."""
    batch = ImportBatch.objects.select_related("created_by").filter(pk=batch_id).first()
    if batch is None or batch.status != ImportBatch.Status.FAILED:
        return []
    return notify(
        kind=Kind.IMPORT_FAILED,
        recipients=[batch.created_by],
        event_key=str(batch.pk),
        target=batch.pk,
        province_id=batch.province_id,
        detail={"file": batch.file_name[:200]},
    )
