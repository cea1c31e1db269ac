"""Open an uploaded file safely, by its content: a CSV in UTF-8 or an XLSX workbook.

Lists come as offices keep them: the header row need not be the first (title lines above it are
skipped; `Sheet.header_row` says which row was taken), and in a workbook a value merged over
several rows applies to each of them (the merge's first column, as Excel shows it; a merge
reaching up into the header or above it is a title, never a value).

Everything a file can do wrong as a whole (empty, not a spreadsheet, wrong encoding, NUL bytes,
zip bomb, XML entity bomb, too big) raises FileRefused before any row is read, so nothing is
written; row-level problems are left to the row checks.

A workbook is read by calamine (compiled, some twenty times faster than openpyxl, whose parsing
was most of a big workbook's dry run). calamine gives a formula's cached result and an error
cell as empty, and does not refuse a DTD: a workbook with a formula or an error cell in its
sheet, or a DTD in any part, is read by openpyxl through defusedxml as before, so its formulas
stay the text they are and entity declarations are refused.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
import openpyxl.xml
import python_calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from imports import columns, conf

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
    header_row: int = 1  # the row number of the header, as the officer sees it

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


# --- The header row -------------------------------------------------------------------------------
# How far down a header is looked for, and how many of its cells must name a column.
HEADER_SCAN_ROWS = 30
HEADER_MIN_COLUMNS = 3


def _known_columns(cells: list[Any]) -> int:
    return len({columns.column_for(cell) for cell in cells if cell is not None} - {None})


def _split_header(
    numbered: Iterator[tuple[int, list[Any]]],
) -> tuple[int, list[Any], Iterator[tuple[int, list[Any]]]]:
    """(header row number, header, the rows after it): the row naming most columns, near the top.

    A title line ("List of foreign residents, Siem Reap, 2026") names no column, so the first
    row naming at least HEADER_MIN_COLUMNS columns wins; when none does (a file that names too
    few columns), the first non-empty row is the header, and the missing columns are reported.
    """
    scanned: list[tuple[int, list[Any]]] = []
    best: tuple[int, int] | None = None  # (columns named, index in scanned)
    for number, cells in numbered:
        scanned.append((number, cells))
        named = _known_columns(cells)
        if named >= HEADER_MIN_COLUMNS and (best is None or named > best[0]):
            best = (named, len(scanned) - 1)
        if len(scanned) >= HEADER_SCAN_ROWS:
            break
    if best is None:
        filled = [i for i, (_n, cells) in enumerate(scanned) if any(_filled(c) for c in cells)]
        if not filled:
            raise FileRefused("no_header")
        index = filled[0]
    else:
        index = best[1]
    number, header = scanned[index]

    def rest() -> Iterator[tuple[int, list[Any]]]:
        yield from scanned[index + 1 :]
        yield from numbered

    return number, header, rest()


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


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


def _delimiter(first_lines: list[str]) -> str:
    """The separator the header uses: the one a line of the top of the file has most of."""
    counts = {d: max(line.count(d) for line in first_lines) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _open_csv(data: bytes) -> Sheet:
    content = _decode(data)
    if any(ch in content[:4096] for ch in "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f"):
        raise FileRefused("not_spreadsheet")
    first_lines = content.split("\n", HEADER_SCAN_ROWS)[:HEADER_SCAN_ROWS]
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(first_lines))

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        # Rows are numbered as Excel shows them; quoted newlines make reader.line_num jump.
        try:
            yield from enumerate(reader, start=1)
        except csv.Error:
            raise FileRefused("not_spreadsheet") from None

    header_row, header, rows = _split_header(numbered())
    estimated = max(content.count("\n") - header_row, 1)
    return Sheet("csv", header, rows, estimated, header_row=header_row)


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


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)\"")


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")


def _scan_sheet(archive: zipfile.ZipFile, path: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The sheet's last row number (0 when its rows are not numbered), and (column index, first
    row, last row) of each of its merges that spans rows.

    Read-only openpyxl never reads merges, and for a file without a dimension (as programs other
    than Excel often write them) it knows no last row, so the progress bar would have no total.
    One pass over the sheet's XML (already bounded by the zip checks), a megabyte at a time, finds
    both. (openpyxl still parses such a sheet once when it opens it, looking for the dimension.)
    """
    last = 0
    found: set[tuple[bytes, ...]] = set()
    carry = b""
    try:
        member = archive.open(path.lstrip("/"))
    except KeyError:
        return 0, []
    with member:
        while chunk := member.read(1 << 20):
            block = carry + chunk
            for match in _ROW_NUMBER.finditer(block):
                last = max(last, int(match.group(1)))
            if b"mergeCell" in block:
                found.update(_MERGE.findall(block))  # a set: the overlap is not counted twice
            carry = block[-200:]
    merges = [
        (_column_index(first_col), int(first_row), int(last_row))
        for first_col, first_row, _last_col, last_row in found
        if int(last_row) > int(first_row)
    ]
    return last, merges


def _fill_merges(
    rows: Iterator[tuple[int, list[Any]]], merges: list[tuple[int, int, int]], header_row: int
) -> Iterator[tuple[int, list[Any]]]:
    """Give each row of a merge the value of its first cell (merges below the header only)."""
    merges = [m for m in merges if m[1] > header_row]
    if not merges:
        yield from rows
        return
    starts: dict[int, list[tuple[int, int]]] = {}
    for column, first, last in merges:
        starts.setdefault(first, []).append((column, last))
    open_merges: list[tuple[int, int, Any]] = []  # (column, last row, value)
    for number, cells in rows:
        open_merges = [m for m in open_merges if m[1] >= number]
        for column, _last, value in open_merges:
            if column >= len(cells):
                cells.extend([None] * (column + 1 - len(cells)))
            cells[column] = value
        for column, last in starts.get(number, ()):
            open_merges.append((column, last, cells[column] if column < len(cells) else None))
        yield number, cells


def _open_xlsx(data: bytes) -> Sheet:
    archive = _check_zip(data)
    try:
        path = _first_worksheet_path(archive)
        if path is not None and not _needs_openpyxl(archive, path):
            return _open_xlsx_calamine(data)
    except FileRefused:
        raise
    except Exception as exc:  # a damaged workbook raises many kinds
        raise _xlsx_refusal(exc) from None
    return _open_xlsx_openpyxl(data, archive)


# --- XLSX read by calamine -------------------------------------------------------------------
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_WORKSHEET_TYPE = "/worksheet"
# Before a part's root element: an XML declaration, comments, perhaps a DTD.
_PROLOG_BYTES = 4096
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# A formula (<f>, <f t="shared" .../>) or an error cell (t="e"), with or without a prefix.
_FORMULA_OR_ERROR = re.compile(rb"<(?:\w+:)?f[\s>/]|\bt=[\"']e[\"']")


def _first_worksheet_path(archive: zipfile.ZipFile) -> str | None:
    """The archive path of the workbook's first worksheet (chart sheets are not worksheets),
    read from the workbook and its relationships as openpyxl does; None when they do not say."""
    try:
        workbook = SafeElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = SafeElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None  # parts where openpyxl would look elsewhere for them
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels
        if rel.get("Type", "").endswith(_WORKSHEET_TYPE)
    }
    for sheet in workbook.iter():
        if sheet.tag.rsplit("}", 1)[-1] == "sheet" and sheet.get(_RELATIONSHIPS) in targets:
            target = targets[sheet.get(_RELATIONSHIPS)]
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if sheet.tag.rsplit("}", 1)[-1] == "sheet":
            return None  # the first sheet is not a worksheet: leave it to openpyxl
    return None


def _needs_openpyxl(archive: zipfile.ZipFile, sheet_path: str) -> bool:
    """True when calamine would read the workbook otherwise than openpyxl: a DTD in a part (which
    defusedxml refuses when it declares entities), a formula or an error cell in the sheet."""
    if sheet_path not in archive.namelist():
        return True  # a target openpyxl resolves otherwise
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(info) as member:
            head = member.read(_PROLOG_BYTES)
        root = _ROOT_START.search(head)
        if root is None or b"<!DOCTYPE" in head[: root.start()]:
            return True  # a DTD, or a prolog too long to tell
    carry = b""
    with archive.open(sheet_path) as member:
        while chunk := member.read(1 << 20):
            block = carry + chunk
            if _FORMULA_OR_ERROR.search(block):
                return True
            carry = block[-64:]
    return False


def _open_xlsx_calamine(data: bytes) -> Sheet:
    workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    kinds = [meta.typ for meta in workbook.sheets_metadata]
    sheet = workbook.get_sheet_by_index(kinds.index(python_calamine.SheetTypeEnum.WorkSheet))
    # (first row, first column), (last row, last column), counted from 0.
    merges = [
        (first[1], first[0] + 1, last[0] + 1)
        for first, last in sheet.merged_cell_ranges or ()
        if last[0] > first[0]
    ]
    # Rows come from the first one, columns from the first used: pad them as Excel shows them.
    pad = [None] * (sheet.start[1] if sheet.start else 0)
    cells_by_row = sheet.iter_rows()

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(cells_by_row, start=1):
                # calamine gives an empty cell as "", openpyxl (and the row checks) as None.
                yield number, [*pad, *(None if cell == "" else cell for cell in cells)]
        except Exception as exc:
            raise _xlsx_refusal(exc) from None

    header_row, header, rest = _split_header(numbered())
    while header and header[-1] is None:
        header.pop()
    rows = _fill_merges(rest, merges, header_row)
    estimated = max((sheet.end[0] + 1 if sheet.end else 2) - header_row, 1)
    return Sheet("xlsx", header, rows, estimated, workbook.close, header_row=header_row)


# --- XLSX read by openpyxl -------------------------------------------------------------------
def _open_xlsx_openpyxl(data: bytes, archive: zipfile.ZipFile) -> Sheet:
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
        sheet = workbook.worksheets[0]
        # A read-only worksheet's part in the archive (private to openpyxl, not in its stubs).
        last_row, merges = _scan_sheet(archive, sheet._worksheet_path)  # type: ignore[attr-defined]
        rows_iter = sheet.iter_rows(values_only=True, max_row=last_row or None)

        def numbered() -> Iterator[tuple[int, list[Any]]]:
            try:
                for number, cells in enumerate(rows_iter, start=1):
                    yield number, list(cells)
            except Exception as exc:
                raise _xlsx_refusal(exc) from None

        header_row, header, rest = _split_header(numbered())
    except FileRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise _xlsx_refusal(exc) from None
    while header and header[-1] is None:
        header.pop()
    rows = _fill_merges(rest, merges, header_row)
    estimated = max((last_row or sheet.max_row or 2) - header_row, 1)
    return Sheet("xlsx", header, rows, estimated, workbook.close, header_row=header_row)
