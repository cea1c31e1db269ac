"""A big file is checked and committed by a real Celery worker, and the officer can come back."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from imports import services
from imports.models import ImportBatch
from provinces.models import Province
from residents.models import Declaration, Resident
from tests.conftest import client_for
from tests.imports.conftest import csv_bytes, person, upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(batch_id: int, status: str, worker) -> ImportBatch:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = ImportBatch.objects.get(pk=batch_id)
        if batch.status == status:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch stayed {batch.status}:\n{worker.output()[-3000:]}")


def test_a_big_file_is_checked_and_committed_by_the_real_worker(real_worker, officer, settings):
    settings.IMPORTS_INLINE_MAX_BYTES = 100
    rows = [person(n) for n in range(300)] + [person(999, Sex="?")]
    province = Province.objects.get(code="12")

    with real_worker.sending():
        batch = services.import_batch_create(
            actor=officer, province=province, upload=upload(csv_bytes(rows))
        )
        assert batch.status == "validating"
        # The officer leaves and comes back: the page shows where the work is.
        page = client_for(officer).get(reverse("imports:batch-detail", args=[batch.pk]))
        assert page.status_code == 200
        checked = _wait_for(batch.pk, "validated", real_worker)
        assert (checked.ok_rows, checked.error_rows, Resident.objects.count()) == (300, 1, 0)

        services.import_commit_request(batch=checked, actor=officer)
        done = _wait_for(batch.pk, "committed", real_worker)

    assert (done.accepted_rows, done.rejected_rows, done.duplicate_rows) == (300, 1, 0)
    assert Resident.objects.count() == 300
    assert Declaration.objects.filter(status="submitted", created_by=officer).count() == 300
    assert "imports.tasks.run_import_task" in real_worker.output()
