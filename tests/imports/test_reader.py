"""Workbooks are read by calamine, and the rare one it would read otherwise by openpyxl."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from imports import reader, services, values
from tests.imports.conftest import HEADER, person, upload


def _line(row: dict) -> list[object]:
    return [row.get(h) for h in HEADER]


def _workbook(lines: list[list[object]], merges: tuple[str, ...] = (), *, at: str = "A") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    first = openpyxl.utils.column_index_from_string(at)
    for number, line in enumerate(lines, start=1):
        for offset, value in enumerate(line):
            if value is not None:
                sheet.cell(row=number, column=first + offset, value=value)
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _read(sheet: reader.Sheet) -> tuple[int, list[str], list[tuple[int, list[str]]], int]:
    """What the row checks see of a sheet, as text (openpyxl gives 12, calamine 12.0)."""
    try:
        rows = [(number, [values.text(cell) for cell in cells]) for number, cells in sheet.rows]
    finally:
        sheet.close()
    return sheet.header_row, [values.text(h) for h in sheet.header], rows, sheet.estimated_rows


def _both(data: bytes) -> tuple[tuple, tuple]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return _read(reader._open_xlsx_calamine(data)), _read(reader._open_xlsx_openpyxl(data, archive))


def test_calamine_reads_an_office_kept_workbook_exactly_as_openpyxl_does():
    # Given a title, a header in the fourth row, a list starting in column C, a basis merged
    # over three rows, a date cell, a number, Khmer text and a footer.
    lines = [
        ["List of foreign residents, Phnom Penh"],
        [],
        [],
        HEADER,
        _line(person(1, **{"Date of birth": dt.date(1980, 5, 17), "Given names": "ស៊ុន"})),
        _line(person(2, **{"Passport number": 85512345678, "Basis of residence": None})),
        _line(person(3, **{"Basis of residence": None})),
        [],
        ["Prepared by: Sok Dara"],
    ]
    data = _workbook(lines, merges=("K5:K7",), at="C")

    calamine, openpyxl_read = _both(data)

    assert calamine == openpyxl_read
    header_row, header, rows, _estimated = calamine
    assert (header_row, header[2:]) == (4, HEADER)
    assert [(number, cells[2], cells[5], cells[10]) for number, cells in rows] == [
        (5, "WANG1", "17-05-1980", "marriage"),
        (6, "WANG2", "17/05/1980", "marriage"),
        (7, "WANG3", "17/05/1980", "marriage"),
        (8, "", "", ""),
        (9, "Prepared by: Sok Dara", "", ""),
    ]


def _needs_openpyxl(data: bytes) -> bool:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return reader._needs_openpyxl(archive, reader._first_worksheet_path(archive))


def test_a_plain_workbook_is_left_to_calamine():
    assert _needs_openpyxl(_workbook([HEADER, _line(person(1))])) is False


@pytest.mark.parametrize("value", ["=1+2", "#N/A"])
def test_a_workbook_with_a_formula_or_an_error_cell_is_left_to_openpyxl(value):
    # calamine would give the formula's result (or nothing) and the error cell as empty.
    assert _needs_openpyxl(_workbook([HEADER, _line(person(1, Nationality=value))])) is True


@pytest.mark.django_db
def test_an_error_cell_is_rejected_as_the_value_it_shows(officer, phnom_penh):
    data = _workbook([HEADER, _line(person(1)), _line(person(2, Nationality="#N/A"))])

    batch = services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(data, "list.xlsx")
    )

    assert (batch.status, batch.ok_rows, batch.error_rows) == ("validated", 1, 1)
    assert [(i.row_number, i.column, i.value) for i in batch.issues.all()] == [
        (3, "nationality", "#N/A")
    ]
