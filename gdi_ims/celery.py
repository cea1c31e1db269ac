"""Celery application of GDI IMS: broker and results on Redis, configured from Django settings.

Work runs on separate queues, each with workers of its own, so that a 500-card print run or a
20,000-row import never delays the nightly job, and the nightly job never delays either:

- `<base>.prints`: rendering print runs;
- `<base>.imports`: checking and committing uploaded lists;
- `<base>.nightly`: the nightly expiry job, the province figures and snapshots, file purges;
- `<base>.reports`: exports built in the background (the register as XLSX);
- `<base>`: everything else (e-mails, the heartbeat, the sweep of stalled work, audit anchors).

`<base>` is CELERY_QUEUE (the default queue); queues are named from it when a task is sent, so a
second IMS (or the test suite) on the same Redis keeps queues of its own.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gdi_ims.settings.base")

app = Celery("gdi_ims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

PRINTS, IMPORTS, NIGHTLY, REPORTS = "prints", "imports", "nightly", "reports"
# Task name prefix -> the queue it runs on (the first prefix that matches wins).
ROUTES: tuple[tuple[str, str], ...] = (
    ("cards.tasks.render_print_run_task", PRINTS),
    ("imports.tasks.run_import_task", IMPORTS),
    ("imports.tasks.flag_import_duplicates_task", IMPORTS),
    ("imports.tasks.purge_import_files_task", NIGHTLY),
    ("imports.tasks.build_export_task", REPORTS),
    ("jobs.tasks.", NIGHTLY),
    ("provinces.tasks.", NIGHTLY),  # the compilation's tasks keep these names
)


def queue_of(task_name: str, base: str | None = None) -> str:
    """The full queue name a task is sent to."""
    base = base or app.conf.task_default_queue
    for prefix, kind in ROUTES:
        if task_name.startswith(prefix):
            return f"{base}.{kind}"
    return base


def queues(base: str | None = None) -> list[str]:
    """Every queue of the IMS, default first (what a worker of all work listens to)."""
    base = base or app.conf.task_default_queue
    return [base, *(f"{base}.{kind}" for kind in (PRINTS, IMPORTS, NIGHTLY, REPORTS))]


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any):
    """Celery's router (CELERY_TASK_ROUTES): read at each send, so it follows the default queue."""
    queue = queue_of(name)
    return {"queue": queue} if queue != app.conf.task_default_queue else None
