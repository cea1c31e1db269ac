"""Dry run, commit, duplicates and idempotency of imports, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from imports import services
from imports.models import ImportBatch, ImportedResident
from provinces.models import Province
from residents.models import Declaration, LikelyDuplicate, Resident, TravelDocument
from tests.factories import ResidentFactory
from tests.imports.conftest import HEADER, csv_bytes, person, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _import(user, province, data, name="list.csv"):
    return services.import_batch_create(actor=user, province=province, upload=upload(data, name))


def registered(number: str, country: str = "CN") -> TravelDocument:
    """A resident already in the register with this passport."""
    # A surname no built row has: the factory's WANG<n> may meet a row's name and birth date.
    holder = ResidentFactory(surname=f"HOLDER{number}")
    document = TravelDocument(resident=holder, issuing_country=country)
    document.set_number(number)
    document.save()
    return document


def _issues(batch):
    return [
        (i.row_number, i.kind, i.column, i.value, i.code)
        for i in batch.issues.order_by("row_number", "id")
    ]


def test_the_dry_run_counts_rows_and_writes_no_resident(officer, phnom_penh):
    rows = [person(1), person(2), person(3, Sex="?")]

    batch = _import(officer, phnom_penh, csv_bytes(rows))

    assert (batch.status, batch.total_rows, batch.ok_rows, batch.error_rows) == (
        "validated",
        3,
        2,
        1,
    )
    assert _issues(batch) == [(4, "error", "sex", "?", "bad_sex")]
    assert Resident.objects.count() == 0
    assert Declaration.objects.count() == 0
    assert len(batch.file_sha256) == 64


def test_commit_writes_valid_rows_as_submitted_declarations_made_by_the_importer(
    officer, phnom_penh
):
    batch = _import(officer, phnom_penh, csv_bytes([person(1)]))

    batch = services.import_commit_request(batch=batch, actor=officer)

    resident = Resident.objects.get()
    declaration = resident.declarations.get()
    document = resident.documents.get()
    assert (resident.surname, resident.given_names, resident.search_name) == (
        "WANG1",
        "LI",
        "WANG1 LI",
    )
    assert (resident.sex, resident.date_of_birth, str(resident.nationality)) == (
        "F",
        dt.date(1980, 5, 17),
        "CN",
    )
    assert (resident.province_id, resident.address_district_id, resident.address_commune_id) == (
        "12",
        "1201",
        "120101",
    )
    assert resident.created_by == officer
    assert (declaration.status, declaration.created_by, declaration.basis.code) == (
        Declaration.Status.SUBMITTED,
        officer,
        "marriage",
    )
    assert declaration.submitted_at is not None
    assert (document.number, str(document.issuing_country)) == ("E00000001", "CN")
    assert ImportedResident.objects.get().resident == resident
    assert (batch.status, batch.accepted_rows, batch.committed_by) == ("committed", 1, officer)
    assert AuditEvent.objects.filter(action="imported", user=officer).count() == 1


def test_rows_in_error_are_skipped_and_the_three_counts_add_up_to_the_rows_of_the_file(
    officer, phnom_penh
):
    registered("E00000009")
    rows = [
        person(1),
        person(2, **{"Date of birth": "31/02/1980"}),
        person(3),
        person(4, Nationality="Martian"),
        person(9),  # passport already registered
        person(1, Surname="OTHER"),  # same passport as row 2
    ]
    batch = _import(officer, phnom_penh, csv_bytes(rows))

    batch = services.import_commit_request(batch=batch, actor=officer)

    assert (batch.accepted_rows, batch.rejected_rows, batch.duplicate_rows) == (2, 2, 2)
    assert batch.accepted_rows + batch.rejected_rows + batch.duplicate_rows == batch.total_rows == 6
    assert sorted(
        Resident.objects.filter(import_record__batch=batch).values_list("surname", flat=True)
    ) == [
        "WANG1",
        "WANG3",
    ]
    assert [(i.row_number, i.code) for i in batch.issues.all()] == [
        (3, "bad_date"),
        (5, "bad_country"),
        (6, "dup_passport"),
        (7, "dup_passport_in_file"),
    ]


def test_importing_the_same_file_again_creates_nothing_twice(officer, phnom_penh):
    data = csv_bytes([person(1), person(2)])
    first = services.import_commit_request(batch=_import(officer, phnom_penh, data), actor=officer)

    second = _import(officer, phnom_penh, data)
    assert (second.ok_rows, second.duplicate_rows) == (0, 2)
    second = services.import_commit_request(batch=second, actor=officer)

    assert (first.accepted_rows, second.accepted_rows, second.duplicate_rows) == (2, 0, 2)
    assert Resident.objects.count() == 2
    assert TravelDocument.objects.count() == 2
    assert second.file_sha256 == first.file_sha256
    assert {i.code for i in second.issues.all()} == {"dup_passport"}


def test_an_overlapping_file_imports_only_its_new_rows(officer, phnom_penh):
    services.import_commit_request(
        batch=_import(officer, phnom_penh, csv_bytes([person(1), person(2)])), actor=officer
    )

    batch = _import(officer, phnom_penh, csv_bytes([person(2), person(3)]))
    batch = services.import_commit_request(batch=batch, actor=officer)

    assert (batch.accepted_rows, batch.duplicate_rows) == (1, 1)
    assert sorted(Resident.objects.values_list("surname", flat=True)) == ["WANG1", "WANG2", "WANG3"]


def test_a_passport_typed_with_spaces_and_dashes_is_the_same_passport(officer, phnom_penh):
    registered("E12345678")

    batch = _import(
        officer, phnom_penh, csv_bytes([person(1, **{"Passport number": "e 1234-5678"})])
    )

    assert (batch.ok_rows, batch.duplicate_rows) == (0, 1)
    assert _issues(batch)[0][4] == "dup_passport"


def test_same_name_birth_date_and_nationality_is_a_likely_duplicate(officer, phnom_penh):
    services.import_commit_request(
        batch=_import(officer, phnom_penh, csv_bytes([person(1)])), actor=officer
    )
    again = person(1, **{"Passport number": "G99999999", "Surname": " wang1 ", "Given names": "li"})

    batch = _import(
        officer,
        phnom_penh,
        csv_bytes([again, person(5), person(5, **{"Passport number": "G5" * 3})]),
    )

    assert (batch.ok_rows, batch.duplicate_rows) == (1, 2)
    assert [(row, code) for row, _k, _c, _v, code in _issues(batch)] == [
        (2, "dup_person"),
        (4, "dup_person_in_file"),
    ]


def test_messy_values_are_cleaned(officer, phnom_penh):
    header = ["ភេទ", "Passport No.", "នាមត្រកូល", "first name", "DOB", "សញ្ជាតិ", "ខណ្ឌ",
              "Sangkat", "Basis", "Province", "Phone"]  # fmt: skip
    row = {
        "ភេទ": "ប្រុស",
        "Passport No.": " e-1234 5678 ",
        "នាមត្រកូល": "  nguyen   van ",
        "first name": " an ",
        "DOB": "1975-01-31",
        "សញ្ជាតិ": "វៀតណាម",
        "ខណ្ឌ": "Khan Chamkar Mon",
        "Sangkat": "ទន្លេបាសាក់",
        "Basis": "Married to a Cambodian citizen",
        "Province": "ភ្នំពេញ",
        "Phone": "+855 12 345 678",
    }

    batch = _import(officer, phnom_penh, csv_bytes([row], header))
    services.import_commit_request(batch=batch, actor=officer)

    resident = Resident.objects.get()
    assert (resident.surname, resident.given_names, resident.sex) == ("NGUYEN VAN", "AN", "M")
    assert (str(resident.nationality), resident.date_of_birth) == ("VN", dt.date(1975, 1, 31))
    assert (resident.address_district_id, resident.address_commune_id) == ("1201", "120101")
    assert resident.phone == "+855 12 345 678"
    assert resident.documents.get().number == "E12345678"


def test_an_xlsx_with_excel_dates_and_numbers_imports(officer, phnom_penh):
    header = [*HEADER, "Phone"]
    rows = [
        person(1, **{"Date of birth": dt.datetime(1980, 5, 17), "Phone": 85512345678}),
        person(2, **{"Date of birth": 29358, "Passport number": 12345678}),
    ]

    batch = _import(officer, phnom_penh, xlsx_bytes(rows, header), "list.xlsx")
    services.import_commit_request(batch=batch, actor=officer)

    assert (batch.file_format, batch.ok_rows) == ("xlsx", 2)
    assert list(Resident.objects.order_by("surname").values_list("date_of_birth", "phone")) == [
        (dt.date(1980, 5, 17), "85512345678"),
        (dt.date(1980, 5, 17), ""),
    ]
    assert TravelDocument.objects.get(resident__surname="WANG2").number == "12345678"


def test_unknown_columns_are_reported_and_ignored(officer, phnom_penh):
    header = [*HEADER, "Favourite colour", "Notes du chef"]

    batch = _import(officer, phnom_penh, csv_bytes([person(1)], header))

    assert (batch.status, batch.ok_rows) == ("validated", 1)
    assert batch.unknown_columns == ["Favourite colour", "Notes du chef"]


def test_missing_required_columns_stop_the_import_with_their_names(officer, phnom_penh):
    header = [h for h in HEADER if h not in ("Nationality", "Commune")]

    batch = _import(officer, phnom_penh, csv_bytes([person(1)], header))

    assert (batch.status, batch.failure_code) == ("failed", "missing_columns")
    assert batch.failure_params == {"columns": "Nationality / សញ្ជាតិ, Commune / ឃុំ/សង្កាត់"}
    assert batch.issues.count() == 0
    assert Resident.objects.count() == 0


def test_a_row_for_another_province_is_rejected(officer, phnom_penh):
    header = [*HEADER, "Province"]

    batch = _import(officer, phnom_penh, csv_bytes([person(1, Province="Siem Reap")], header))

    assert _issues(batch) == [(2, "error", "province", "Siem Reap", "other_province")]
    issue = batch.issues.get()
    assert issue.reason == "This row is for Siemreap / សៀមរាប, not Phnom Penh / រាជធានីភ្នំពេញ."


def test_an_officer_cannot_import_for_another_province(officer):
    siem_reap = Province.objects.get(code="17")

    with pytest.raises(PermissionDenied):
        _import(officer, siem_reap, csv_bytes([person(1)]))

    assert ImportBatch.objects.count() == 0


def test_hq_imports_for_any_province(director):
    siem_reap = Province.objects.get(code="17")
    row = person(1, District="សៀមរាប", Commune="Sla Kram")

    batch = services.import_commit_request(
        batch=_import(director, siem_reap, csv_bytes([row])), actor=director
    )

    assert batch.accepted_rows == 1
    resident = Resident.objects.get()
    assert (resident.province_id, resident.address_district_id) == ("17", "1710")
    assert resident.declarations.get().created_by == director


def test_values_that_look_like_formulas_are_stored_as_text(officer, phnom_penh):
    rows = [person(1, Surname="=CMD", **{"Given names": "@SUM(A1)"}), person(2, Surname="-X+Y")]

    batch = services.import_commit_request(
        batch=_import(officer, phnom_penh, csv_bytes(rows)), actor=officer
    )

    assert batch.accepted_rows == 2
    assert sorted(Resident.objects.values_list("surname", "given_names")) == [
        ("-X+Y", "LI"),
        ("=CMD", "@SUM(A1)"),
    ]


def test_an_xlsx_formula_is_stored_as_its_text_never_evaluated(officer, phnom_penh):
    rows = [person(1, **{"Given names": "=1+2"})]

    services.import_commit_request(
        batch=_import(officer, phnom_penh, xlsx_bytes(rows), "list.xlsx"), actor=officer
    )

    assert Resident.objects.get().given_names == "=1+2"


def test_a_second_commit_request_does_nothing(officer, phnom_penh):
    batch = _import(officer, phnom_penh, csv_bytes([person(1)]))
    services.import_commit_request(batch=batch, actor=officer)

    again = services.import_commit_request(batch=batch, actor=officer)

    assert again.status == "committed"
    assert Resident.objects.count() == 1
    assert AuditEvent.objects.filter(action="imported").count() == 1


def test_the_number_of_queries_does_not_grow_with_the_number_of_rows(
    officer, phnom_penh, django_assert_max_num_queries
):
    small = csv_bytes([person(n) for n in range(10)])
    large = csv_bytes([person(n) for n in range(1000, 1200)])
    budget = 40

    with django_assert_max_num_queries(budget) as small_check:
        batch = _import(officer, phnom_penh, small)
    with django_assert_max_num_queries(budget) as small_commit:
        services.import_commit_request(batch=batch, actor=officer)
    with django_assert_max_num_queries(budget) as large_check:
        batch = _import(officer, phnom_penh, large)
    with django_assert_max_num_queries(budget) as large_commit:
        batch = services.import_commit_request(batch=batch, actor=officer)

    assert batch.accepted_rows == 200
    assert len(large_check.captured_queries) == len(small_check.captured_queries)
    assert len(large_commit.captured_queries) == len(small_commit.captured_queries)


def test_a_big_file_is_checked_and_committed_in_the_background_with_progress(
    officer, phnom_penh, settings, django_capture_on_commit_callbacks
):
    settings.IMPORTS_INLINE_MAX_BYTES = 100
    settings.IMPORTS_CHUNK_ROWS = 7
    data = csv_bytes([person(n) for n in range(30)])

    with django_capture_on_commit_callbacks(execute=True) as queued:
        batch = _import(officer, phnom_penh, data)
    batch.refresh_from_db()
    assert (len(queued), batch.status, batch.ok_rows) == (1, "validated", 30)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        services.import_commit_request(batch=batch, actor=officer)
    batch.refresh_from_db()

    assert (len(queued), batch.status, batch.accepted_rows) == (1, "committed", 30)
    from imports import selectors

    progress = selectors.import_progress_of(batch=batch)
    assert progress == {"done": 30, "total": 30, "percent": 100, "unknown": False}
    assert Resident.objects.count() == 30


def test_the_history_of_imported_records_names_the_importer_and_the_batch(officer, phnom_penh):
    from django.apps import apps

    batch = _import(officer, phnom_penh, csv_bytes([person(1), person(2)]))
    services.import_commit_request(batch=batch, actor=officer)

    events = apps.get_model("residents", "ResidentEvent").objects.select_related("pgh_context")
    assert [(e.pgh_label, e.pgh_context.metadata) for e in events.order_by("pgh_id")] == [
        ("insert", {"user": officer.pk, "import_batch": batch.pk}),
        ("insert", {"user": officer.pk, "import_batch": batch.pk}),
    ]


def test_a_near_identical_name_is_imported_and_flagged_for_the_verifier(
    officer, phnom_penh, django_capture_on_commit_callbacks
):
    services.import_commit_request(
        batch=_import(
            officer,
            phnom_penh,
            csv_bytes([person(1, Surname="CHEN", **{"Given names": "XIAOMING"})]),
        ),
        actor=officer,
    )
    typo = person(2, Surname="CHENN", **{"Given names": "XIAOMING"})

    batch = _import(officer, phnom_penh, csv_bytes([typo]))
    with django_capture_on_commit_callbacks(execute=True):  # the flags follow the commit
        services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    original, imported = Resident.objects.filter(given_names="XIAOMING").order_by("id")
    assert (batch.accepted_rows, batch.duplicate_rows) == (1, 0)
    assert list(LikelyDuplicate.objects.values_list("resident_id", "other_id", "status")) == [
        (imported.pk, original.pk, LikelyDuplicate.Status.OPEN)
    ]


def test_the_commit_writes_in_steps_so_its_progress_bar_moves(officer, phnom_penh, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from imports import selectors

    settings.IMPORTS_COMMIT_MIN_ROWS = 3
    batch = _import(officer, phnom_penh, csv_bytes([person(n) for n in range(30)]))

    with CaptureQueriesContext(connection) as commit:
        services.import_commit_request(batch=batch, actor=officer)

    writes = [q for q in commit.captured_queries if "WITH src AS MATERIALIZED" in q["sql"]]
    assert len(writes) == 10  # a step of 3 rows each: the bar moves ten times
    assert Resident.objects.count() == 30
    assert selectors.import_progress_of(batch=batch) == {
        "done": 30, "total": 30, "percent": 100, "unknown": False
    }  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "size"), [(10, 500), (4_000, 500), (50_000, 5_000), (100_000, 10_000),
                       (500_000, 20_000)]
)  # fmt: skip
def test_a_commit_statement_writes_a_tenth_of_the_rows_within_bounds(rows, size):
    assert services.commit_range_size(rows) == size
