"""Uploaded import files at rest: encrypted, masked in issues, deleted when retention ends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from imports import files, services, tasks
from imports.models import ImportBatch, ImportIssue
from tests.imports.conftest import csv_bytes, person, upload
from tests.imports.test_services import registered

pytestmark = pytest.mark.django_db


def _import(user, province, rows):
    return services.import_batch_create(
        actor=user, province=province, upload=upload(csv_bytes(rows))
    )


def test_the_stored_file_is_encrypted_and_still_checked(officer, phnom_penh):
    batch = _import(officer, phnom_penh, [person(1, **{"Passport number": "EZ9876543"})])

    with batch.file.open("rb") as handle:
        stored = handle.read()
    assert b"EZ9876543" not in stored and b"WANG1" not in stored
    assert stored.startswith(b"GDIENC1\n")
    assert b"EZ9876543" in files.read(batch)
    assert (batch.status, batch.ok_rows) == (ImportBatch.Status.VALIDATED, 1)


def test_issues_keep_passport_numbers_masked(officer, phnom_penh):
    registered("EY1234567")
    batch = _import(
        officer,
        phnom_penh,
        [person(1, **{"Passport number": "EY1234567"}), person(2, **{"Passport number": "X!"})],
    )

    values = {(i.row_number, i.column): i.value for i in batch.issues.all()}
    assert values[(2, "passport_number")] == "••••••567"
    assert values[(3, "passport_number")] == "X!"  # too short to hide anything
    assert not ImportIssue.objects.filter(value__contains="1234567").exists()


def _aged(batch: ImportBatch, days: int, *, committed: bool) -> None:
    """The batch as if uploaded (and imported, when `committed`) `days` ago."""
    at = timezone.now() - dt.timedelta(days=days)
    if committed:
        services.import_commit_request(batch=batch, actor=batch.created_by)
        ImportBatch.objects.filter(pk=batch.pk).update(committed_at=at)
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=at - dt.timedelta(days=1))


def test_files_are_deleted_when_their_retention_runs_out(officer, phnom_penh, settings):
    settings.IMPORTS_FILE_RETENTION_DAYS = 30
    old_import = _import(officer, phnom_penh, [person(1)])
    recent_import = _import(officer, phnom_penh, [person(2)])
    never_imported = _import(officer, phnom_penh, [person(3)])
    _aged(old_import, 31, committed=True)
    _aged(recent_import, 29, committed=True)
    _aged(never_imported, 31, committed=False)
    names = {b.pk: b.file.name for b in (old_import, recent_import, never_imported)}
    storage = old_import.file.storage

    deleted = tasks.purge_import_files_task()

    assert deleted == 2
    kept = {b.pk: (bool(b.file), b.file_deleted_at is not None) for b in ImportBatch.objects.all()}
    assert kept == {
        old_import.pk: (False, True),
        recent_import.pk: (True, False),
        never_imported.pk: (False, True),
    }
    assert not storage.exists(names[old_import.pk])
    assert not storage.exists(names[never_imported.pk])
    assert storage.exists(names[recent_import.pk])
    # the batches keep their record
    old_import.refresh_from_db()
    assert (old_import.total_rows, len(old_import.file_sha256)) == (1, 64)
    # and running it again deletes nothing more
    assert tasks.purge_import_files_task() == 0


def test_a_file_being_checked_or_imported_is_never_deleted(officer, phnom_penh):
    batch = _import(officer, phnom_penh, [person(1)])
    _aged(batch, 400, committed=False)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMIT_QUEUED)

    assert files.purge_expired() == 0
    batch.refresh_from_db()
    assert batch.file


def test_importing_a_batch_whose_file_was_deleted_says_so_and_writes_nothing(officer, phnom_penh):
    from imports import staging

    batch = _import(officer, phnom_penh, [person(1)])
    _aged(batch, 31, committed=False)
    files.purge_expired()
    staging.discard([batch.pk])  # the staged rows were dropped long ago too
    batch.refresh_from_db()

    services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert (batch.status, batch.failure_code) == (ImportBatch.Status.FAILED, "file_deleted")
    assert batch.accepted_rows == 0


def test_the_rejected_rows_of_a_deleted_file_are_explained_and_its_error_report_still_given(
    officer, officer_client, phnom_penh
):
    batch = _import(officer, phnom_penh, [person(1, Sex="?")])
    _aged(batch, 31, committed=False)
    files.purge_expired()

    rejected = officer_client.get(f"/imports/{batch.pk}/rejected/", follow=True)
    report = officer_client.get(f"/imports/{batch.pk}/report/")

    assert rejected.status_code == 200
    assert "retention ran out" in rejected.content.decode()
    assert report.content.decode("utf-8-sig").splitlines()[1] == (
        '2,Sex / ភេទ,?,"Write M, F or X (Male, Female, Unspecified).","Write M, F or X."'
    )


def _stuck(officer, province, settings, minutes: int = 10) -> ImportBatch:
    """A big file queued while no worker picked it up (sent nowhere: tasks run in-process)."""
    settings.IMPORTS_INLINE_MAX_BYTES = 10
    batch = ImportBatch.objects.create(
        province=province,
        created_by=officer,
        file_name="list.csv",
        file_sha256="0" * 64,
        queued_at=timezone.now() - dt.timedelta(minutes=minutes),
    )
    data = csv_bytes([person(1), person(2)])
    files.store(batch, data)
    batch.file_size = len(data)
    batch.save()
    return batch


def test_an_officer_sends_a_stuck_import_to_the_workers_again(
    officer, officer_client, phnom_penh, settings, django_capture_on_commit_callbacks
):
    batch = _stuck(officer, phnom_penh, settings)
    page = officer_client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="retry-form"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(f"/imports/{batch.pk}/retry/")

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.ok_rows) == (ImportBatch.Status.VALIDATED, 2)


def test_an_import_still_moving_is_not_sent_again(officer, officer_client, phnom_penh, settings):
    batch = _stuck(officer, phnom_penh, settings, minutes=0)

    response = officer_client.post(f"/imports/{batch.pk}/retry/", follow=True)

    assert "not stuck" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATING


def test_another_province_cannot_send_an_import_again(
    officer, other_officer_client, phnom_penh, settings
):
    from django.test import Client

    batch = _stuck(officer, phnom_penh, settings)
    queued_at = batch.queued_at

    assert other_officer_client.post(f"/imports/{batch.pk}/retry/").status_code == 404
    assert Client().post(f"/imports/{batch.pk}/retry/").status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.queued_at) == (ImportBatch.Status.VALIDATING, queued_at)
