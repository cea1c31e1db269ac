"""History of bulk inserts: the row triggers skipped, the events written set-based.

pghistory's insert triggers run once per row, which costs more than a bulk insert itself. The
insert triggers of residents, passports and declarations carry a WHEN clause (`INSERT_CONDITION`)
that skips them, without calling any trigger function, while the transaction's `ims.bulk_history`
setting is on. Bulk writers (imports, demo data) insert inside `bulk_history()` and write the
'insert' events themselves, set-based, in a `pghistory.context` (`record_inserts`, or the import's
own statement), so every row still gets its event naming who did it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pghistory
import pgtrigger
from django.apps import apps
from django.db import DatabaseError, connection, models

BULK_SETTING = "ims.bulk_history"
INSERT_CONDITION = pgtrigger.Condition(
    f"current_setting('{BULK_SETTING}', true) IS DISTINCT FROM 'on'"
)


def insert_event() -> pghistory.InsertEvent:
    """The 'insert' event of a model bulk writers fill: skipped inside `bulk_history()`."""
    return pghistory.InsertEvent(condition=INSERT_CONDITION)


@contextmanager
def bulk_history() -> Iterator[None]:
    """Inside a transaction: the insert triggers of the bulk-written models do not fire.

    The caller must write the events of what it inserts (`record_inserts`).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [BULK_SETTING])
    try:
        yield
    except BaseException:
        # Switch the triggers back on if the transaction can still run a statement (a caller
        # may go on after a rolled-back savepoint); in a failed one, keep the original error.
        with suppress(DatabaseError):
            _history_back_on()
        raise
    _history_back_on()


def _history_back_on() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '', true)", [BULK_SETTING])


def record_inserts(model: type[models.Model], ids: list[int], context_id: uuid.UUID) -> None:
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
