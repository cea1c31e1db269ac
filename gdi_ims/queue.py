"""The sweep of the whole stack: queued work that no worker started is sent again.

The outbox itself (a record written with the request, its message sent on commit) is
`core.queue`; this sweep sits at the top, beside the beat task that runs it, because it reads the
records of every app that queues work.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cards.models import PrintRun
from cards.tasks import render_print_run_task
from core.queue import STALLED_AFTER, send
from imports.models import ImportBatch
from imports.services import export_requeue_stalled
from imports.tasks import flag_import_duplicates_task, run_import_task
from jobs.models import JobRun
from jobs.tasks import TASKS

__all__ = ["STALLED_AFTER", "requeue_stalled_work"]


def requeue_stalled_work(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send again what was queued a while ago and never started; return how many of each kind."""
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
