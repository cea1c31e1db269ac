"""Staged rows: what the dry run found valid, and how the commit writes them set-based.

The dry run cleans every row in Python once and keeps the valid ones, ready to write, in
`StagedRow` (passport number already encrypted and indexed). The commit then does no per-row work
in Python: it re-checks against the register what may have changed since the dry run (a passport
or a person registered in between) with one query per kind, and writes each range of rows with a
single statement whose parts insert the residents, their passports, their submitted declarations,
the batch's row links and the 'insert' history events of the three records.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from core import crypto
from imports import bulk, engine
from imports.models import ImportBatch, ImportedResident, StagedRow
from residents import bulk as residents_bulk
from residents import rules
from residents.models import TravelDocument


def stage(batch_id: int, rows: Iterable[engine.Row]) -> None:
    """Keep the valid rows of a chunk for the commit (one COPY)."""
    context = TravelDocument.ENCRYPTION_CONTEXT
    staged = []
    for row in rows:
        if row.kind != engine.OK:
            continue
        d = row.data
        staged.append(
            {
                "batch_id": batch_id,
                "row_number": row.number,
                "surname": d["surname"],
                "given_names": d["given_names"],
                "name_km": d["name_km"],
                "name_native": d["name_native"],
                # Both derived by the duplicate check (residents.rules.duplicate_fields).
                "search_name": d["search_name"],
                "person_name": d["person_name"],
                "sex": d["sex"],
                "date_of_birth": d["date_of_birth"],
                "place_of_birth": d["place_of_birth"],
                "nationality": d["nationality"],
                "phone": d["phone"],
                "occupation": d["occupation"],
                "employer": d["employer"],
                "arrival_date": d["arrival_date"],
                "district": d["district"],
                "commune": d["commune"],
                "village": d["village"],
                "street": d["street"],
                "passport_country": d["passport_country"],
                # Already normalised (values.passport_number), as TravelDocument.set_number does.
                "passport_encrypted": crypto.encrypt(d["passport_number"], context=context),
                # The blind index the duplicate check computed (residents.rules.passport_index).
                "passport_index": d["passport_index"],
                "passport_issue_date": d["passport_issue_date"],
                "passport_expiry_date": d["passport_expiry_date"],
                "basis_id": d["basis"],
                "declared_on": d["declared_on"],
            }
        )
    bulk.copy_rows(StagedRow, staged, now=dt.datetime.now(dt.UTC))


def staged_count(batch_id: int) -> int:
    return StagedRow.objects.filter(batch_id=batch_id).count()


def discard(batch_ids: list[int]) -> None:
    if batch_ids:
        # One DELETE, no per-row signals or cascade collection (nothing points at staged rows).
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM imports_stagedrow WHERE batch_id = ANY(%s)", [list(batch_ids)]
            )


def discard_stale(cutoff: dt.datetime) -> None:
    """Drop the staged rows of files checked before `cutoff` and still waiting: one statement.

    A batch being committed holds its row lock and is skipped; one whose commit starts after
    this finds its staged rows gone and checks the file again.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM imports_stagedrow WHERE batch_id IN ("
            "  SELECT id FROM imports_importbatch WHERE status = %s AND validated_at < %s"
            "  FOR UPDATE SKIP LOCKED)",
            [ImportBatch.Status.VALIDATED.value, cutoff],
        )


@dataclass(frozen=True)
class Registered:
    """A staged row that meets a record registered since the dry run."""

    row_number: int
    column: str
    value: str
    code: str
    resident_id: int


def registered_since(batch_id: int) -> list[Registered]:
    """Staged rows whose passport, or person, is in the register now: two queries.

    The same rules as the dry run's (`engine.Checker.find_duplicates`): the same passport (issuing
    country and number), else the same surname and given names, date of birth and nationality.
    """
    found: dict[int, Registered] = {}
    context = TravelDocument.ENCRYPTION_CONTEXT
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.row_number, s.passport_encrypted, min(d.resident_id) "
            "FROM imports_stagedrow s JOIN residents_traveldocument d "
            "ON d.number_index = s.passport_index AND d.issuing_country = s.passport_country "
            "WHERE s.batch_id = %s GROUP BY s.row_number, s.passport_encrypted",
            [batch_id],
        )
        for number, encrypted, resident_id in cursor.fetchall():
            found[number] = Registered(
                number,
                "passport_number",
                crypto.decrypt(encrypted, context=context),
                "dup_passport",
                resident_id,
            )
        cursor.execute(
            "SELECT s.row_number, s.surname, s.person_name, r.id, r.surname, r.given_names "
            "FROM imports_stagedrow s JOIN residents_resident r "
            "ON upper(r.surname) = s.surname AND r.date_of_birth = s.date_of_birth "
            "AND r.nationality = s.nationality "
            "WHERE s.batch_id = %s ORDER BY s.row_number, r.id",
            [batch_id],
        )
        for number, surname, person, resident_id, r_surname, r_given in cursor.fetchall():
            if number not in found and rules.person_name(r_surname, r_given) == person:
                found[number] = Registered(number, "surname", surname, "dup_person", resident_id)
    return sorted(found.values(), key=lambda r: r.row_number)


def retired_bases(batch_id: int) -> list[tuple[int, str]]:
    """Staged rows whose basis of residence was retired since the dry run: (row, basis code)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.row_number, b.code FROM imports_stagedrow s "
            "JOIN residents_residencebasis b ON b.id = s.basis_id "
            "WHERE s.batch_id = %s AND NOT b.is_active ORDER BY s.row_number",
            [batch_id],
        )
        return cursor.fetchall()


def row_ranges(batch_id: int, size: int) -> list[tuple[int, int]]:
    """Row-number ranges [first, last] of about `size` staged rows each (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(row_number), max(row_number) FROM ("
            "  SELECT row_number, (row_number(*) OVER (ORDER BY row_number) - 1) / %s AS part"
            "  FROM imports_stagedrow WHERE batch_id = %s) numbered "
            "GROUP BY part ORDER BY part",
            [size, batch_id],
        )
        return [(first, last) for first, last in cursor.fetchall()]


# --- The commit's statement ---------------------------------------------------------------------
def write_range(
    *,
    batch_id: int,
    rows: tuple[int, int],
    skip: list[int],
    province_id: str,
    actor_id: int,
    context_id: uuid.UUID,
    now: dt.datetime,
) -> list[int]:
    """Write the staged rows numbered within `rows` (but not those in `skip`): one statement.

    Residents' bulk writer inserts the records and their history; the batch's row links are
    written by the same statement. Returns the new residents' ids.
    """
    link = {
        "batch_id": "src.batch_id",
        "row_number": "src.row_number",
        "resident_id": "src.resident_id",
    }
    # The staged columns are named as residents.bulk.SOURCE_COLUMNS reads them.
    source = (
        "SELECT * FROM imports_stagedrow WHERE batch_id = %s AND row_number BETWEEN %s AND %s "
        "AND NOT row_number = ANY(%s::integer[]) ORDER BY row_number"
    )
    return residents_bulk.residents_insert(
        source=source,
        source_params=[batch_id, rows[0], rows[1], skip],
        province_id=province_id,
        actor_id=actor_id,
        context_id=context_id,
        now=now,
        also=[(ImportedResident, link)],
    )
