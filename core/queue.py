"""Queueing work for the Celery workers without ever losing it to an unreachable broker.

Every piece of queued work already has its record in the database, written in the same
transaction as the request that asked for it (a print run "queued", an import "checking" or
"import queued", a job run "queued"): that record is the outbox. The message to the broker is
sent once the transaction commits; when Redis cannot be reached, the request still succeeds, the
record stays queued, and `gdi_ims.queue.requeue_stalled_work` (a beat task every minute) sends it
again once the broker answers. An XLSX export left building with no progress (its worker died) is
queued again too. Every task is idempotent by the record's id, so a message sent twice does the
work once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task
from django.db import transaction
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
