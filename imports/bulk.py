"""Write many model instances with PostgreSQL's COPY: one statement per table and chunk.

bulk_create spends most of its time building one huge INSERT ... RETURNING in Python; COPY streams
the rows instead. Primary keys are taken from the table's own sequence first (one query), so the
rows that point at them (passports, declarations) can be written in the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def _value(obj: models.Model, field: models.Field, now: dt.datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        setattr(obj, field.attname, now)
        return now
    value = obj.__dict__.get(field.attname)
    if value is None:
        return None
    if hasattr(value, "code") and not isinstance(value, str):  # django_countries' Country
        return value.code
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def copy_insert(
    model: type[models.Model], objects: Sequence[models.Model], *, now: dt.datetime
) -> None:
    """Insert `objects` (unsaved) with COPY, setting their primary keys and auto dates."""
    if not objects:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        fields = list(meta.concrete_fields)
        columns = ", ".join(quote(field.column) for field in fields)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj in objects:
                copy.write_row([_value(obj, field, now) for field in fields])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
