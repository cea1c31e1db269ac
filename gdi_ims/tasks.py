"""Project-wide tasks."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from provinces.models import Province

HEARTBEAT_KEY = "gdi_ims:worker-heartbeat"


@shared_task
def record_heartbeat_task() -> dict[str, object]:
    """Record that a worker ran a task, reading the database on the way.

    The health page and the tests use it to prove the whole chain works: broker, worker, database.
    """
    beat = {"at": timezone.now().isoformat(), "provinces": Province.objects.count()}
    cache.set(HEARTBEAT_KEY, beat, timeout=None)
    return beat


@shared_task
def requeue_stalled_work_task() -> dict[str, int]:
    """Every minute: send again the work queued while the broker was unreachable (gdi_ims.queue)."""
    from gdi_ims import queue

    return queue.requeue_stalled_work()
