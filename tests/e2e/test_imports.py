"""An officer imports a messy provincial list; a verifier then finds its rows in the queue."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from residents.models import Declaration
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bases(geo: None) -> None:
    """The bases of residence, which `geo` restores with the rest of the reference data."""


# Khmer and English headers in no particular order, stray spaces, mixed case, passports with
# dashes and spaces, dates in three forms, nationality as a demonym, in Khmer and as a code.
MESSY = [
    ["ភេទ", "Passport No.", "នាមត្រកូល", "first name", "DOB", "សញ្ជាតិ", "ខណ្ឌ", "Sangkat",
     "Basis", "Remarks"],
    ["F", "e-1234 5678", "  wang ", "xiao  li", "17/05/1980", "Chinese", "Chamkar Mon",
     "Tonle Basak", "marriage", "ok"],
    ["ប្រុស", "G 7654-3210", "Nguyen", "van an", "1975-01-31", "វៀតណាម", "ខណ្ឌចំការមន",
     "ទន្លេបាសាក់", "Investment", ""],
    ["M", "P1112223", "KIM", "min", "31-02-1990", "KR", "1201", "120101", "employment",
     "bad date"],
    ["F", "E12345678", "WANG", "XIAO LI", "17/05/1980", "CN", "Chamkar Mon", "Tonle Basak",
     "marriage", "same passport again"],
]  # fmt: skip


def _messy_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(MESSY)
    return out.getvalue().encode("utf-8-sig")


@pytest.mark.usefixtures("bases")
def test_an_officer_imports_a_messy_list_and_a_verifier_finds_it_in_the_queue(
    geo, page, screenshot
):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    sign_in(page, "officer_pp", PASSWORD)

    page.get_by_test_id("nav").get_by_role("link", name="Import lists").click()
    page.get_by_label("File (CSV or XLSX)").set_input_files(
        files=[{"name": "phnom-penh.csv", "mimeType": "text/csv", "buffer": _messy_csv()}]
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_test_id("batch-title")).to_have_text("phnom-penh.csv")
    expect(page.get_by_test_id("count-total")).to_have_text("4")
    expect(page.get_by_test_id("count-ok")).to_have_text("2")
    expect(page.get_by_test_id("count-errors")).to_have_text("1")
    expect(page.get_by_test_id("count-duplicates")).to_have_text("1")
    expect(page.get_by_test_id("unknown-columns")).to_contain_text("Remarks")
    errors = page.get_by_test_id("errors")
    expect(errors).to_contain_text("31-02-1990")
    expect(errors).to_contain_text("Not a date: write DD/MM/YYYY, DD-MM-YYYY or YYYY-MM-DD.")
    expect(page.get_by_test_id("duplicates")).to_contain_text(
        "The same passport is on row 2 of this file."
    )
    assert Declaration.objects.count() == 0
    screenshot(page, "preview")

    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    report = list(csv.reader(io.StringIO(text)))
    assert report == [
        ["Row / ជួរដេក", "Column / ជួរឈរ", "Value found / តម្លៃដែលបានឃើញ", "Reason / មូលហេតុ",
         "Suggested fix / ការកែដែលបានស្នើ"],
        ["4", "Date of birth / ថ្ងៃខែឆ្នាំកំណើត", "31-02-1990",
         "Not a date: write DD/MM/YYYY, DD-MM-YYYY or YYYY-MM-DD.",
         "Write the date as DD/MM/YYYY, for example 17/05/1980."],
    ]  # fmt: skip

    page.get_by_role("button", name="Import the valid rows").click()

    expect(page.get_by_text("Imported: 2 accepted, 1 rejected, 1 duplicates.")).to_be_visible()
    page.get_by_test_id("residents-link").click()
    table = page.get_by_test_id("imported-residents")
    expect(table).to_contain_text("WANG XIAO LI")
    expect(table).to_contain_text("NGUYEN VAN AN")
    expect(table).to_contain_text("Submitted")
    screenshot(page, "imported")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "verifier_pp", PASSWORD)
    page.goto("/residents/verification/")

    queue = page.get_by_test_id("queue")
    expect(queue.get_by_test_id("queue-row")).to_have_count(2)
    expect(queue).to_contain_text("WANG XIAO LI")
    expect(queue).to_contain_text("NGUYEN VAN AN")
    expect(queue).to_contain_text(str(officer))  # the maker; a second officer verifies
    screenshot(page, "verification-queue")


def _office_workbook() -> bytes:
    """A list as an office keeps it: title lines, a basis merged down, a footer with signatures."""
    import openpyxl

    header = [
        "No.",
        "Surname",
        "Given names",
        "Sex",
        "Date of birth",
        "Nationality",
        "Passport number",
        "District",
        "Commune",
        "Basis of residence",
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["បញ្ជីជនបរទេសស្នាក់នៅអចិន្ត្រៃយ៍ រាជធានីភ្នំពេញ"])
    sheet.append(["List of foreign permanent residents, Phnom Penh, November 2026"])
    sheet.merge_cells("A1:J1")
    sheet.append([])
    sheet.append(header)
    sheet.append(
        [
            1,
            "WANG",
            "XIAO LI",
            "F",
            "១៧/០៥/១៩៨០",
            "Korea, Republic of",
            "E11112222",
            "Khan Toul Kork",
            "Tuek Lak Ti Muoy",
            "marriage",
        ]
    )
    sheet.append(
        [
            2,
            "NGUYEN",
            "VAN AN",
            "M",
            "31/01/1975",
            "Viet Nam",
            "E33334444",
            "Chamkarmon",
            "Tonle Bassac",
            None,
        ]
    )
    sheet.append(
        [
            3,
            "SMITH",
            "JOHN",
            "M",
            "02/03/1970",
            "Britsh",
            "E55556666",
            "Chamkar Mon",
            "Tonle Basak",
            "employment",
        ]
    )
    sheet.merge_cells("J5:J6")
    sheet.append([])
    sheet.append(["Total: 3"])
    sheet.append([None, "Prepared by", None, None, None, "Checked by"])
    sheet.append([None, "SOK Dara", None, None, None, "KEO Sophal"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()  # fmt: skip


@pytest.mark.usefixtures("bases")
def test_an_office_kept_workbook_is_read_as_it_is_and_its_rejected_row_comes_back_to_fix(
    geo, page, screenshot
):
    UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    sign_in(page, "officer_pp", PASSWORD)

    page.goto("/imports/")
    page.get_by_label("File (CSV or XLSX)").set_input_files(
        files=[{"name": "office.xlsx", "mimeType": "application/octet-stream",
                "buffer": _office_workbook()}]
    )  # fmt: skip
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_test_id("count-total")).to_have_text("3")
    expect(page.get_by_test_id("count-ok")).to_have_text("2")
    expect(page.get_by_test_id("count-errors")).to_have_text("1")
    expect(page.get_by_test_id("header-row")).to_have_text(
        "Row 4 was taken as the header; the title lines above it were skipped."
    )
    skipped = page.get_by_test_id("skipped-lines")
    expect(skipped).to_contain_text("Row 9: Total: 3")
    expect(skipped).to_contain_text("Row 11: SOK Dara KEO Sophal")
    expect(page.get_by_test_id("unknown-columns")).to_have_count(0)  # "No." is quietly ignored
    errors = page.get_by_test_id("errors")
    expect(errors).to_contain_text("Britsh")
    expect(errors).to_contain_text("Did you mean United Kingdom (GB)")
    screenshot(page, "preview-en")

    with page.expect_download() as download:
        page.get_by_test_id("rejected-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rejected = list(csv.reader(io.StringIO(text)))
    assert rejected[0][:3] == [
        "Surname / នាមត្រកូល",
        "Given names / នាមខ្លួន",
        "Name in Khmer / ឈ្មោះជាអក្សរខ្មែរ",
    ]
    assert [(r[0], r[7], r[-1]) for r in rejected[1:]] == [
        ("SMITH", "Britsh", "Nationality: Unknown country or nationality.")
    ]

    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.get_by_test_id("header-row")).to_contain_text("ជួរដេកទី 4")
    screenshot(page, "preview-km")
