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
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from core import crypto
from imports import bulk, engine
from imports.models import ImportBatch, ImportedResident, StagedRow
from residents.models import (
    Declaration,
    Resident,
    TravelDocument,
    search_name_of,
)


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
                "search_name": (
                    search_name_of(d["surname"], d["given_names"], d["name_native"], d["name_km"])
                    if d["name_native"] or d["name_km"]
                    else d["person_name"]
                ),
                # Computed by the duplicate check (engine.Checker.find_duplicates).
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
                # The blind index the duplicate check computed (TravelDocument.index_of).
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
            if number not in found and search_name_of(r_surname, r_given) == person:
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
def _sequence(model: type[models.Model]) -> str:
    return f"pg_get_serial_sequence('{model._meta.db_table}', '{model._meta.pk.column}')"


def _value(field: models.Field, exprs: dict[str, str], params: list[Any], now: dt.datetime) -> str:
    """The SQL of a field's value: its expression over `src`, or its default as a parameter."""
    if field.attname in exprs:
        return exprs[field.attname]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value: Any = now
    else:
        value = field.get_default()
        if isinstance(value, models.fields.files.FieldFile):
            value = value.name or ""
        value = getattr(value, "value", value)  # a TextChoices member
    params.append(value)
    return "%s"


def _insert(
    model: type[models.Model], exprs: dict[str, str], params: list[Any], now: dt.datetime
) -> str:
    """INSERT INTO model's table SELECT ... FROM src: `exprs` by attname, defaults for the rest."""
    quote = connection.ops.quote_name
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in exprs:
            continue  # the table's own sequence numbers it
        columns.append(quote(field.column))  # type: ignore[arg-type]  # a concrete field has one
        values.append(_value(field, exprs, params, now))
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM src"
    )


def _insert_events(
    model: type[models.Model],
    exprs: dict[str, str],
    context_id: uuid.UUID,
    params: list[Any],
    now: dt.datetime,
) -> str:
    """The pghistory 'insert' events of the rows `_insert` writes, with the same values."""
    event_model = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    quote = connection.ops.quote_name
    columns, values = [], []
    for field in event_model._meta.concrete_fields:
        if field.name == "pgh_id":
            continue
        columns.append(quote(field.column))
        if field.name == "pgh_created_at":
            values.append("now()")
        elif field.name == "pgh_label":
            values.append("'insert'")
        elif field.name == "pgh_obj":
            values.append(exprs["id"])
        elif field.name == "pgh_context":
            values.append("%s")
            params.append(context_id)
        else:
            # A concrete field of the tracked model (get_field is typed to return relations too).
            values.append(_value(model._meta.get_field(field.name), exprs, params, now))  # type: ignore[arg-type]
    return (
        f"INSERT INTO {quote(event_model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM src"
    )


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

    Returns the new residents' ids. Runs with the row-level history triggers ignored: the
    statement writes the 'insert' events itself, in the import's history context.
    """
    params: list[Any] = []
    resident = {
        "id": "src.resident_id",
        "surname": "src.surname",
        "given_names": "src.given_names",
        "name_km": "src.name_km",
        "name_native": "src.name_native",
        "search_name": "src.search_name",
        "sex": "src.sex",
        "date_of_birth": "src.date_of_birth",
        "place_of_birth": "src.place_of_birth",
        "nationality": "src.nationality",
        "phone": "src.phone",
        "occupation": "src.occupation",
        "employer": "src.employer",
        "arrival_date": "src.arrival_date",
        "address_district_id": "src.district",
        "address_commune_id": "src.commune",
        "address_village": "src.village",
        "address_street": "src.street",
        "province_id": "src.province_id",
        "address_province_id": "src.province_id",
        "created_by_id": "src.actor_id",
        "created_at": "src.now",
        "updated_at": "src.now",
    }
    document = {
        "id": "src.document_id",
        "resident_id": "src.resident_id",
        "issuing_country": "src.passport_country",
        "issue_date": "src.passport_issue_date",
        "expiry_date": "src.passport_expiry_date",
        "number_encrypted": "src.passport_encrypted",
        "number_index": "src.passport_index",
        "created_at": "src.now",
    }
    declaration = {
        "id": "src.declaration_id",
        "resident_id": "src.resident_id",
        "declared_on": "COALESCE(src.declared_on, src.today)",
        "basis_id": "src.basis_id",
        "status": f"'{Declaration.Status.SUBMITTED.value}'",
        "submitted_at": "src.now",
        "created_by_id": "src.actor_id",
        "created_at": "src.now",
        "updated_at": "src.now",
    }
    link = {
        "batch_id": "src.batch_id",
        "row_number": "src.row_number",
        "resident_id": "src.resident_id",
    }
    today = timezone.localdate(now)
    source_params: list[Any] = [province_id, actor_id, now, today, batch_id, rows[0], rows[1], skip]
    parts = [
        _insert(Resident, resident, params, now),
        _insert(TravelDocument, document, params, now),
        _insert(Declaration, declaration, params, now),
        _insert(ImportedResident, link, params, now),
        _insert_events(Resident, resident, context_id, params, now),
        _insert_events(TravelDocument, document, context_id, params, now),
        _insert_events(Declaration, declaration, context_id, params, now),
    ]
    writes = ",\n".join(f"w{n} AS ({sql})" for n, sql in enumerate(parts))
    # Table and column names come from the models; every value is a parameter.
    sql = f"""
        WITH src AS MATERIALIZED (
            SELECT nextval({_sequence(Resident)}) AS resident_id,
                   nextval({_sequence(TravelDocument)}) AS document_id,
                   nextval({_sequence(Declaration)}) AS declaration_id,
                   %s::varchar AS province_id, %s::bigint AS actor_id,
                   %s::timestamptz AS now, %s::date AS today, s.*
              FROM imports_stagedrow s
             WHERE s.batch_id = %s AND s.row_number BETWEEN %s AND %s
               AND NOT s.row_number = ANY(%s::integer[])
        ),
        {writes}
        SELECT resident_id FROM src ORDER BY row_number
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, source_params + params)
        return [resident_id for (resident_id,) in cursor.fetchall()]
