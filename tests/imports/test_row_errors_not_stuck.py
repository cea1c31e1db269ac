"""Rows the register cannot hold, and files gone from storage: a clear error, no stuck batch."""

from __future__ import annotations

import pytest
from django.utils import translation

from imports import services
from imports.models import ImportBatch, StagedRow
from residents.models import Resident
from tests.imports.conftest import HEADER, csv_bytes, person, upload
from tests.residents.test_long_names import LONG_NAMES

pytestmark = pytest.mark.django_db


def test_names_of_an_import_row_too_long_together_are_a_row_error_and_the_batch_is_not_stuck(
    officer, phnom_penh
):
    header = [*HEADER, "Name in own script", "Name in Khmer"]
    rows = [
        person(1),
        person(
            2,
            Surname=LONG_NAMES["surname"],
            **{
                "Given names": LONG_NAMES["given_names"],
                "Name in own script": LONG_NAMES["name_native"],
                "Name in Khmer": LONG_NAMES["name_km"],
            },
        ),
    ]

    batch = services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes(rows, header))
    )

    assert (batch.status, batch.total_rows, batch.ok_rows, batch.error_rows) == (
        ImportBatch.Status.VALIDATED,
        2,
        1,
        1,
    )
    issue = batch.issues.get()
    assert (issue.row_number, issue.column, issue.code) == (3, "given_names", "names_too_long")
    assert issue.reason == (
        "The names together are 553 characters long; the register holds at most 300. "
        "Shorten this name."
    )
    with translation.override("km"):
        assert issue.reason.startswith("ឈ្មោះទាំងអស់រួមគ្នាមានប្រវែង 553 តួអក្សរ")
    assert StagedRow.objects.filter(batch=batch).count() == 1
    assert Resident.objects.count() == 0

    batch = services.import_commit_request(batch=batch, actor=officer)

    assert (batch.status, batch.accepted_rows, batch.rejected_rows) == ("committed", 1, 1)
    assert list(Resident.objects.values_list("surname", flat=True)) == ["WANG1"]


@pytest.mark.parametrize(
    ("header", "column", "limit"),
    [("Surname", "surname", 100), ("Given names", "given_names", 150)],
)
def test_a_name_that_grows_in_capitals_beyond_its_column_is_a_row_error(
    officer, phnom_penh, header, column, limit
):
    # "ß" is one letter, "SS" in capitals: the name fits as typed and not once capitalised.
    rows = [person(1), person(2, **{header: "ß" * limit})]

    batch = services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes(rows))
    )

    assert (batch.status, batch.ok_rows, batch.error_rows) == (ImportBatch.Status.VALIDATED, 1, 1)
    issue = batch.issues.get()
    assert (issue.row_number, issue.column, issue.code) == (3, column, "too_long_in_capitals")
    assert issue.reason == f"Longer than {limit} characters once written in capitals."
    assert StagedRow.objects.filter(batch=batch).count() == 1


def test_a_file_gone_from_storage_ends_the_check_refused_with_a_reason_not_stuck(
    officer, phnom_penh, settings, django_capture_on_commit_callbacks
):
    settings.IMPORTS_INLINE_MAX_BYTES = 100  # checked by the worker, after the upload
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batch = services.import_batch_create(
            actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1), person(2)]))
        )
    assert (len(queued), batch.status) == (1, ImportBatch.Status.VALIDATING)
    batch.file.storage.delete(batch.file.name)

    queued[0]()

    batch.refresh_from_db()
    assert (batch.status, batch.failure_code) == (ImportBatch.Status.FAILED, "check_failed")
    assert batch.issues.count() == 0
    assert StagedRow.objects.filter(batch=batch).count() == 0
    assert Resident.objects.count() == 0


def test_a_commit_that_must_check_a_file_gone_from_storage_ends_refused_and_writes_nothing(
    officer, phnom_penh
):
    from imports import staging

    batch = services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1), person(2)]))
    )
    assert batch.status == ImportBatch.Status.VALIDATED
    staging.discard([batch.pk])  # as after a database crash: the commit checks the file again
    batch.file.storage.delete(batch.file.name)

    batch = services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert (batch.status, batch.failure_code) == (ImportBatch.Status.FAILED, "check_failed")
    assert Resident.objects.count() == 0
