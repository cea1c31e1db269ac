"""Background runs of big imports: the worker checks or commits a batch by its id."""

from __future__ import annotations

from celery import shared_task

from imports import files, services
from imports.models import ImportBatch


@shared_task(acks_late=True)
def run_import_task(batch_id: int) -> None:
    """Do whatever the batch waits for; a batch already done is left alone (safe to re-run)."""
    status = ImportBatch.objects.filter(pk=batch_id).values_list("status", flat=True).first()
    if status == ImportBatch.Status.VALIDATING:
        services.import_validate(batch_id=batch_id)
    elif status == ImportBatch.Status.COMMIT_QUEUED:
        services.import_commit(batch_id=batch_id)
        # Its own transaction, after the commit's: a worker lost in between leaves the batch
        # committed and unflagged, and the sweep sends the flagging again.
        services.import_flag_duplicates(batch_id=batch_id)


@shared_task(acks_late=True)
def flag_import_duplicates_task(batch_id: int) -> None:
    """Flag the likely duplicates of a committed batch; a batch already flagged is left alone."""
    services.import_flag_duplicates(batch_id=batch_id)


@shared_task
def purge_import_files_task() -> int:
    """Daily: delete the uploaded files whose retention has run out (safe to run at any time)."""
    return files.purge_expired()


@shared_task(acks_late=True)
def build_export_task(export_id: int) -> None:
    """Write the workbook of a queued XLSX export; an export already built is left alone."""
    services.export_xlsx_build(export_id=export_id)
