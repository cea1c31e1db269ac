"""Celery tasks of the nightly jobs: take ids, call a service; acknowledged late, retried."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from jobs import services
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


TASKS = {JobRun.Job.FLAG_CARD_EXPIRY: flag_card_expiry_task}
