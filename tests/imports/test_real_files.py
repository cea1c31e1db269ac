"""Lists as offices keep them: titles above the header, merged cells, footers, Khmer digits."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from imports import services
from imports.models import ImportBatch
from residents.models import Resident
from tests.imports.conftest import HEADER, csv_bytes, person, upload

pytestmark = pytest.mark.django_db


def _import(user, province, data, name="list.csv") -> ImportBatch:
    return services.import_batch_create(actor=user, province=province, upload=upload(data, name))


def _issues(batch):
    return [(i.row_number, i.kind, i.column, i.value, i.code) for i in batch.issues.all()]


def _workbook(lines: list[list[object]], merges: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in lines:
        sheet.append(line)
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _line(row: dict) -> list[object]:
    return [row.get(h) for h in HEADER]


def test_title_lines_above_the_header_are_skipped_and_the_header_row_is_named(officer, phnom_penh):
    title = ["List of foreign permanent residents, Phnom Penh, November 2026"]
    office = ["បញ្ជីជនបរទេសស្នាក់នៅអចិន្ត្រៃយ៍", "", "Office of Immigration"]
    data = _workbook([title, office, [], HEADER, _line(person(1)), _line(person(2))])

    batch = _import(officer, phnom_penh, data, "list.xlsx")

    assert (batch.status, batch.header_row, batch.total_rows, batch.ok_rows) == (
        "validated", 4, 2, 2
    )  # fmt: skip
    assert _issues(batch) == []


def test_a_csv_with_title_lines_and_semicolons_finds_its_header(officer, phnom_penh):
    body = csv_bytes([person(1, Sex="?"), person(2)], delimiter=";")
    data = b"Province list of residents\r\nPrinted 01/12/2026\r\n" + body

    batch = _import(officer, phnom_penh, data)

    assert (batch.header_row, batch.total_rows, batch.ok_rows, batch.error_rows) == (3, 2, 1, 1)
    assert _issues(batch) == [(4, "error", "sex", "?", "bad_sex")]


def test_the_preview_says_which_row_was_taken_as_the_header(officer_client, officer, phnom_penh):
    data = _workbook([["Residents list"], HEADER, _line(person(1))])
    batch = _import(officer, phnom_penh, data, "list.xlsx")

    page = officer_client.get(f"/imports/{batch.pk}/").content.decode()

    assert "Row 2 was taken as the header; the title lines above it were skipped." in page


def test_a_value_merged_over_several_rows_applies_to_each_of_them(officer, phnom_penh):
    rows = [person(1), person(2, **{"Basis of residence": None}), person(3, District=None,
            **{"Basis of residence": None})]  # fmt: skip
    lines = [HEADER, *(_line(r) for r in rows)]
    basis = "I2:I4"  # "marriage", merged over the three rows
    district = "G3:G4"  # row 3's "Chamkar Mon" merged into row 4

    batch = _import(officer, phnom_penh, _workbook(lines, (basis, district)), "list.xlsx")
    services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert (batch.accepted_rows, batch.rejected_rows, batch.duplicate_rows) == (3, 0, 0)
    residents = Resident.objects.filter(import_record__batch=batch).order_by("surname")
    assert [(r.surname, r.address_district_id) for r in residents] == [
        ("WANG1", "1201"), ("WANG2", "1201"), ("WANG3", "1201")
    ]  # fmt: skip
    assert sorted(r.declarations.get().basis.code for r in residents) == ["marriage"] * 3


def test_a_value_left_empty_under_the_one_it_repeats_is_never_guessed(officer, phnom_penh):
    rows = [person(1), person(2, Nationality=""), person(3, Nationality='"'),
            person(4, **{"Basis of residence": "ដដែល"})]  # fmt: skip

    batch = _import(officer, phnom_penh, csv_bytes(rows))

    assert (batch.total_rows, batch.ok_rows, batch.error_rows) == (4, 1, 3)
    assert _issues(batch) == [
        (3, "error", "nationality", "", "required"),
        (4, "error", "nationality", '"', "same_as_above"),
        (5, "error", "basis", "ដដែល", "same_as_above"),
    ]


def test_footer_lines_are_reported_as_skipped_not_as_rows_in_error(officer, phnom_penh):
    lines = [
        HEADER,
        _line(person(1)),
        _line(person(2, Sex="?")),
        ["Total: 2 residents"],
        [],
        [None, None, None, "Prepared by", None, None, "Checked by"],
        [None, None, None, "SOK Dara", None, None, "KEO Sophal"],
        ["ធ្វើនៅភ្នំពេញ ថ្ងៃទី០១ ខែធ្នូ ឆ្នាំ២០២៦"],
    ]

    batch = _import(officer, phnom_penh, _workbook(lines), "list.xlsx")
    services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows, batch.duplicate_rows) == (
        2, 1, 1, 0
    )  # fmt: skip
    assert batch.skipped_lines == [
        [4, "Total: 2 residents"],
        [6, "Prepared by Checked by"],
        [7, "SOK Dara KEO Sophal"],
        [8, "ធ្វើនៅភ្នំពេញ ថ្ងៃទី01 ខែធ្នូ ឆ្នាំ2026"],  # its Khmer digits read as digits
    ]
    assert _issues(batch) == [(3, "error", "sex", "?", "bad_sex")]
    assert Resident.objects.count() == 1


def test_a_row_with_its_required_values_is_data_even_under_a_footer_word(officer, phnom_penh):
    rows = [person(1, Occupation="Total Energies engineer")]
    header = [*HEADER, "Occupation"]

    batch = _import(officer, phnom_penh, csv_bytes(rows, header=header))

    assert (batch.total_rows, batch.ok_rows, batch.skipped_lines) == (1, 1, [])


def test_khmer_digits_in_dates_and_codes_are_imported(officer, phnom_penh):
    row = person(1, **{"Date of birth": "១៧/០៥/១៩៨០", "District": "១២០១", "Commune": "១២០១០១"})

    batch = _import(officer, phnom_penh, csv_bytes([row]))
    services.import_commit_request(batch=batch, actor=officer)

    resident = Resident.objects.get(import_record__batch=batch)
    assert (resident.date_of_birth, resident.address_district_id, resident.address_commune_id) == (
        dt.date(1980, 5, 17), "1201", "120101"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("written", "code"),
    [("Korea, Republic of", "KR"), ("People's Republic of China", "CN"), ("ជនជាតិចិន", "CN"),
     ("Viet Nam", "VN"), ("VNM", "VN"), ("Lao PDR", "LA"), ("Filipino", "PH"), ("Burmese", "MM")],
)  # fmt: skip
def test_a_nationality_written_as_offices_write_it_is_imported_with_its_iso_code(
    officer, phnom_penh, written, code
):
    row = person(1, Nationality=written, **{"Passport issuing country": written})
    header = [*HEADER, "Passport issuing country"]

    batch = _import(officer, phnom_penh, csv_bytes([row], header=header))
    services.import_commit_request(batch=batch, actor=officer)

    resident = Resident.objects.get(import_record__batch=batch)
    document = resident.documents.get()
    assert (str(resident.nationality), str(document.issuing_country)) == (code, code)


def test_an_unknown_issuing_country_is_rejected_naming_the_field_and_the_closest(
    officer, phnom_penh
):
    row = person(1, **{"Passport issuing country": "Chna"})
    header = [*HEADER, "Passport issuing country"]

    batch = _import(officer, phnom_penh, csv_bytes([row], header=header))

    issue = batch.issues.get()
    assert (issue.row_number, issue.column, issue.value, issue.code) == (
        2, "passport_country", "Chna", "bad_country"
    )  # fmt: skip
    assert issue.fix == "Did you mean China (CN), Chad (TD), Ghana (GH)?"
    assert Resident.objects.count() == 0


def test_places_written_in_other_romanisations_are_imported_with_their_codes(officer, phnom_penh):
    rows = [
        person(1, Province="Phnum Penh", District="Khan Toul Kork", Commune="Tuek Lak Ti Muoy"),
        person(2, Province="រាជធានី ភ្នំពេញ", District="៧មករា", Commune="Sangkat Monourom"),
    ]
    header = [*HEADER, "Province"]

    batch = _import(officer, phnom_penh, csv_bytes(rows, header=header))
    services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert _issues(batch) == []
    residents = Resident.objects.filter(import_record__batch=batch).order_by("surname")
    assert [(r.address_district_id, r.address_commune_id) for r in residents] == [
        ("1204", "120404"), ("1203", "120305")
    ]  # fmt: skip


def test_a_place_of_another_province_is_rejected_naming_it_and_nothing_is_written(
    officer, phnom_penh
):
    rows = [person(1, Province="Kampong Som")]
    header = [*HEADER, "Province"]

    batch = _import(officer, phnom_penh, csv_bytes(rows, header=header))

    assert _issues(batch) == [(2, "error", "province", "Kampong Som", "other_province")]
    assert Resident.objects.count() == 0


def test_a_workbook_without_dimension_or_shared_strings_is_read_to_its_last_row(
    officer, phnom_penh
):
    workbook = openpyxl.Workbook(write_only=True)  # as other programs than Excel write them
    sheet = workbook.create_sheet("List")
    sheet.append(["Residents of Phnom Penh"])
    sheet.append([])
    sheet.append(HEADER)
    for n in range(1, 6):
        sheet.append(_line(person(n)))
    sheet.append([])
    sheet.append(_line(person(6, Sex="?")))
    out = io.BytesIO()
    workbook.save(out)

    batch = _import(officer, phnom_penh, out.getvalue(), "list.xlsx")

    assert (batch.header_row, batch.total_rows, batch.ok_rows, batch.error_rows) == (3, 6, 5, 1)
    assert _issues(batch) == [(10, "error", "sex", "?", "bad_sex")]


def test_a_passport_merged_over_two_rows_is_written_once(officer, phnom_penh):
    rows = [person(1), person(2, **{"Passport number": None})]
    lines = [HEADER, *(_line(r) for r in rows)]

    batch = _import(officer, phnom_penh, _workbook(lines, ("F2:F3",)), "list.xlsx")
    services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert (batch.accepted_rows, batch.rejected_rows, batch.duplicate_rows) == (1, 0, 1)
    assert _issues(batch) == [
        (3, "duplicate", "passport_number", "••••••001", "dup_passport_in_file")
    ]
    assert Resident.objects.count() == 1


def test_after_a_subtotal_the_next_part_of_the_list_is_read_and_a_sparse_row_is_an_error(
    officer, phnom_penh
):
    lines = [
        HEADER,
        _line(person(1)),
        ["Sub-total: 1"],
        _line(person(2)),
        ["WANG3", None, None, None, None, "E00000003"],  # most required values missing
    ]

    batch = _import(officer, phnom_penh, _workbook(lines), "list.xlsx")

    assert (batch.total_rows, batch.ok_rows, batch.error_rows) == (3, 2, 1)
    assert batch.skipped_lines == [[3, "Sub-total: 1"]]
    assert [(n, column, code) for n, _kind, column, _value, code in _issues(batch)] == [
        (5, "sex", "required"), (5, "date_of_birth", "required"), (5, "nationality", "required"),
        (5, "district", "required"), (5, "commune", "required"), (5, "basis", "required"),
    ]  # fmt: skip
