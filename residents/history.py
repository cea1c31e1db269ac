"""History of bulk inserts: the row triggers switched off, the events written set-based.

pghistory's insert triggers run once per row, which costs more than a bulk insert itself. Bulk
writers (imports, demo data) insert under `pgtrigger.ignore(*HISTORY_TRIGGERS)` and then call
`record_inserts` once per table and chunk, inside a `pghistory.context`, so every row still gets
its event naming who did it.
"""

from __future__ import annotations

import uuid

from django.apps import apps
from django.db import connection

HISTORY_TRIGGERS = [
    "residents.Resident:insert_insert",
    "residents.TravelDocument:insert_insert",
    "residents.Declaration:insert_insert",
]


def record_inserts(model: type, ids: list[int], context_id: uuid.UUID) -> None:
    """Write the pghistory 'insert' events of rows just bulk-inserted, in one statement."""
    event_model = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    targets, sources = [], []
    for field in event_model._meta.concrete_fields:
        if field.name == "pgh_id":
            continue
        targets.append(connection.ops.quote_name(field.column))
        sources.append(
            {
                "pgh_created_at": "NOW()",
                "pgh_label": "'insert'",
                "pgh_obj": "t.id",
                "pgh_context": "%s",
            }.get(field.name, "t." + connection.ops.quote_name(field.column))
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(event_model._meta.db_table)} "  # noqa: S608
            f"({', '.join(targets)}) SELECT {', '.join(sources)} "
            f"FROM {connection.ops.quote_name(model._meta.db_table)} t WHERE t.id = ANY(%s)",
            [context_id, ids],
        )
