"""Builders of the files provinces send: CSV and XLSX, clean or messy."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = [
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


def person(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid row of Phnom Penh (Chamkar Mon, Tonle Basak), unique by `n`."""
    row = {
        "Surname": f"WANG{n}",
        "Given names": "LI",
        "Sex": "F",
        "Date of birth": "17/05/1980",
        "Nationality": "Chinese",
        "Passport number": f"E{n:08d}",
        "District": "Chamkar Mon",
        "Commune": "Tonle Basak",
        "Basis of residence": "marriage",
    }
    row.update(overrides)
    return row


def csv_bytes(
    rows: Sequence[dict[str, Any]],
    header: Sequence[str] = HEADER,
    *,
    bom: bool = False,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    data = buffer.getvalue().encode(encoding)
    return b"\xef\xbb\xbf" + data if bom else data


def xlsx_bytes(rows: Sequence[dict[str, Any]], header: Sequence[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(h) for h in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "list.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def read_csv_response(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def phnom_penh(geo: None) -> Any:
    from provinces.models import Province

    return Province.objects.get(code="12")


@pytest.fixture
def bases(geo: None) -> None:
    """The bases of residence, which `geo` restores with the rest of the reference data."""
