"""The import and export pages: access by role and province, upload, preview, report, export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from imports import columns, services
from imports.models import ExportLog, ImportBatch
from residents.models import Declaration, Resident, TravelDocument
from tests.factories import DeclarationFactory, ResidentFactory
from tests.imports.conftest import csv_bytes, person, read_csv_response, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(officer, phnom_penh) -> ImportBatch:
    rows = [person(1), person(2, Sex="?"), person(3, **{"Date of birth": "99/99/1999"})]
    return services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes(rows), "pp-list.csv")
    )


BATCH_PAGES = [
    ("imports:batch-detail", "get"),
    ("imports:batch-progress", "get"),
    ("imports:batch-report", "get"),
    ("imports:batch-rejected", "get"),
    ("imports:batch-residents", "get"),
    ("imports:batch-commit", "post"),
]


@pytest.mark.parametrize(("name", "method"), BATCH_PAGES)
def test_an_officer_of_the_province_opens_each_page_of_its_import(
    officer_client, batch, name, method
):
    response = getattr(officer_client, method)(reverse(name, args=[batch.pk]))

    assert response.status_code == (302 if method == "post" else 200)


@pytest.mark.parametrize(("name", "method"), BATCH_PAGES)
def test_an_officer_of_another_province_gets_404_on_each_page_of_an_import(
    other_officer_client, batch, name, method
):
    response = getattr(other_officer_client, method)(reverse(name, args=[batch.pk]))

    assert response.status_code == 404
    batch.refresh_from_db()
    assert batch.status == "validated"
    assert Resident.objects.count() == 0


@pytest.mark.parametrize(("name", "method"), BATCH_PAGES)
def test_anonymous_is_sent_to_sign_in_from_each_page_of_an_import(client, batch, name, method):
    response = getattr(client, method)(reverse(name, args=[batch.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Resident.objects.count() == 0


@pytest.mark.parametrize("name", ["imports:batch-list", "imports:template", "imports:export"])
def test_anonymous_is_sent_to_sign_in_from_the_import_and_export_pages(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_hq_opens_an_import_of_any_province(director_client, batch):
    response = director_client.get(reverse("imports:batch-detail", args=[batch.pk]))

    assert response.status_code == 200


def test_a_verifier_cannot_import(verifier_client, batch):
    list_page = verifier_client.get(reverse("imports:batch-list"))
    detail = verifier_client.get(reverse("imports:batch-detail", args=[batch.pk]))

    assert (list_page.status_code, detail.status_code) == (403, 403)


def test_the_history_lists_only_the_imports_of_the_officers_province(
    officer_client, other_officer_client, batch
):
    own = officer_client.get(reverse("imports:batch-list"))
    other = other_officer_client.get(reverse("imports:batch-list"))

    assert "pp-list.csv" in own.content.decode()
    assert batch.file_sha256[:16] in own.content.decode()
    assert "pp-list.csv" not in other.content.decode()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_has_bilingual_headers(officer_client, file_format):
    response = officer_client.get(reverse("imports:template"), {"format": file_format})

    content = b"".join(response.streaming_content) if response.streaming else response.content
    if file_format == "csv":
        header = read_csv_response(content)[0]
    else:
        header = [
            c.value for c in next(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows())
        ]
    assert header[:3] == [
        "Surname / នាមត្រកូល",
        "Given names / នាមខ្លួន",
        "Name in Khmer / ឈ្មោះជាអក្សរខ្មែរ",
    ]
    assert "Passport number / លេខលិខិតឆ្លងដែន" in header


def test_an_officer_uploads_a_file_and_reads_the_preview(officer_client, phnom_penh):
    data = csv_bytes([person(1), person(2, Sex="?")])

    response = officer_client.post(
        reverse("imports:batch-list"), {"province": "12", "file": upload(data)}, follow=True
    )

    batch = ImportBatch.objects.get()
    page = response.content.decode()
    assert response.redirect_chain == [(reverse("imports:batch-detail", args=[batch.pk]), 302)]
    assert 'data-testid="count-ok">1<' in page
    assert 'data-testid="count-errors">1<' in page
    assert "Write M, F or X (Male, Female, Unspecified)." in page
    assert Resident.objects.count() == 0


def test_the_preview_is_shown_in_khmer(officer_client, batch):
    officer_client.cookies["django_language"] = "km"

    response = officer_client.get(reverse("imports:batch-detail", args=[batch.pk]))

    assert "សរសេរ M, F ឬ X" in response.content.decode()


def test_an_officer_cannot_upload_for_another_province(officer_client):
    response = officer_client.post(
        reverse("imports:batch-list"),
        {"province": "17", "file": upload(csv_bytes([person(1)]))},
    )

    assert response.status_code == 400
    assert "You cannot import for this province." in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_the_officer_commits_and_finds_the_residents_as_submitted_declarations(
    officer_client, batch
):
    response = officer_client.post(reverse("imports:batch-commit", args=[batch.pk]), follow=True)

    assert "Imported: 1 accepted, 2 rejected, 0 duplicates." in response.content.decode()
    listing = officer_client.get(reverse("imports:batch-residents", args=[batch.pk]))
    assert "WANG1 LI" in listing.content.decode()
    assert list(Declaration.objects.values_list("status", flat=True)) == ["submitted"]


def _table(response, file_format: str) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if file_format == "csv":
        return read_csv_response(content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_error_report_gives_each_error_with_the_value_found_the_reason_and_the_fix(
    officer_client, batch, file_format
):
    response = officer_client.get(
        reverse("imports:batch-report", args=[batch.pk]), {"format": file_format}
    )

    assert _table(response, file_format) == [
        ["Row / ជួរដេក", "Column / ជួរឈរ", "Value found / តម្លៃដែលបានឃើញ", "Reason / មូលហេតុ",
         "Suggested fix / ការកែដែលបានស្នើ"],
        ["3", "Sex / ភេទ", "?", "Write M, F or X (Male, Female, Unspecified).", "Write M, F or X."],
        ["4", "Date of birth / ថ្ងៃខែឆ្នាំកំណើត", "99/99/1999",
         "Not a date: write DD/MM/YYYY, DD-MM-YYYY or YYYY-MM-DD.",
         "Write the date as DD/MM/YYYY, for example 17/05/1980."],
    ]  # fmt: skip


def test_the_error_report_suggests_the_closest_countries(officer_client, officer, phnom_penh):
    batch = services.import_batch_create(
        actor=officer,
        province=phnom_penh,
        upload=upload(csv_bytes([person(1, Nationality="Chinaa")])),
    )

    rows = _table(officer_client.get(reverse("imports:batch-report", args=[batch.pk])), "csv")

    assert rows[1] == [
        "2",
        "Nationality / សញ្ជាតិ",
        "Chinaa",
        "Unknown country or nationality.",
        "Did you mean China (CN), Canada (CA), Czechia (CZ)?",
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_rejected_rows_come_in_the_templates_layout_and_import_again_once_fixed(
    officer_client, officer, phnom_penh, batch, file_format
):
    response = officer_client.get(
        reverse("imports:batch-rejected", args=[batch.pk]), {"format": file_format}
    )
    rows = _table(response, file_format)
    header = rows[0]
    assert header == [c.header for c in columns.COLUMNS] + ["Problems / បញ្ហា"]
    assert [r[header.index("Surname / នាមត្រកូល")] for r in rows[1:]] == ["WANG2", "WANG3"]
    assert [r[-1] for r in rows[1:]] == [
        "Sex: Write M, F or X (Male, Female, Unspecified).",
        "Date of birth: Not a date: write DD/MM/YYYY, DD-MM-YYYY or YYYY-MM-DD.",
    ]
    # The officer fixes the two cells and uploads the file as it is.
    rows[1][header.index("Sex / ភេទ")] = "M"
    rows[2][header.index("Date of birth / ថ្ងៃខែឆ្នាំកំណើត")] = "01/02/1990"
    fixed = csv_bytes([dict(zip(header, r, strict=True)) for r in rows[1:]], header=header)

    again = services.import_batch_create(actor=officer, province=phnom_penh, upload=upload(fixed))

    assert (again.status, again.ok_rows, again.error_rows, again.duplicate_rows) == (
        "validated",
        2,
        0,
        0,
    )
    assert again.unknown_columns == []


def test_the_progress_bar_asks_htmx_to_reload_when_the_batch_is_done(officer_client, batch):
    response = officer_client.get(
        reverse("imports:batch-progress", args=[batch.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


def test_a_running_batch_shows_a_polling_progress_bar(officer_client, batch):
    ImportBatch.objects.filter(pk=batch.pk).update(status="commit_queued")

    response = officer_client.get(reverse("imports:batch-detail", args=[batch.pk]))

    page = response.content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "You can leave this page" in page


# --- Export -------------------------------------------------------------------------------------
def _export(client, **params):
    response = client.get(reverse("imports:export-download"), params)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def test_an_officer_exports_the_residents_of_the_province_only(officer_client, officer, geo):
    ResidentFactory(surname="PPONE")
    ResidentFactory(surname="SRONE", province_id="17")

    response, content = _export(officer_client, format="csv")

    rows = read_csv_response(content)
    assert response.status_code == 200
    assert [r[0] for r in rows[1:]] == ["PPONE"]
    log = ExportLog.objects.get()
    assert (log.user, log.province_id, log.file_format, log.row_count) == (officer, "12", "csv", 1)


def test_hq_exports_every_province(director_client, geo):
    ResidentFactory(surname="PPONE")
    ResidentFactory(surname="SRONE", province_id="17")

    _response, content = _export(director_client, format="csv")

    assert sorted(r[0] for r in read_csv_response(content)[1:]) == ["PPONE", "SRONE"]


def test_the_export_applies_the_resident_list_filters_and_logs_them(officer_client, geo):
    wanted = ResidentFactory(surname="NGUYEN", nationality="VN")
    DeclarationFactory(resident=wanted, status=Declaration.Status.SUBMITTED)
    other = ResidentFactory(surname="NGUYEN2", nationality="CN")
    DeclarationFactory(resident=other, status=Declaration.Status.SUBMITTED)
    DeclarationFactory(resident=ResidentFactory(surname="NGUYEN3", nationality="VN"))

    _response, content = _export(
        officer_client, q="nguyen", status="submitted", nationality="VN", district="1201"
    )

    assert [r[0] for r in read_csv_response(content)[1:]] == ["NGUYEN"]
    assert ExportLog.objects.get().filters == {
        "q": "nguyen",
        "status": "submitted",
        "nationality": "VN",
        "district": "1201",
    }


def test_an_export_searched_by_passport_number_never_logs_the_number(officer_client, geo):
    resident = ResidentFactory(surname="NGUYEN", nationality="VN")
    DeclarationFactory(resident=resident, status=Declaration.Status.SUBMITTED)
    document = TravelDocument(resident=resident, issuing_country="VN")
    document.set_number("C7654321")
    document.save()

    _response, content = _export(officer_client, q="C7654321")

    assert [r[0] for r in read_csv_response(content)[1:]] == ["NGUYEN"]
    assert ExportLog.objects.get().filters == {"q": "[passport number]"}
    exported = AuditEvent.objects.get(action=AuditEvent.Action.EXPORTED)
    assert exported.detail["filters"] == {"q": "[passport number]"}
    assert "7654321" not in str(exported.detail)


def test_a_district_of_another_province_is_refused_as_a_filter(officer_client, geo):
    response, _content = _export(officer_client, district="1710")

    assert response.status_code == 400
    assert ExportLog.objects.count() == 0


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_cells_that_a_spreadsheet_would_run_are_neutralised(
    officer_client, geo, file_format, django_capture_on_commit_callbacks
):
    ResidentFactory(surname="=CMD", given_names="+SUM(1)", occupation="@A1", employer="-2+3",
                    phone="\tTAB", address_street="\rCR")  # fmt: skip

    if file_format == "csv":
        _response, content = _export(officer_client, format=file_format)
        row = read_csv_response(content)[1]
    else:
        # An XLSX is built by its task (run here as the commit's callback), then downloaded.
        with django_capture_on_commit_callbacks(execute=True):
            officer_client.post(reverse("imports:export-download"), {"format": "xlsx"})
        log = ExportLog.objects.get()
        download = officer_client.get(reverse("imports:export-file", args=[log.pk]))
        content = b"".join(download.streaming_content)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        row = list(list(sheet.iter_rows(values_only=True))[1])
        assert all(cell.data_type != "f" for cell in list(sheet.iter_rows())[1])
    assert row[0:2] == ["'=CMD", "'+SUM(1)"]
    assert (row[13], row[14], row[15]) == ("'\tTAB", "'@A1", "'-2+3")
    # XML keeps no bare CR: the XLSX reads it back as a line feed, still behind the apostrophe.
    assert row[20] in ("'\rCR", "'\nCR")


def test_the_export_page_counts_matches_and_lists_recent_exports(officer_client, officer, geo):
    ResidentFactory(surname="PPONE")
    _export(officer_client, format="csv")

    response = officer_client.get(reverse("imports:export"), {"q": "ppone"})

    page = response.content.decode()
    assert "1 resident matches." in page
    assert 'data-testid="export-log"' in page
    assert "officer_pp" in page


def test_a_clerk_cannot_export(clerk_client, geo):
    response, _content = _export(clerk_client, format="csv")

    assert response.status_code == 403
    assert ExportLog.objects.count() == 0


def test_an_officer_of_another_province_exports_none_of_this_one(other_officer_client, geo):
    ResidentFactory(surname="PPONE")

    _response, content = _export(other_officer_client, format="csv")

    assert read_csv_response(content)[1:] == []
