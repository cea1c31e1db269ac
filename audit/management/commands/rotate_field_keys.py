"""Re-encrypt every passport number with the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys. `--reindex` also recomputes the blind index, after
BLIND_INDEX_KEY has changed. Work goes in batches, each in its own transaction, so it can be
interrupted and run again: rows already under the current key are skipped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from audit.models import AuditEvent
from audit.services import audit_record
from core import crypto


class Command(BaseCommand):
    help = "Re-encrypt passport numbers with the current key (and optionally re-index them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--reindex", action="store_true", help="Recompute the blind index of every number."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from residents.models import TravelDocument

        key_id, batch_size, reindex = (
            crypto.current_key_id(),
            options["batch_size"],
            options["reindex"],
        )
        prefix = f"{key_id}:"
        rewritten, last_pk = 0, 0
        while True:
            with transaction.atomic():
                rows = TravelDocument.objects.filter(pk__gt=last_pk).order_by("pk")
                if not reindex:
                    rows = rows.exclude(number_encrypted__startswith=prefix)
                batch = list(
                    rows.select_for_update().only("pk", "number_encrypted", "number_index")[
                        :batch_size
                    ]
                )
                if not batch:
                    break
                for document in batch:
                    document.set_number(document.number)
                TravelDocument.objects.bulk_update(batch, ["number_encrypted", "number_index"])
            rewritten += len(batch)
            last_pk = batch[-1].pk
            self.stdout.write(f"  {rewritten} re-encrypted")
        audit_record(
            actor=None,
            action=AuditEvent.Action.KEYS_ROTATED,
            detail={"key_id": key_id, "rows": rewritten, "reindexed": reindex},
        )
        self.stdout.write(self.style.SUCCESS(f"{rewritten} numbers now under key {key_id}"))
