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
    assert [row[:3] for row in report] == [
        ["Row / ជួរដេក", "Problems / បញ្ហា", "ភេទ"],
        [
            "4",
            "Date of birth / ថ្ងៃខែឆ្នាំកំណើត: Not a date: write DD/MM/YYYY, DD-MM-YYYY or YYYY-MM-DD.",
            "M",
        ],
    ]

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
