"""Celery tasks of the nightly jobs: take ids, call a service; acknowledged late, retried."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from jobs import notifications, services
from jobs.models import JobRun

# A lost database (or broker) connection is worth retrying: every step picks what is left.
RETRY_ON = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRY_ON,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=False,
    max_retries=5,
)
def flag_card_expiry_task(self, run_id: int | None = None) -> dict[str, object]:
    """The nightly card expiry job (beat, daily), or a run queued from the jobs page."""
    run = services.flag_card_expiry(run_id=run_id, task_id=self.request.id or "")
    return {"run": run.pk, "status": run.status, "counts": run.counts}


# Notifications: each loads the record by id and tells whom it concerns (once, however often the
# task is delivered); an unreachable mail server is retried.
NOTIFY_RETRY_ON = (*RETRY_ON, SMTPException)


@shared_task(acks_late=True, autoretry_for=NOTIFY_RETRY_ON, retry_backoff=30, max_retries=5)
def notify_declaration_returned_task(declaration_id: int, version: int) -> int:
    return len(notifications.declaration_returned(declaration_id=declaration_id, version=version))


@shared_task(acks_late=True, autoretry_for=NOTIFY_RETRY_ON, retry_backoff=30, max_retries=5)
def notify_province_list_returned_task(province_code: str) -> int:
    return len(notifications.province_list_returned(province_code=province_code))


@shared_task(acks_late=True, autoretry_for=NOTIFY_RETRY_ON, retry_backoff=30, max_retries=5)
def notify_print_run_failed_task(run_id: int) -> int:
    return len(notifications.print_run_failed(run_id=run_id))


@shared_task(acks_late=True, autoretry_for=NOTIFY_RETRY_ON, retry_backoff=30, max_retries=5)
def notify_import_failed_task(batch_id: int) -> int:
    return len(notifications.import_failed(batch_id=batch_id))


TASKS = {JobRun.Job.FLAG_CARD_EXPIRY: flag_card_expiry_task}
