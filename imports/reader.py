"""Open an uploaded file safely, by its content: a CSV in UTF-8 or an XLSX workbook.

Everything a file can do wrong as a whole (empty, not a spreadsheet, wrong encoding, NUL bytes,
zip bomb, XML entity bomb, too big) raises FileRefused before any row is read, so nothing is
written; row-level problems are left to the row checks.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
import openpyxl.xml
from defusedxml import DefusedXmlException

from imports import conf

# openpyxl parses every part of a workbook through defusedxml when it is installed: insist on it.
assert openpyxl.xml.DEFUSEDXML, "defusedxml must be installed: it guards XLSX parsing"


class FileRefused(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Sheet:
    format: str  # "csv" or "xlsx"
    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as the officer sees it, cells)
    estimated_rows: int
    _closer: Any = None

    def close(self) -> None:
        if self._closer is not None:
            self._closer()


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls and other OLE files
BINARY_MAGICS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def open_sheet(data: bytes) -> Sheet:
    """Recognise the file by its bytes and return its header and rows."""
    if not data.strip():
        raise FileRefused("empty")
    limit = conf.get("MAX_BYTES")
    if len(data) > limit:
        raise FileRefused("too_big", size=_mb(len(data)), limit=_mb(limit))
    if data.startswith(ZIP_MAGIC):
        return _open_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise FileRefused("old_xls")
    if data.startswith(BINARY_MAGICS):
        raise FileRefused("not_spreadsheet")
    return _open_csv(data)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


# --- CSV ----------------------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("utf16")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise FileRefused("nul_bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Name the likely encoding so the officer knows what to change.
    try:
        data.decode("cp1252")
        guess = "Windows-1252 / Latin-1"
    except UnicodeDecodeError:
        guess = "a legacy encoding"
    raise FileRefused("not_utf8", encoding=guess) from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _open_csv(data: bytes) -> Sheet:
    content = _decode(data)
    if any(ch in content[:4096] for ch in "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f"):
        raise FileRefused("not_spreadsheet")
    first_line = content.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise FileRefused("no_header") from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Row 1 is the header, as in Excel; quoted newlines make reader.line_num jump.
        number = 1
        try:
            for cells in reader:
                number += 1
                yield number, cells
        except csv.Error:
            raise FileRefused("not_spreadsheet") from None

    return Sheet("csv", header, rows(), max(content.count("\n") - 1, 1))


# --- XLSX ---------------------------------------------------------------------------------------
def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused("bad_xlsx") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FileRefused("not_spreadsheet")
    # Sizes declared in the zip directory bound what zipfile will ever inflate: check them first.
    unpacked = sum(info.file_size for info in archive.infolist())
    limit = conf.get("MAX_UNPACKED_BYTES")
    ratio = conf.get("MAX_PACKING_RATIO")
    tight = any(
        info.file_size > 1024 * 1024 and info.file_size > ratio * max(info.compress_size, 1)
        for info in archive.infolist()
    )
    if unpacked > limit or tight:
        raise FileRefused("zip_bomb", size=_mb(unpacked), limit=_mb(limit))
    return archive


def _xlsx_refusal(exc: BaseException) -> FileRefused:
    """openpyxl wraps what defusedxml raised in a ValueError: look down the chain for it."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return FileRefused("xml_entities")
        cause = cause.__cause__ or cause.__context__
    return FileRefused("bad_xlsx")


def _open_xlsx(data: bytes) -> Sheet:
    _check_zip(data)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header = list(next(rows_iter, None) or [])
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise _xlsx_refusal(exc) from None
    while header and header[-1] is None:
        header.pop()

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(rows_iter, start=2):
                yield number, list(cells)
        except Exception as exc:
            raise _xlsx_refusal(exc) from None

    estimated = max((sheet.max_row or 2) - 1, 1)
    return Sheet("xlsx", header, rows(), estimated, workbook.close)
