"""An officer's XLSX export whose build stopped: the page says so, "Try again" builds it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditEvent
from core import crypto
from imports import services
from imports.models import ExportLog
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, DeclarationFactory, ResidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_officer_sees_a_stopped_export_tries_again_and_downloads_it(
    officer, geo, page, live_server, screenshot, settings
):
    settings.IMPORTS_EXPORT_STALLED_MINUTES = 10
    DeclarationFactory(resident=ResidentFactory(surname="NGUYEN"))
    stopped = ExportLog.objects.create(
        user=officer,
        province_id=officer.province_id,
        file_format="xlsx",
        row_count=1,
        rows_written=0,
        status=ExportLog.Status.BUILDING,
        attempts=1,
        moved_at=timezone.now() - dt.timedelta(minutes=30),
        query_encrypted=crypto.encrypt("{}", context=services.EXPORT_QUERY_CONTEXT),
    )

    sign_in(page, officer.username, PASSWORD)
    page.goto(live_server.url + reverse("imports:export"))
    row = page.get_by_test_id("export-row")
    expect(row.get_by_test_id("export-stuck")).to_contain_text(
        "No rows written for 10 minutes: the build stopped and will be started again."
    )
    screenshot(page, "export-stopped")
    row.get_by_test_id("export-retry").click()

    expect(page.get_by_text("The export is being built again.")).to_be_visible()
    expect(page.get_by_test_id("export-file")).to_be_visible()
    stopped.refresh_from_db()
    assert (stopped.status, stopped.attempts, stopped.rows_written) == ("ready", 2, 1)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_RETRIED).count() == 1
