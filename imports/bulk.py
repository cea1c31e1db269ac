"""Write many rows with PostgreSQL's COPY: one statement per table and chunk.

bulk_create spends most of its time building one huge INSERT ... RETURNING in Python; COPY streams
the rows instead. Primary keys are taken from the table's own sequence first (one query), so the
rows that point at them (passports, declarations) can be written in the same way.

Rows are plain dicts keyed by the fields' attnames (``resident_id``, not ``resident``): building
a model instance per row costs more than the COPY itself. Fields a row leaves out take their
model default, and auto dates (``auto_now``, ``auto_now_add``) take ``now``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def copy_rows(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, now: dt.datetime
) -> list[int]:
    """Insert `rows` with COPY; return their new primary keys, in the same order."""
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    defaults = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults.append((field.attname, now, True))
        else:
            default = field.get_default()
            if isinstance(default, models.fields.files.FieldFile):
                default = default.name or ""
            elif isinstance(default, enum.Enum):  # a TextChoices member: its value
                default = default.value
            defaults.append((field.attname, default, False))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
        # A concrete field always has its column (the stubs allow None for an unbound one).
        columns = ", ".join(quote(field.column) for field in [meta.pk, *fields])  # type: ignore[arg-type]
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            write = copy.write_row
            for pk, row in zip(pks, rows, strict=True):
                write(
                    [pk]
                    + [
                        default if auto else row.get(name, default)
                        for name, default, auto in defaults
                    ]
                )
    return pks
