"""Queueing work for the Celery workers without ever losing it to an unreachable broker.

Every piece of queued work already has its record in the database, written in the same
transaction as the request that asked for it (a print run "queued", an import "checking" or
"import queued", a job run "queued"): that record is the outbox. The message to the broker is
sent once the transaction commits; when Redis cannot be reached, the request still succeeds, the
record stays queued, and `requeue_stalled_work` (a beat task every minute) sends it again once the
broker answers. An XLSX export left building with no progress (its worker died) is queued again
too. Every task is idempotent by the record's id, so a message sent twice does the work once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# Work queued longer than this without a worker starting it is sent again.
STALLED_AFTER = dt.timedelta(minutes=2)


def send(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Send now; False (logged) when the broker cannot be reached: the record stays queued."""
    try:
        task.apply_async(args, kwargs, retry=False)
    except OperationalError as error:
        logger.warning("Broker unreachable, %s left for the sweep: %s", task.name, error)
        return False
    return True


def send_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: send(task, *args, **kwargs))


def requeue_stalled_work(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send again what was queued a while ago and never started; return how many of each kind."""
    from cards.models import PrintRun
    from cards.tasks import render_print_run_task
    from imports.models import ImportBatch
    from imports.services import export_requeue_stalled
    from imports.tasks import flag_import_duplicates_task, run_import_task
    from jobs.models import JobRun
    from jobs.tasks import TASKS

    before = (now or timezone.now()) - STALLED_AFTER
    sent = {"print_runs": 0, "imports": 0, "job_runs": 0}
    for run_id in PrintRun.objects.filter(
        status=PrintRun.Status.QUEUED, queued_at__lt=before
    ).values_list("pk", flat=True):
        sent["print_runs"] += send(render_print_run_task, run_id)
    for batch_id in ImportBatch.objects.filter(
        status__in=ImportBatch.RUNNING, queued_at__lt=before
    ).values_list("pk", flat=True):
        sent["imports"] += send(run_import_task, batch_id)
    # A committed import whose likely duplicates were never flagged (its task was lost).
    for batch_id in ImportBatch.objects.filter(
        status=ImportBatch.Status.COMMITTED,
        duplicates_flagged_at__isnull=True,
        committed_at__lt=before,
    ).values_list("pk", flat=True):
        sent["imports"] += send(flag_import_duplicates_task, batch_id)
    for run_id, job in JobRun.objects.filter(
        status=JobRun.Status.QUEUED, created_at__lt=before
    ).values_list("pk", "job"):
        sent["job_runs"] += send(TASKS[JobRun.Job(job)], run_id=run_id)
    # Exports also come back from a dead worker: one building with no progress is built again.
    sent["exports"] = export_requeue_stalled(now=now)
    return sent
