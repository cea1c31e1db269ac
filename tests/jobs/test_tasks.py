"""The expiry task: its schedule and options, and real Celery processes (beat, worker) on Redis.

The worker tests use the real clock (a frozen clock does not cross into another process):
card dates are relative to today.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.utils import timezone

from cards.models import CardEvent, ResidenceCard
from gdi_ims.celery import app
from jobs.models import JobRun, RenewalNotice
from jobs.services import LOCK_KEYS
from jobs.tasks import flag_card_expiry_task
from tests.conftest import ROOT, _database_url, start_worker, stop_worker

Status = ResidenceCard.Status


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def wait_for(check: Callable[[], object], timeout: float = 60, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or check}")


def lock_holder() -> int | None:
    """The backend pid holding the expiry job's advisory lock, if any."""
    key = LOCK_KEYS[JobRun.Job.FLAG_CARD_EXPIRY]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s AND objsubid = 1",
            [key >> 32, key & 0xFFFFFFFF],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def job_event_counts() -> dict[int, int]:
    counts: dict[int, int] = {}
    for card_id in CardEvent.objects.filter(kind__startswith="marked_").values_list(
        "card_id", flat=True
    ):
        counts[card_id] = counts.get(card_id, 0) + 1
    return counts


# --- Schedule and options --------------------------------------------------------------------
def test_the_expiry_job_is_scheduled_daily_at_the_configured_hour():
    app.loader.import_default_modules()
    entry = django_settings.CELERY_BEAT_SCHEDULE["flag-card-expiry"]

    assert entry["task"] == "jobs.tasks.flag_card_expiry_task"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == crontab(hour=1, minute=0)


def test_the_task_is_acknowledged_late_and_retried_on_a_lost_connection():
    assert flag_card_expiry_task.acks_late is True
    assert flag_card_expiry_task.reject_on_worker_lost is True
    assert OperationalError in flag_card_expiry_task.autoretry_for
    assert flag_card_expiry_task.max_retries == 5


@pytest.mark.django_db
def test_the_task_runs_the_job_and_answers_with_the_run(make_card):
    card = make_card(timezone.localdate() - days(1))

    result = flag_card_expiry_task.delay().get()

    run = JobRun.objects.get()
    assert result == {"run": run.pk, "status": "succeeded", "counts": run.counts}
    assert run.task_id != ""
    card.refresh_from_db()
    assert card.status == Status.EXPIRED


# --- Real processes --------------------------------------------------------------------------
def start_beat(tmp_path: Path, queue: str, every_seconds: int) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "beat.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gdi_ims.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": queue,
        "JOBS_EXPIRY_EVERY_SECONDS": str(every_seconds),
        # Beat must send through Redis, not run the task itself.
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    schedule = f"--schedule={tmp_path / 'beat-schedule'}"
    cmd = [sys.executable, "-m", "celery", "-A", "gdi_ims", "beat", "--loglevel=INFO",
           schedule, "--pidfile=", "--max-interval=1"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


@pytest.mark.worker
def test_beat_sends_the_job_to_a_real_worker_which_runs_and_records_it(
    real_worker, make_card, officer, tmp_path
):
    today = timezone.localdate()
    expired = make_card(today - days(1), created_by=officer)
    expiring = make_card(today + days(30), created_by=officer)
    beat, log = start_beat(tmp_path, real_worker.queue, every_seconds=2)
    try:
        first = wait_for(
            lambda: JobRun.objects.filter(status=JobRun.Status.SUCCEEDED).order_by("id").first(),
            what="a run sent by beat",
        )
    finally:
        beat.terminate()
        beat.wait(timeout=20)

    assert first.task_id != ""
    assert first.triggered_by is None
    assert first.run_for == today
    assert first.counts == {"expired": 1, "expiring": 1, "notices": 2, "passports": 0, "emails": 0}
    assert "Scheduler: Sending due task flag-card-expiry (jobs.tasks.flag_card_expiry_task)" in (
        log.read_text()
    )
    succeeded = f"jobs.tasks.flag_card_expiry_task[{first.task_id}] succeeded"
    wait_for(lambda: succeeded in real_worker.output(), what="the worker's log line")
    expired.refresh_from_db()
    expiring.refresh_from_db()
    assert (expired.status, expiring.status) == (Status.EXPIRED, Status.EXPIRING)
    # Beat may have sent it again before it stopped: any later run changed nothing.
    later = JobRun.objects.filter(pk__gt=first.pk, status=JobRun.Status.SUCCEEDED)
    assert all(run.changed == 0 and run.counts["notices"] == 0 for run in later)


@pytest.fixture
def slow_chunks(monkeypatch) -> None:
    """Workers started from here commit two cards per chunk and pause 1.5 s after each, and
    send their retries through Redis."""
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", "false")
    monkeypatch.setenv("JOBS_CHUNK_SIZE", "2")
    monkeypatch.setenv("JOBS_CHUNK_PAUSE_SECONDS", "1.5")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_whole_chunks_and_the_next_run_finishes_the_job(
    slow_chunks, make_card, officer, tmp_path, monkeypatch
):
    today = timezone.localdate()
    expired = [make_card(today - days(n), created_by=officer) for n in range(1, 7)]
    expiring = [make_card(today + days(n), created_by=officer) for n in (10, 20, 30)]
    worker = start_worker(tmp_path)
    try:
        with worker.sending():
            flag_card_expiry_task.delay()
        killed = wait_for(
            lambda: JobRun.objects.filter(counts__expired__gte=2).first(), what="a first chunk"
        )
        worker.process.kill()  # SIGKILL: no clean-up of any kind
        worker.process.wait(timeout=20)
    finally:
        stop_worker(worker)
    killed.refresh_from_db()
    flagged = set(ResidenceCard.objects.filter(status=Status.EXPIRED).values_list("pk", flat=True))

    # Only whole chunks committed, each card with its event, and the run's counts match them.
    assert killed.status == JobRun.Status.RUNNING
    assert len(flagged) in (2, 4)
    assert killed.counts["expired"] == len(flagged)
    assert job_event_counts() == dict.fromkeys(flagged, 1)
    # ... and its notice, written in the same transaction as the move.
    assert set(RenewalNotice.objects.values_list("card_id", flat=True)) == flagged
    assert killed.counts["notices"] == len(flagged)
    assert ResidenceCard.objects.filter(status=Status.EXPIRING).count() == 0
    wait_for(lambda: lock_holder() is None, what="the dead worker's lock to go")

    monkeypatch.delenv("JOBS_CHUNK_PAUSE_SECONDS")
    rerun_worker = start_worker(tmp_path)
    try:
        with rerun_worker.sending():
            result = flag_card_expiry_task.delay().get(timeout=60)
    finally:
        stop_worker(rerun_worker)

    killed.refresh_from_db()
    rerun = JobRun.objects.get(pk=result["run"])
    assert killed.status == JobRun.Status.INTERRUPTED
    assert rerun.status == JobRun.Status.SUCCEEDED
    assert killed.counts["expired"] + rerun.counts["expired"] == 6
    assert rerun.counts["expiring"] == 3
    assert killed.counts["notices"] + rerun.counts["notices"] == 9
    statuses = dict(ResidenceCard.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in expired] == [Status.EXPIRED] * 6
    assert [statuses[c.pk] for c in expiring] == [Status.EXPIRING] * 3
    assert job_event_counts() == dict.fromkeys([c.pk for c in expired + expiring], 1)
    assert RenewalNotice.objects.count() == 9


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_is_retried_and_the_run_completes(
    slow_chunks, make_card, officer, tmp_path
):
    today = timezone.localdate()
    expired = [make_card(today - days(n), created_by=officer) for n in range(1, 7)]
    worker = start_worker(tmp_path)
    try:
        with worker.sending():
            result = flag_card_expiry_task.delay()
            first = wait_for(
                lambda: JobRun.objects.filter(counts__expired__gte=2).first(), what="a first chunk"
            )
            # Cut the worker's database connection, as a network failure or a restart would.
            pid = wait_for(lock_holder, what="the lock holder")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            answer = result.get(timeout=90)
        output = worker.output()
    finally:
        stop_worker(worker)

    first.refresh_from_db()
    retried = JobRun.objects.get(pk=answer["run"])
    assert "Retry in 2s: OperationalError" in output
    # The failed attempt says why; the retry, a new run, finished the work.
    assert first.status == JobRun.Status.FAILED
    assert first.error.startswith("OperationalError: terminating connection")
    assert retried.pk != first.pk
    assert retried.status == JobRun.Status.SUCCEEDED
    assert first.counts["expired"] + retried.counts["expired"] == 6
    assert job_event_counts() == dict.fromkeys([c.pk for c in expired], 1)
    assert set(ResidenceCard.objects.values_list("status", flat=True)) == {Status.EXPIRED}
