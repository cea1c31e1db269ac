"""Write CSV and XLSX files (templates, error reports, exports) that no spreadsheet will execute."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet could read as a formula gets a leading apostrophe.

    Dates and numbers are left alone: they cannot run anything.
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[bytes, int]:
    """UTF-8 with a BOM, so Excel shows Khmer correctly; returns the bytes and the row count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([neutralise(_csv_value(v)) for v in row])
        count += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count


def stream_csv(header: Sequence[str], chunks: Iterable[Sequence[Sequence[Any]]]) -> Iterator[bytes]:
    """A CSV like `write_csv`'s, a chunk of rows at a time, for a StreamingHttpResponse.

    The rows come ready to write: text already neutralised and dates already formatted (the
    export's query does both in the database).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(chunk)
        yield buffer.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else value


def write_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Residents",
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
) -> tuple[IO[bytes], int]:
    """A write-only workbook in a temporary file (big exports never sit whole in memory).

    Every text cell is written as a string; openpyxl would take a string starting with '=' for a
    formula, which is why `neutralise` runs on every value.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for title_text in header:
        cell = WriteOnlyCell(sheet, value=neutralise(title_text))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
        count += 1
    for name, lines in extra_sheets:
        extra = workbook.create_sheet(name)
        for line in lines:
            extra.append([neutralise(v) for v in line])
    out = tempfile.TemporaryFile()  # noqa: SIM115 (handed to FileResponse, which closes it)
    workbook.save(out)
    out.seek(0)
    return out, count


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if hasattr(value, "strftime"):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell
    return neutralise(value)
