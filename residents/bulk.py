"""The bulk writer of the residents tables: residents, passports, first declarations, history.

A bulk writer (a province's list being imported) hands over a SELECT of prepared rows, one per
new resident, holding the `SOURCE_COLUMNS` (names already normalised and the search fields
derived by `residents.rules`, the passport number encrypted and indexed). One statement then
inserts the residents, their passports, their submitted declarations and the pghistory 'insert'
events of the three (the row triggers are skipped inside `history.bulk_history()`), plus any
rows the caller links to the new residents (`also`). The column map below is the one place
that says which resident field a prepared row fills.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

from residents.models import (
    Declaration,
    DeclarationEvent,
    Resident,
    ResidentEvent,
    TravelDocument,
    TravelDocumentEvent,
)

# What the source's rows hold, by name; `src` also has resident_id, document_id, declaration_id
# (numbered here), province_id, actor_id, now and today.
SOURCE_COLUMNS = (
    "surname", "given_names", "name_km", "name_native", "search_name", "sex", "date_of_birth",
    "place_of_birth", "nationality", "phone", "occupation", "employer", "arrival_date",
    "district", "commune", "village", "street", "passport_country", "passport_encrypted",
    "passport_index", "passport_issue_date", "passport_expiry_date", "basis_id", "declared_on",
)  # fmt: skip

# Each table's fields (attnames) as expressions over `src`; the other fields take their defaults.
RESIDENT_COLUMNS = {
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
DOCUMENT_COLUMNS = {
    "id": "src.document_id",
    "resident_id": "src.resident_id",
    "issuing_country": "src.passport_country",
    "issue_date": "src.passport_issue_date",
    "expiry_date": "src.passport_expiry_date",
    "number_encrypted": "src.passport_encrypted",
    "number_index": "src.passport_index",
    "created_at": "src.now",
}
DECLARATION_COLUMNS = {
    "id": "src.declaration_id",
    "resident_id": "src.resident_id",
    # A row without a date of declaration is dated the day it is written.
    "declared_on": "COALESCE(src.declared_on, src.today)",
    "basis_id": "src.basis_id",
    "status": f"'{Declaration.Status.SUBMITTED.value}'",
    "submitted_at": "src.now",
    "created_by_id": "src.actor_id",
    "created_at": "src.now",
    "updated_at": "src.now",
}
_TRACKED = (
    (Resident, ResidentEvent, RESIDENT_COLUMNS),
    (TravelDocument, TravelDocumentEvent, DOCUMENT_COLUMNS),
    (Declaration, DeclarationEvent, DECLARATION_COLUMNS),
)


def _next_id(model: type[models.Model]) -> str:
    """The SQL of the next value of `model`'s primary key sequence.

    The sequence is looked up once per statement (an uncorrelated sub-select is run once):
    `pg_get_serial_sequence()` called on every row costs eight times nextval() itself.
    """
    table, column = model._meta.db_table, model._meta.pk.column
    return f"nextval((SELECT pg_get_serial_sequence('{table}', '{column}')::regclass))"


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
        columns.append(quote(str(field.column)))
        values.append(_value(field, exprs, params, now))
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM src"
    )


def _insert_events(
    model: type[models.Model],
    event_model: type[models.Model],
    exprs: dict[str, str],
    context_id: uuid.UUID,
    params: list[Any],
    now: dt.datetime,
) -> str:
    """The pghistory 'insert' events of the rows `_insert` writes, with the same values."""
    quote = connection.ops.quote_name
    columns, values = [], []
    for field in event_model._meta.concrete_fields:
        if field.name == "pgh_id":
            continue
        columns.append(quote(str(field.column)))
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
            tracked = model._meta.get_field(field.name)
            assert isinstance(tracked, models.Field)  # an event copies fields, never relations
            values.append(_value(tracked, exprs, params, now))
    return (
        f"INSERT INTO {quote(event_model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM src"
    )


def residents_insert(
    *,
    source: str,
    source_params: Sequence[Any],
    province_id: str,
    actor_id: int,
    context_id: uuid.UUID,
    now: dt.datetime,
    also: Sequence[tuple[type[models.Model], dict[str, str]]] = (),
) -> list[int]:
    """Insert a resident, passport and submitted declaration per row of `source`: one statement.

    `source` is a SELECT of the `SOURCE_COLUMNS` (and whatever else `also` reads), ordered as
    the ids are to be handed out; `also` lists more tables to fill from the same rows (the
    caller's links to the new residents), as (model, expressions over `src`). Returns the new
    residents' ids, in the source's order. Runs inside `history.bulk_history()`: the statement
    writes the 'insert' events itself, in the history context `context_id`.
    """
    params: list[Any] = []
    parts = [_insert(model, exprs, params, now) for model, _event, exprs in _TRACKED]
    parts += [_insert(model, exprs, params, now) for model, exprs in also]
    parts += [
        _insert_events(model, event, exprs, context_id, params, now)
        for model, event, exprs in _TRACKED
    ]
    writes = ",\n".join(f"w{n} AS ({sql})" for n, sql in enumerate(parts))
    # Table and column names come from the models; every value is a parameter.
    sql = f"""
        WITH src AS MATERIALIZED (
            SELECT {_next_id(Resident)} AS resident_id,
                   {_next_id(TravelDocument)} AS document_id,
                   {_next_id(Declaration)} AS declaration_id,
                   %s::varchar AS province_id, %s::bigint AS actor_id,
                   %s::timestamptz AS now, %s::date AS today, s.*
              FROM ({source}) s
        ),
        {writes}
        SELECT resident_id FROM src ORDER BY resident_id
    """  # noqa: S608
    head: list[Any] = [province_id, actor_id, now, timezone.localdate(now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*head, *source_params, *params])
        return [resident_id for (resident_id,) in cursor.fetchall()]
