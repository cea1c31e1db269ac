"""The XLSX export built by a task: queued, progress, a download link for its maker, audited."""

from __future__ import annotations

import datetime as dt
import io
import os
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from imports import files, services
from imports.models import ExportLog
from residents.models import TravelDocument
from tests.conftest import client_for
from tests.factories import DeclarationFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _ask_xlsx(client, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=True):
        url = reverse("imports:export-download")
        return client.post(f"{url}?{urlencode(params)}", {"format": "xlsx"})


def test_an_xlsx_export_is_queued_built_by_the_task_and_linked_on_the_export_page(
    officer_client, officer, geo, django_capture_on_commit_callbacks
):
    resident = ResidentFactory(surname="NGUYEN", nationality="VN")
    DeclarationFactory(resident=resident)
    ResidentFactory(surname="SRONE", province_id="17")

    response = _ask_xlsx(officer_client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("imports:export"))
    log = ExportLog.objects.get()
    assert (log.user, log.file_format, log.status) == (officer, "xlsx", "ready")
    assert (log.row_count, log.rows_written, log.percent) == (1, 1, 100)
    assert log.finished_at is not None
    page = officer_client.get(reverse("imports:export")).content.decode()
    assert reverse("imports:export-file", args=[log.pk]) in page
    download = officer_client.get(reverse("imports:export-file", args=[log.pk]))
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == "NGUYEN"
    assert rows[0][-1] == "Resident number / លេខអ្នករស់នៅ"
    details = [
        e.detail
        for e in AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED).order_by("id")
    ]
    assert details == [
        {"format": "xlsx", "filters": {}, "rows": 1},
        {"format": "xlsx", "downloaded": True, "rows": 1},
    ]


def test_a_queued_export_shows_its_progress_and_polls_until_it_is_ready(
    officer_client, officer, geo
):
    log = ExportLog.objects.create(
        user=officer,
        province_id="12",
        file_format="xlsx",
        row_count=200,
        rows_written=50,
        status=ExportLog.Status.BUILDING,
    )

    response = officer_client.get(reverse("imports:export-progress", args=[log.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in page
    assert "50 of 200 rows" in page
    assert 'value="25"' in page
    assert officer_client.get(reverse("imports:export-file", args=[log.pk])).status_code == 404


def test_a_search_by_passport_number_is_applied_by_the_task_and_never_kept_readable(
    officer_client, geo, django_capture_on_commit_callbacks
):
    wanted = ResidentFactory(surname="NGUYEN", nationality="VN")
    DeclarationFactory(resident=wanted)
    DeclarationFactory(resident=ResidentFactory(surname="OTHER"))
    document = TravelDocument(resident=wanted, issuing_country="VN")
    document.set_number("C7654321")
    document.save()

    _ask_xlsx(officer_client, django_capture_on_commit_callbacks, q="C7654321")

    log = ExportLog.objects.get()
    assert (log.status, log.row_count, log.rows_written) == ("ready", 1, 1)
    assert log.filters == {"q": "[passport number]"}
    assert "7654321" not in log.query_encrypted
    exported = AuditEvent.objects.get(action=AuditEvent.Action.EXPORTED)
    assert "7654321" not in str(exported.detail)


def test_only_the_maker_downloads_the_file_others_are_not_found(
    officer_client,
    officer,
    officer2,
    other_officer_client,
    client,
    geo,
    django_capture_on_commit_callbacks,
):
    DeclarationFactory(resident=ResidentFactory(surname="NGUYEN"))
    _ask_xlsx(officer_client, django_capture_on_commit_callbacks)
    log = ExportLog.objects.get()
    officer2_client = client_for(officer2)
    events = AuditEvent.objects.count()
    url = reverse("imports:export-file", args=[log.pk])

    same_province = officer2_client.get(url)
    other_province = other_officer_client.get(url)
    other_progress = other_officer_client.get(reverse("imports:export-progress", args=[log.pk]))
    anonymous = client.get(url)

    assert same_province.status_code == 404
    assert other_province.status_code == 404
    assert other_progress.status_code == 404
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.count() == events


def test_an_export_moves_only_along_its_transitions(officer, geo):
    log = ExportLog.objects.create(
        user=officer, province_id="12", file_format="xlsx", row_count=0, status="ready"
    )

    for status in ("queued", "building", "failed"):
        with pytest.raises(ValueError, match="cannot go from ready"):
            log.move_to(status)
    log.refresh_from_db()
    assert log.status == "ready"
    queued = ExportLog(status="queued")
    with pytest.raises(ValueError, match="cannot go from queued to ready"):
        queued.move_to("ready")


def test_the_task_leaves_a_built_export_alone_and_marks_an_unreadable_one_failed(officer, geo):
    ready = ExportLog.objects.create(
        user=officer,
        province_id="12",
        file_format="xlsx",
        row_count=3,
        rows_written=3,
        status="ready",
    )
    broken = ExportLog.objects.create(
        user=officer,
        province_id="12",
        file_format="xlsx",
        row_count=3,
        status="queued",
        query_encrypted="not a token",
    )

    services.export_xlsx_build(export_id=ready.pk)
    services.export_xlsx_build(export_id=broken.pk)

    ready.refresh_from_db()
    broken.refresh_from_db()
    assert (ready.status, ready.rows_written, ready.file.name) == ("ready", 3, "")
    assert (broken.status, broken.file.name) == ("failed", "")
    assert broken.finished_at is not None


def test_the_build_task_runs_on_the_reports_queue():
    from gdi_ims.celery import queue_of

    assert queue_of("imports.tasks.build_export_task", "ims") == "ims.reports"


def test_the_daily_purge_deletes_export_files_past_their_retention_and_keeps_the_record(
    officer, geo, settings
):
    settings.IMPORTS_EXPORT_RETENTION_DAYS = 2
    old, fresh = (
        ExportLog.objects.create(
            user=officer,
            province_id="12",
            file_format="xlsx",
            row_count=1,
            status="ready",
            finished_at=timezone.now() - dt.timedelta(days=days),
            file=ContentFile(b"PK", name=f"{days}.xlsx"),
        )
        for days in (3, 1)
    )
    old_path = old.file.path

    files.purge_expired()

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.file.name == "" and old.row_count == 1
    assert fresh.file.name.startswith("exports/1")
    assert not os.path.exists(old_path)


def test_asking_for_an_xlsx_by_a_link_is_refused_and_queues_nothing(officer_client, geo):
    ResidentFactory(surname="NGUYEN")

    response = officer_client.get(reverse("imports:export-download"), {"format": "xlsx"})

    assert response.status_code == 405
    assert ExportLog.objects.count() == 0
