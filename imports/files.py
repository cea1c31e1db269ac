"""Uploaded import files at rest: encrypted, read back only to check or report, deleted in time.

A provincial list holds every resident's passport number, so the stored copy is encrypted with the
field keys (FIELD_ENCRYPTION_KEYS; keep a retired key until the files it sealed are deleted) and
deleted IMPORTS_FILE_RETENTION_DAYS after the file was imported, or after it was uploaded when it
never was. The batch keeps its counts, checksum and issues (passport numbers masked).
"""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from core import crypto
from imports import conf
from imports.models import ExportLog, ImportBatch
from imports.reader import FileRefused

_CONTEXT = "imports.file"


def store(batch: ImportBatch, data: bytes) -> None:
    """Save the upload encrypted on the batch (the caller saves the batch)."""
    sealed = crypto.encrypt_bytes(data, context=_CONTEXT)
    batch.file.save(f"{batch.file_sha256[:16]}.bin", ContentFile(sealed), save=False)


def read(batch: ImportBatch) -> bytes:
    if not batch.file:
        raise FileRefused("file_deleted", days=conf.get("FILE_RETENTION_DAYS"))
    with batch.file.open("rb") as handle:
        data = handle.read()
    # Files stored before encryption was introduced are read as they are until they are deleted.
    return crypto.decrypt_bytes(data, context=_CONTEXT) if crypto.is_encrypted_file(data) else data


def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete the stored files (uploads, export workbooks) past their retention; return how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=conf.get("FILE_RETENTION_DAYS"))
    expired = (
        ImportBatch.objects.exclude(file="")
        .exclude(status__in=ImportBatch.RUNNING)
        .filter(
            Q(status=ImportBatch.Status.COMMITTED, committed_at__lt=cutoff)
            | (~Q(status=ImportBatch.Status.COMMITTED) & Q(created_at__lt=cutoff))
        )
        .only("id", "file")
    )
    deleted = 0
    for batch in expired.iterator(chunk_size=500):
        batch.file.delete(save=False)  # the storage first: a crash leaves a name, not a file
        ImportBatch.objects.filter(pk=batch.pk).update(file="", file_deleted_at=timezone.now())
        deleted += 1
    export_cutoff = (now or timezone.now()) - dt.timedelta(days=conf.get("EXPORT_RETENTION_DAYS"))
    exports = ExportLog.objects.exclude(file="").filter(finished_at__lt=export_cutoff).only("file")
    for export in exports.iterator(chunk_size=500):
        export.file.delete(save=False)
        ExportLog.objects.filter(pk=export.pk).update(file="")
        deleted += 1
    return deleted
