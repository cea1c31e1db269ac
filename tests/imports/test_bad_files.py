"""Files refused as a whole: each with a clear message, none leaving anything written."""

from __future__ import annotations

import io
import zipfile

import pytest

from imports import services
from imports.messages import render
from imports.models import ImportBatch
from residents.models import Declaration, Resident, TravelDocument
from tests.imports.conftest import HEADER, csv_bytes, person, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _refused(user, province, data: bytes, name: str = "list.csv") -> ImportBatch:
    batch = services.import_batch_create(actor=user, province=province, upload=upload(data, name))
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.issues.count() == 0
    assert (Resident.objects.count(), TravelDocument.objects.count()) == (0, 0)
    assert Declaration.objects.count() == 0
    return batch


def test_an_empty_file_is_refused(officer, phnom_penh):
    batch = _refused(officer, phnom_penh, b"")

    assert render(batch.failure_code, batch.failure_params) == "The file is empty."


def test_a_file_with_a_header_and_no_rows_is_refused(officer, phnom_penh):
    batch = _refused(officer, phnom_penh, csv_bytes([]))

    assert batch.failure_code == "no_rows"


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "list.csv", "not_spreadsheet"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "list.xlsx", "not_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "list.xlsx", "old_xls"),
        (b"PK\x03\x04 this is not really a zip", "list.xlsx", "bad_xlsx"),
    ],
    ids=["pdf-named-csv", "png-named-xlsx", "old-xls", "broken-zip"],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused_whatever_its_name(
    officer, phnom_penh, data, name, code
):
    batch = _refused(officer, phnom_penh, data, name)

    assert batch.failure_code == code


def test_a_zip_that_is_not_a_workbook_is_refused(officer, phnom_penh):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")

    batch = _refused(officer, phnom_penh, out.getvalue(), "list.xlsx")

    assert render(batch.failure_code, batch.failure_params).startswith(
        "This is not a CSV or XLSX file (whatever its name says)."
    )


def test_utf8_with_and_without_bom_both_work(officer, phnom_penh):
    rows = [person(1, **{"Given names": "Lê Thị"})]

    plain = services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes(rows))
    )
    bom = services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes(rows, bom=True))
    )

    assert (plain.status, plain.ok_rows, bom.status, bom.ok_rows) == (
        "validated",
        1,
        "validated",
        1,
    )


def test_a_semicolon_separated_csv_works(officer, phnom_penh):
    batch = services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1)], delimiter=";"))
    )

    assert (batch.status, batch.ok_rows) == ("validated", 1)


def test_a_windows_1252_file_is_refused_naming_its_encoding(officer, phnom_penh):
    data = csv_bytes([person(1, **{"Given names": "José"})], encoding="cp1252")

    batch = _refused(officer, phnom_penh, data)

    assert render(batch.failure_code, batch.failure_params) == (
        "The file is not UTF-8 (it looks like Windows-1252 / Latin-1); save it as “CSV UTF-8” "
        "and upload it again."
    )


def test_a_utf16_file_is_refused_as_such(officer, phnom_penh):
    data = csv_bytes([person(1)]).decode().encode("utf-16")

    batch = _refused(officer, phnom_penh, data)

    assert render(batch.failure_code) == "The file is in UTF-16; save it as “CSV UTF-8”."


def test_nul_bytes_are_refused(officer, phnom_penh):
    data = csv_bytes([person(1)]).replace(b"WANG1", b"WA\x00NG1")

    batch = _refused(officer, phnom_penh, data)

    assert batch.failure_code == "nul_bytes"


def test_rows_with_too_many_or_too_few_cells_are_rejected_and_the_others_kept(officer, phnom_penh):
    good = csv_bytes([person(1)])
    data = (
        good
        + b"WANG2,LI,F,17/05/1980,Chinese,E00000002,Chamkar Mon,Tonle Basak,marriage,EXTRA\r\n"
        + b"WANG3,LI,F,17/05/1980\r\n"
        + b"WANG4,LI,F,17/05/1980,Chinese,E00000004,Chamkar Mon,Tonle Basak,marriage,,\r\n"
    )

    batch = services.import_batch_create(actor=officer, province=phnom_penh, upload=upload(data))

    assert (batch.total_rows, batch.ok_rows, batch.error_rows) == (4, 2, 2)
    assert [(i.row_number, i.code, i.reason) for i in batch.issues.all()] == [
        (3, "cells_too_many", "This row has 10 cells; the header has 9."),
        (4, "cells_too_few", "This row has 4 cells; the header has 9."),
    ]


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (30 * 1024 * 1024))
    return out.getvalue()


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(officer, phnom_penh):
    data = _zip_bomb()
    assert len(data) < 100_000

    batch = _refused(officer, phnom_penh, data, "list.xlsx")

    assert batch.failure_code == "zip_bomb"


def test_an_xlsx_over_the_unpacked_size_limit_is_refused(officer, phnom_penh, settings):
    settings.IMPORTS_MAX_UNPACKED_BYTES = 2000

    batch = _refused(officer, phnom_penh, xlsx_bytes([person(1)]), "list.xlsx")

    assert batch.failure_code == "zip_bomb"


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10))
    + "]>\n"
).replace("&lol1;", "&lol;")


def _with_entities(part: str) -> bytes:
    """A real workbook whose `part` declares the billion-laughs entities and uses them."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([person(1)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                body = content.decode().split("?>", 1)[-1]
                body = body.replace("WANG1", "&lol9;", 1) if "sheet" in part else body
                content = (LAUGHS + body).encode()
            archive.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_an_xml_entity_bomb_is_refused_by_defusedxml(officer, phnom_penh, part):
    batch = _refused(officer, phnom_penh, _with_entities(part), "list.xlsx")

    assert render(batch.failure_code) == (
        "The XLSX file contains XML entity declarations, which are not allowed; it was not read."
    )


def test_a_file_over_the_size_limit_is_refused_unread(officer, phnom_penh, settings):
    settings.IMPORTS_MAX_BYTES = 1000

    batch = _refused(officer, phnom_penh, csv_bytes([person(n) for n in range(30)]))

    assert batch.failure_code == "too_big"
    assert not batch.file


def test_a_file_over_the_row_limit_is_refused_and_nothing_is_kept(officer, phnom_penh, settings):
    settings.IMPORTS_MAX_ROWS = 5
    settings.IMPORTS_CHUNK_ROWS = 2

    batch = _refused(officer, phnom_penh, csv_bytes([person(n) for n in range(6)]))

    assert render(batch.failure_code, batch.failure_params) == (
        "The file has more than 5 rows; split it into smaller files."
    )


def test_a_header_naming_a_column_twice_is_refused(officer, phnom_penh):
    header = [*HEADER, "នាមត្រកូល"]

    batch = _refused(officer, phnom_penh, csv_bytes([person(1)], header))

    assert render(batch.failure_code, batch.failure_params) == (
        "The column “នាមត្រកូល” appears more than once."
    )
