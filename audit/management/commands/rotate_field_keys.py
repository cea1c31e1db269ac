"""Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys. `--reindex` also recomputes the blind indexes, after
BLIND_INDEX_KEY has changed. Work goes in batches, each in its own transaction, so it can be
interrupted and run again: rows already under the current key are skipped.

The columns are found, not named: every `core.crypto.EncryptedTextField` of every installed
model (passport numbers, staged import rows, exports' queries), each with its own context.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction

from audit.models import AuditEvent
from audit.services import audit_record
from core import crypto


def encrypted_fields() -> list[tuple[type[models.Model], crypto.EncryptedTextField]]:
    """Every encrypted column of every installed model, in a stable order."""
    found = [
        (model, field)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.concrete_fields
        if isinstance(field, crypto.EncryptedTextField)
    ]
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1].name))


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the current key (and optionally re-index it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--reindex", action="store_true", help="Recompute the blind index of every value."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key_id, batch_size, reindex = (
            crypto.current_key_id(),
            options["batch_size"],
            options["reindex"],
        )
        rewritten = 0
        for model, field in encrypted_fields():
            rewritten = self._rotate(model, field, key_id, batch_size, reindex, rewritten)
        audit_record(
            actor=None,
            action=AuditEvent.Action.KEYS_ROTATED,
            detail={"key_id": key_id, "rows": rewritten, "reindexed": reindex},
        )
        self.stdout.write(self.style.SUCCESS(f"{rewritten} numbers now under key {key_id}"))

    def _rotate(
        self,
        model: type[models.Model],
        field: crypto.EncryptedTextField,
        key_id: str,
        batch_size: int,
        reindex: bool,
        rewritten: int,
    ) -> int:
        """Re-encrypt one column, in batches locked in primary-key order; return the total."""
        column, index = field.attname, field.index_field
        columns = [column, index] if index else [column]
        manager = model._default_manager
        last_pk: Any = None
        while True:
            with transaction.atomic():
                rows = manager.exclude(**{column: ""}).order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                if not reindex:
                    rows = rows.exclude(**{f"{column}__startswith": f"{key_id}:"})
                batch = list(rows.select_for_update().only("pk", *columns)[:batch_size])
                if not batch:
                    return rewritten
                for row in batch:
                    value = crypto.decrypt(getattr(row, column), context=field.context)
                    setattr(row, column, crypto.encrypt(value, context=field.context))
                    if index:
                        setattr(row, index, crypto.blind_index(value, context=field.context))
                manager.bulk_update(batch, columns)
            rewritten += len(batch)
            last_pk = batch[-1].pk
            self.stdout.write(f"  {rewritten} re-encrypted")
