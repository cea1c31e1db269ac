"""The dry run stages the valid rows; the commit writes them, re-checking what changed since."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from imports import services
from imports.models import ImportBatch, ImportedResident, StagedRow
from residents.models import Declaration, ResidenceBasis, Resident, TravelDocument
from tests.factories import ResidentFactory
from tests.imports.conftest import csv_bytes, person, upload

pytestmark = pytest.mark.django_db


def _check(user, province, rows):
    return services.import_batch_create(
        actor=user, province=province, upload=upload(csv_bytes(rows))
    )


def _commit(batch, user):
    return services.import_commit_request(batch=batch, actor=user)


def test_the_dry_run_stages_exactly_its_valid_rows_cleaned_and_encrypted(officer, phnom_penh):
    batch = _check(officer, phnom_penh, [person(1, Surname=" wang  ming "), person(2, Sex="?")])

    staged = StagedRow.objects.get(batch=batch)
    assert (staged.row_number, staged.surname, staged.person_name) == (
        2,
        "WANG MING",
        "WANG MING LI",
    )
    assert staged.passport_index == TravelDocument.index_of("E00000001")
    assert "E00000001" not in staged.passport_encrypted
    assert Resident.objects.count() == 0


def test_the_commit_writes_the_staged_rows_and_empties_the_staging(officer, phnom_penh):
    batch = _commit(_check(officer, phnom_penh, [person(1), person(2)]), officer)

    resident = Resident.objects.get(surname="WANG1")
    assert (batch.status, batch.accepted_rows) == ("committed", 2)
    assert resident.documents.get().number == "E00000001"
    assert resident.declarations.get().status == Declaration.Status.SUBMITTED
    assert ImportedResident.objects.get(resident=resident).row_number == 2
    assert not StagedRow.objects.exists()


def test_the_history_events_of_the_commit_hold_the_records_as_written(officer, phnom_penh):
    _commit(_check(officer, phnom_penh, [person(1)]), officer)

    resident = Resident.objects.get()
    event = apps.get_model("residents", "ResidentEvent").objects.get(pgh_obj=resident)
    declaration_event = apps.get_model("residents", "DeclarationEvent").objects.get()
    document_event = apps.get_model("residents", "TravelDocumentEvent").objects.get()
    assert (event.surname, event.date_of_birth, event.address_commune_id) == (
        resident.surname,
        resident.date_of_birth,
        resident.address_commune_id,
    )
    assert (event.photo, event.created_by_id, event.pgh_label) == ("", officer.pk, "insert")
    assert (declaration_event.status, declaration_event.resident_id) == ("submitted", resident.pk)
    assert document_event.number_index == resident.documents.get().number_index


def test_a_passport_registered_between_dry_run_and_commit_is_a_duplicate(officer, phnom_penh):
    batch = _check(officer, phnom_penh, [person(1), person(2)])
    meanwhile = TravelDocument(resident=ResidentFactory(), issuing_country="CN")
    meanwhile.set_number("E00000002")
    meanwhile.save()

    batch = _commit(batch, officer)

    assert (batch.accepted_rows, batch.duplicate_rows, batch.total_rows) == (1, 1, 2)
    issue = batch.issues.get()
    assert (issue.row_number, issue.code, issue.value) == (3, "dup_passport", "••••••002")
    assert issue.params == {"resident": meanwhile.resident_id}
    assert TravelDocument.objects.filter(number_index=meanwhile.number_index).count() == 1


def test_a_person_registered_between_dry_run_and_commit_is_a_duplicate(officer, phnom_penh):
    batch = _check(officer, phnom_penh, [person(1), person(2)])
    meanwhile = ResidentFactory(
        surname="WANG1", given_names="Li", date_of_birth=dt.date(1980, 5, 17), nationality="CN"
    )

    batch = _commit(batch, officer)

    assert (batch.accepted_rows, batch.duplicate_rows) == (1, 1)
    issue = batch.issues.get()
    assert (issue.row_number, issue.code, issue.params) == (
        2,
        "dup_person",
        {"resident": meanwhile.pk},
    )
    assert Resident.objects.filter(surname="WANG1").count() == 1


def test_two_checked_copies_of_a_file_are_imported_once(officer, phnom_penh):
    rows = [person(1), person(2)]
    first, second = _check(officer, phnom_penh, rows), _check(officer, phnom_penh, rows)

    first, second = _commit(first, officer), _commit(second, officer)

    assert (first.accepted_rows, second.accepted_rows, second.duplicate_rows) == (2, 0, 2)
    assert Resident.objects.count() == 2


def test_lost_staged_rows_are_checked_again_from_the_file(officer, phnom_penh):
    """An unlogged table comes back empty after a database crash: the commit checks the file."""
    batch = _check(officer, phnom_penh, [person(1), person(2), person(3, Sex="?")])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM imports_stagedrow")

    batch = _commit(batch, officer)

    assert (batch.status, batch.accepted_rows, batch.rejected_rows) == ("committed", 2, 1)
    assert sorted(Resident.objects.values_list("surname", flat=True)) == ["WANG1", "WANG2"]
    assert [(i.row_number, i.code) for i in batch.issues.all()] == [(4, "bad_sex")]


def test_the_staging_table_is_unlogged():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'imports_stagedrow'")
        assert cursor.fetchone() == ("u",)


def test_rows_of_files_checked_long_ago_and_never_imported_are_dropped(
    officer, phnom_penh, settings
):
    settings.IMPORTS_STAGED_DAYS = 7
    old = _check(officer, phnom_penh, [person(1)])
    ImportBatch.objects.filter(pk=old.pk).update(validated_at=timezone.now() - dt.timedelta(days=8))
    recent = _check(officer, phnom_penh, [person(2)])
    assert set(StagedRow.objects.values_list("batch_id", flat=True)) == {recent.pk}

    old = _commit(old, officer)  # still possible: the file is checked again

    assert (old.status, old.accepted_rows) == ("committed", 1)
    assert Resident.objects.get().surname == "WANG1"


def test_a_basis_retired_between_dry_run_and_commit_rejects_its_rows(officer, phnom_penh):
    batch = _check(
        officer,
        phnom_penh,
        [person(1), person(2, **{"Basis of residence": "investment"}), person(3)],
    )
    ResidenceBasis.objects.filter(code="investment").update(is_active=False)

    batch = _commit(batch, officer)

    assert (batch.accepted_rows, batch.rejected_rows, batch.duplicate_rows) == (2, 1, 0)
    issue = batch.issues.get()
    assert (issue.row_number, issue.kind, issue.column, issue.code) == (
        3,
        "error",
        "basis",
        "bad_basis",
    )
    assert "investment" not in issue.params["choices"]
    assert sorted(Resident.objects.values_list("surname", flat=True)) == ["WANG1", "WANG3"]


def test_a_row_without_a_declaration_date_is_dated_the_day_of_the_commit(
    officer, phnom_penh, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False)
    batch = _check(officer, phnom_penh, [person(1)])
    time_machine.move_to(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False)

    _commit(batch, officer)

    assert Declaration.objects.get().declared_on == dt.date(2026, 11, 23)


def test_staged_rows_purged_under_a_running_commit_roll_it_back(officer, phnom_penh, monkeypatch):
    from imports import staging

    batch = _check(officer, phnom_penh, [person(1), person(2)])
    real_ranges = staging.row_ranges

    def purged_meanwhile(batch_id, size):
        ranges = real_ranges(batch_id, size)
        StagedRow.objects.filter(batch_id=batch_id, row_number=3).delete()
        return ranges

    monkeypatch.setattr(staging, "row_ranges", purged_meanwhile)

    with pytest.raises(RuntimeError, match="wrote 1 rows, expected 2"):
        _commit(batch, officer)

    assert Resident.objects.count() == 0
    assert ImportBatch.objects.get(pk=batch.pk).status == "commit_queued"
