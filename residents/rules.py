"""The rules of a resident's record, for every way one is written: typed in a form or imported.

A resident enters the register from the entry form (`forms`, `services`) or from a province's
list (`imports`). Both write paths take from here how names are written, the search and
duplicate-detection fields derived from them, a passport's index and who already holds a
passport, so that the same person typed or imported is stored, searched and refused alike.
The bulk writer of the residents tables (`residents.bulk`) stores what these rules derive.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from core import text
from residents.models import (
    NAME_FIELDS,
    SEARCH_NAME_MAX,
    Resident,
    TravelDocument,
    normalise_document_number,
    search_name_of,
)

# Written as in the passport's machine-readable zone: upper case.
UPPER_CASE_FIELDS = ("surname", "given_names")
# Written as the person writes them (Khmer, own script): only cleaned.
SCRIPT_NAME_FIELDS = ("name_km", "name_native")


# --- Names -------------------------------------------------------------------------------------
def normalise_name(value: str | None) -> str:
    """A surname or given names as the register keeps them: upper case, single spaces, NFC."""
    return text.clean(value).upper()


def normalise_script_name(value: str | None) -> str:
    """A name in Khmer or in the person's own script: NFC, no invisible characters, single spaces.

    Never upper-cased: the case of a Cyrillic or Greek name is the person's.
    """
    return text.clean(value)


def normalised(field: str, value: Any) -> Any:
    """`value` of a resident's `field` as the register keeps it (names cleaned; others as given)."""
    if field in UPPER_CASE_FIELDS:
        return normalise_name(str(value or ""))
    if field in SCRIPT_NAME_FIELDS:
        return normalise_script_name(str(value or ""))
    return value


def is_a_name(value: str) -> bool:
    """A surname has at least one letter (in any script): '123' or '-' is not one."""
    return any(ch.isalpha() for ch in value)


def overlong_name_field(names: Mapping[str, str | None]) -> tuple[str, int] | None:
    """The name to shorten, and the combined length, when the names together are too long.

    The longest name is the one named: shortening it is what most likely makes them fit.
    """
    length = len(search_name(names))
    if length <= SEARCH_NAME_MAX:
        return None
    longest = max(NAME_FIELDS, key=lambda f: len(search_name_of(names.get(f) or "")))
    return longest, length


def search_name(names: Mapping[str, str | None]) -> str:
    """`Resident.search_name`: every name of the person, as the trigram index searches them."""
    return search_name_of(*(names.get(f) or "" for f in NAME_FIELDS))


def person_name(surname: str, given_names: str) -> str:
    """The name the exact duplicate rule compares (with date of birth and nationality)."""
    return search_name_of(surname, given_names)


def duplicate_fields(names: Mapping[str, str | None]) -> tuple[str, str]:
    """The search name and the duplicate rule's name of a person: (search_name, person_name)."""
    person = person_name(names.get("surname") or "", names.get("given_names") or "")
    if names.get("name_native") or names.get("name_km"):
        return search_name(names), person
    return person, person  # the Latin names alone: the same text (an import does this per row)


def refresh_search_name(resident: Resident) -> None:
    resident.search_name = search_name({f: getattr(resident, f) for f in NAME_FIELDS})


# --- Passports ---------------------------------------------------------------------------------
# As in the machine-readable zone: Latin capitals and digits, 5 to 20 of them.
_PASSPORT_NUMBER = re.compile(r"[A-Z0-9]{5,20}")


def passport_number(value: str) -> str | None:
    """The passport number as the register keeps it, or None when `value` cannot be one.

    'e 123-456 78' is E12345678: spaces, dashes, case and Khmer digits do not count.
    """
    number = normalise_document_number(value)
    return number if _PASSPORT_NUMBER.fullmatch(number) else None


def passport_index(number: str) -> str:
    """The blind index a passport number is found by (`TravelDocument.number_index`)."""
    return TravelDocument.index_of(number)


def passport_holder(
    *, issuing_country: str, number: str, exclude_resident_id: int | None = None
) -> Resident | None:
    """Who already holds this passport (issuing country and number), in any province: one query."""
    documents = TravelDocument.objects.filter(
        issuing_country=issuing_country, number_index=passport_index(number)
    ).select_related("resident", "resident__province")
    if exclude_resident_id is not None:
        documents = documents.exclude(resident_id=exclude_resident_id)
    document = documents.first()
    return document.resident if document else None


def passport_holders(indexes: Iterable[str]) -> dict[tuple[str, str], int]:
    """Who holds each of many passports, by (issuing country, index): one query.

    The set-based form of `passport_holder`, for an import's rows (numbers already indexed).
    """
    wanted = list(set(indexes))
    if not wanted:
        return {}
    # Arrays, not IN lists: one parameter however many rows ask.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT issuing_country, number_index, resident_id FROM residents_traveldocument "
            "WHERE number_index = ANY(%s)",
            [wanted],
        )
        found = cursor.fetchall()
    return {(country, index): resident for country, index, resident in found}


def person_holders(
    *, surnames: Iterable[str], births: Iterable[dt.date]
) -> dict[tuple[str, dt.date, str], int]:
    """Residents by the exact duplicate rule's key (person name, date of birth, nationality).

    Only those with one of `surnames` and one of `births`: one query, served by the
    resident_surname_dob index (upper(surname), date_of_birth).
    """
    surnames, births = list(set(surnames)), list(set(births))
    if not surnames:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, surname, given_names, date_of_birth, nationality "
            "FROM residents_resident "
            "WHERE upper(surname) = ANY(%s) AND date_of_birth = ANY(%s)",
            [surnames, births],
        )
        found = cursor.fetchall()
    return {
        (person_name(surname, given), born, nationality): pk
        for pk, surname, given, born, nationality in found
    }
