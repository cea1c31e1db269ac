"""An XLSX export whose worker died is built again: by the sweep, or when its maker asks again."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from core import crypto
from gdi_ims import queue
from imports import services
from imports.models import ExportLog
from tests.conftest import client_for, start_worker, stop_worker
from tests.factories import DeclarationFactory, ResidentFactory

Status = ExportLog.Status
RETRIED = AuditEvent.Action.EXPORT_RETRIED


def wait_for(check: Callable[[], object], timeout: float = 60, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or check}")


def minutes_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=n)


def export_of(user, *, status: str, moved: float, attempts: int = 1, rows: int = 3) -> ExportLog:
    return ExportLog.objects.create(
        user=user,
        province_id=user.province_id,
        file_format="xlsx",
        row_count=rows,
        rows_written=1 if status == Status.BUILDING else 0,
        status=status,
        attempts=attempts,
        moved_at=minutes_ago(moved),
    )


def snapshot(log: ExportLog) -> tuple:
    log.refresh_from_db()
    return (log.status, log.attempts, log.rows_written, log.moved_at, log.finished_at)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_export_whose_worker_is_killed_mid_build_is_built_again_by_the_sweep(
    officer, geo, tmp_path, monkeypatch
):
    for surname in ("NGUYEN", "TRAN", "LE"):
        DeclarationFactory(resident=ResidentFactory(surname=surname))
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", "false")
    monkeypatch.setenv("IMPORTS_EXPORT_CHUNK_PAUSE_SECONDS", "30")
    worker = start_worker(tmp_path)
    try:
        with worker.sending():
            log = services.export_xlsx_request(actor=officer, filters={}, row_count=3)
        wait_for(
            lambda: ExportLog.objects.filter(pk=log.pk, rows_written=3).exists(),
            what="the first chunk written",
        )
        worker.process.kill()  # SIGKILL, in the pause after its chunk: no clean-up of any kind
        worker.process.wait(timeout=20)
    finally:
        stop_worker(worker)
    log.refresh_from_db()
    assert (log.status, log.attempts, log.file.name) == (Status.BUILDING, 1, "")
    # Not yet: a build that wrote a chunk a moment ago may be a slow one.
    assert services.export_requeue_stalled() == 0
    assert not AuditEvent.objects.filter(action=RETRIED).exists()

    monkeypatch.delenv("IMPORTS_EXPORT_CHUNK_PAUSE_SECONDS")
    rerun_worker = start_worker(tmp_path)
    try:
        with rerun_worker.sending():
            sent = queue.requeue_stalled_work(now=timezone.now() + dt.timedelta(minutes=11))
        wait_for(
            lambda: ExportLog.objects.filter(pk=log.pk, status=Status.READY).exists(),
            what="the export built again",
        )
    finally:
        stop_worker(rerun_worker)

    log.refresh_from_db()
    assert sent["exports"] == 1
    assert (log.status, log.attempts, log.rows_written, log.percent) == (Status.READY, 2, 3, 100)
    retried = AuditEvent.objects.get(action=RETRIED)
    assert (retried.user_id, retried.object_id) == (None, str(log.pk))
    assert retried.detail == {"from": "building", "builds": 1, "by": "sweep"}
    with log.file.open("rb") as content:
        rows = list(load_workbook(io.BytesIO(content.read())).active.iter_rows(values_only=True))
    assert sorted(row[0] for row in rows[1:]) == ["LE", "NGUYEN", "TRAN"]


@pytest.mark.django_db
def test_the_sweep_leaves_moving_and_finished_exports_alone(officer, geo, settings):
    settings.IMPORTS_EXPORT_STALLED_MINUTES = 10
    moving = export_of(officer, status=Status.BUILDING, moved=9)
    just_queued = export_of(officer, status=Status.QUEUED, moved=1, attempts=0)
    ready = export_of(officer, status=Status.READY, moved=60)
    failed = export_of(officer, status=Status.FAILED, moved=60)
    before = [snapshot(log) for log in (moving, just_queued, ready, failed)]

    sent = services.export_requeue_stalled()

    assert sent == 0
    assert [snapshot(log) for log in (moving, just_queued, ready, failed)] == before
    assert not AuditEvent.objects.filter(action=RETRIED).exists()


@pytest.mark.django_db
def test_the_sweep_builds_a_stopped_export_again_until_its_attempts_run_out(
    officer, geo, settings, django_capture_on_commit_callbacks
):
    settings.IMPORTS_EXPORT_STALLED_MINUTES = 10
    settings.IMPORTS_EXPORT_MAX_ATTEMPTS = 3
    DeclarationFactory(resident=ResidentFactory(surname="NGUYEN"))
    log = services.export_xlsx_request(actor=officer, filters={}, row_count=1)
    ExportLog.objects.filter(pk=log.pk).update(
        status=Status.BUILDING, attempts=2, rows_written=1, moved_at=minutes_ago(11)
    )
    worn = export_of(officer, status=Status.BUILDING, moved=11, attempts=3)

    with django_capture_on_commit_callbacks(execute=True):
        sent = services.export_requeue_stalled()

    log.refresh_from_db()
    worn.refresh_from_db()
    assert sent == 1
    # Built again by the (eager) task: a third build, which finished.
    assert (log.status, log.attempts, log.rows_written) == (Status.READY, 3, 1)
    assert (worn.status, worn.attempts) == (Status.FAILED, 3)
    assert worn.finished_at is not None
    assert [(e.object_id, e.detail) for e in AuditEvent.objects.filter(action=RETRIED)] == [
        (str(log.pk), {"from": "building", "builds": 2, "by": "sweep"})
    ]


@pytest.mark.django_db
def test_a_queued_export_no_worker_took_is_sent_again_and_built(officer, geo):
    DeclarationFactory(resident=ResidentFactory(surname="NGUYEN"))
    waiting = export_of(officer, status=Status.QUEUED, moved=3, attempts=0, rows=1)
    ExportLog.objects.filter(pk=waiting.pk).update(
        query_encrypted=crypto.encrypt("{}", context=services.EXPORT_QUERY_CONTEXT)
    )

    # The test settings run a sent task at once (eagerly), as a worker would on receiving it.
    sent = queue.requeue_stalled_work()

    waiting.refresh_from_db()
    assert sent["exports"] == 1
    assert (waiting.status, waiting.attempts, waiting.rows_written) == (Status.READY, 1, 1)
    # Never started, so nothing was tried again: no audit row of a retry.
    assert not AuditEvent.objects.filter(action=RETRIED).exists()


@pytest.mark.django_db
def test_the_maker_asks_again_for_a_failed_export_and_gets_its_file(
    officer_client, officer, geo, django_capture_on_commit_callbacks
):
    DeclarationFactory(resident=ResidentFactory(surname="NGUYEN"))
    log = export_of(officer, status=Status.FAILED, moved=1, rows=1)
    ExportLog.objects.filter(pk=log.pk).update(
        query_encrypted=crypto.encrypt("{}", context=services.EXPORT_QUERY_CONTEXT)
    )
    page = officer_client.get(reverse("imports:export")).content.decode()
    assert reverse("imports:export-retry", args=[log.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(reverse("imports:export-retry", args=[log.pk]), follow=True)

    log.refresh_from_db()
    assert "The export is being built again." in response.content.decode()
    assert (log.status, log.attempts, log.rows_written) == (Status.READY, 2, 1)
    retried = AuditEvent.objects.get(action=RETRIED)
    assert (retried.user_id, retried.detail) == (
        officer.pk,
        {"from": "failed", "builds": 1, "by": "maker"},
    )
    download = officer_client.get(reverse("imports:export-file", args=[log.pk]))
    assert download.status_code == 200


@pytest.mark.django_db
def test_an_export_still_moving_cannot_be_asked_again_and_nothing_changes(
    officer_client, officer, geo
):
    moving = export_of(officer, status=Status.BUILDING, moved=1)
    before = snapshot(moving)

    response = officer_client.post(reverse("imports:export-retry", args=[moving.pk]), follow=True)

    assert "This export is neither stuck nor failed: nothing to retry." in (
        response.content.decode()
    )
    assert snapshot(moving) == before
    assert not AuditEvent.objects.filter(action=RETRIED).exists()


@pytest.mark.django_db
def test_only_the_maker_asks_again_others_are_not_found(
    officer, officer2, other_officer_client, client, geo
):
    stopped = export_of(officer, status=Status.BUILDING, moved=30)
    before = snapshot(stopped)
    url = reverse("imports:export-retry", args=[stopped.pk])

    same_province = client_for(officer2).post(url)
    other_province = other_officer_client.post(url)
    anonymous = client.post(url)

    assert (same_province.status_code, other_province.status_code) == (404, 404)
    assert anonymous.status_code == 302
    assert snapshot(stopped) == before
    assert not AuditEvent.objects.filter(action=RETRIED).exists()
    page = client_for(officer2).get(reverse("imports:export")).content.decode()
    assert url not in page


@pytest.mark.django_db
def test_the_export_page_says_a_build_stopped_and_a_build_began_again_in_both_languages(
    officer, geo, settings
):
    settings.IMPORTS_EXPORT_STALLED_MINUTES = 10
    stopped = export_of(officer, status=Status.BUILDING, moved=11)
    again = export_of(officer, status=Status.BUILDING, moved=1, attempts=2)
    english, khmer = client_for(officer), client_for(officer)
    khmer.cookies["django_language"] = "km"

    pages = [c.get(reverse("imports:export")).content.decode() for c in (english, khmer)]

    assert (
        "No rows written for 10 minutes: the build stopped and will be started again." in (pages[0])
    )
    assert "Build 2: the previous build stopped, so it was started again." in pages[0]
    assert "គ្មានជួរណាត្រូវបានសរសេររយៈពេល 10 នាទី" in pages[1]
    assert "ការរៀបចំលើកទី 2៖" in pages[1]
    for page in pages:
        assert reverse("imports:export-retry", args=[stopped.pk]) in page
        assert reverse("imports:export-retry", args=[again.pk]) not in page
