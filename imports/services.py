"""Every write of the import: create a batch, check it (dry run), commit it; and log exports.

Policy for rows in error: the commit **skips** them and writes the valid rows; each skipped row is
counted as rejected and listed in the batch's error report, so the province fixes just those rows
and uploads them again. Rows that are already registered (same passport, or same name, date of
birth and nationality), in the database or earlier in the same file, are counted as duplicates and
never written, which makes importing the same or an overlapping file again harmless. Every row of a
committed file is thus accepted, rejected or duplicate, and the three counts add up to its rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

import pghistory
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from core import queue
from core.errors import ApplicationError, Invalid, NotAllowed
from core.validators import safe_upload_name
from imports import conf, engine, files, hooks, staging
from imports.models import (
    EXPORT_QUERY_CONTEXT,
    ExportLog,
    ImportBatch,
    ImportedResident,
    ImportIssue,
)
from imports.reader import FileRefused, open_sheet
from provinces.models import Province
from residents import hooks as residents_hooks
from residents import services as residents_services
from residents.history import bulk_history
from residents.models import mask_number

logger = logging.getLogger(__name__)
# Commits take this transaction-level lock: two imports never race for the same passport.
COMMIT_LOCK = 4_052_026


class ImportsError(ApplicationError):
    """A refused action on an import or an export (core.errors)."""


class ImportRefused(ImportsError, Invalid):
    """An import or export that cannot go ahead as asked (a list signed off, nothing to retry)."""


def can_import_for(user: User, province: Province) -> bool:
    return access.can(user, Capability.IMPORT) and access.in_scope(user, province.code)


def _refuse_if_held(province_id: str) -> None:
    """Nothing is imported into a province whose list HQ holds signed off."""
    refusal = residents_hooks.province_edit_refusal(province_id)
    if refusal is not None:
        raise ImportRefused(refusal)


def progress_key(batch_id: int) -> str:
    return f"imports:progress:{batch_id}"


def _set_progress(batch: ImportBatch, done: int, total: int) -> None:
    progress = {"done": done, "total": max(total, done)}
    # The progress bar is a nicety: an unreachable cache must never stop an import.
    with suppress(RedisError):
        cache.set(progress_key(batch.pk), progress, 24 * 3600)


def import_batch_create(*, actor: User, province: Province, upload: UploadedFile) -> ImportBatch:
    """Record an uploaded file and check it: inline when small, by the worker when big.

    A file refused as a whole still gets its batch (status "refused", with the reason) so the
    history shows every file an office tried; none of its rows is ever written.
    """
    if not can_import_for(actor, province):
        raise NotAllowed()
    _refuse_if_held(province.code)
    name = safe_upload_name(upload.name or "")
    limit = conf.get("MAX_BYTES")
    if upload.size and upload.size > limit:
        batch = ImportBatch.objects.create(
            province=province,
            created_by=actor,
            file_name=name,
            file_size=upload.size,
            file_sha256="",
            status=ImportBatch.Status.FAILED,
            failure_code="too_big",
            failure_params={"size": f"{upload.size / 2**20:.1f}", "limit": f"{limit / 2**20:.0f}"},
        )
        _notify_failed(batch.pk)
        return batch
    data = upload.read()
    batch = ImportBatch(
        province=province,
        created_by=actor,
        file_name=name,
        file_size=len(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    files.store(batch, data)
    batch.save()
    if len(data) <= conf.get("INLINE_MAX_BYTES"):
        import_validate(batch_id=batch.pk)
        batch.refresh_from_db()
    else:
        _set_progress(batch, 0, 0)
        _queue(batch)
    return batch


def _queue(batch: ImportBatch) -> None:
    """Hand the batch to the workers once the transaction commits (the sweep sends it again if
    the broker cannot be reached)."""
    from imports.tasks import run_import_task

    batch.queued_at = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(queued_at=batch.queued_at)
    queue.send_on_commit(run_import_task, batch.pk)


def _notify_failed(batch_id: int) -> None:
    """Its uploader is told the import failed (app and e-mail: jobs' receiver, once committed)."""
    hooks.import_failed(batch_id=batch_id)


def import_row_follow_merge(*, survivor_id: int, merged_id: int) -> int:
    """Move a merged record's import row to the survivor; return how many moved (0 or 1).

    Called by the merge (residents.merge) inside its transaction. The row stays when the
    survivor came from an import too: one import row per record.
    """
    if ImportedResident.objects.filter(resident_id=survivor_id).exists():
        return 0
    return ImportedResident.objects.filter(resident_id=merged_id).update(resident_id=survivor_id)


def import_can_retry(batch: ImportBatch, *, now: dt.datetime | None = None) -> bool:
    """A batch left checking or importing with no worker on it for a while."""
    return bool(
        batch.is_running
        and batch.queued_at
        and batch.queued_at < (now or timezone.now()) - queue.STALLED_AFTER
    )


def import_retry(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Send a stuck batch to the workers again (the task does nothing twice)."""
    if not can_import_for(actor, batch.province):
        raise NotAllowed()
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not import_can_retry(locked):
            raise ImportRefused(_("This import is not stuck: there is nothing to retry."))
        audit_record(actor=actor, action=AuditEvent.Action.IMPORT_RETRIED, obj=locked)
        _queue(locked)
    return locked


def _file_bytes(batch: ImportBatch) -> bytes:
    return files.read(batch)


def _stored_value(column: str, value: str) -> str:
    """What an issue keeps of the value found: a passport number only masked."""
    return mask_number(value) if column == "passport_number" else value[:200]


def _refuse(batch: ImportBatch, refused: FileRefused) -> None:
    batch.issues.all().delete()
    batch.status = ImportBatch.Status.FAILED
    batch.failure_code = refused.code
    batch.failure_params = {k: str(v) for k, v in refused.params.items()}
    batch.save(update_fields=["status", "failure_code", "failure_params"])
    _notify_failed(batch.pk)


def _issue_rows(batch: ImportBatch, rows: list[engine.Row]) -> list[ImportIssue]:
    return [
        ImportIssue(
            batch=batch,
            row_number=row.number,
            kind=ImportIssue.Kind.ERROR if row.kind == engine.ERROR else ImportIssue.Kind.DUPLICATE,
            column=issue.column,
            value=_stored_value(issue.column, issue.value),
            code=issue.code,
            params=issue.params,
        )
        for row in rows
        if row.kind != engine.OK
        for issue in row.issues
    ]


def _check_and_stage(
    batch: ImportBatch,
) -> tuple[dict[str, int], list[ImportIssue], engine.Checker]:
    """Check every row of the batch's file and stage the valid ones; return counts and issues.

    Runs inside the caller's transaction: a file refused half-way stages nothing.
    """
    counts = {engine.OK: 0, engine.ERROR: 0, engine.DUPLICATE: 0}
    issues: list[ImportIssue] = []
    checker = engine.Checker(province=batch.province, today=timezone.localdate())
    staging.discard([batch.pk])
    sheet = open_sheet(_file_bytes(batch))
    batch.file_format = sheet.format
    try:
        for chunk in checker.chunks(sheet):
            for row in chunk:
                counts[row.kind] += 1
            issues.extend(_issue_rows(batch, chunk))
            staging.stage(batch.pk, chunk)
            _set_progress(batch, sum(counts.values()), sheet.estimated_rows)
    finally:
        sheet.close()
    return counts, issues, checker


def _discard_stale_staging() -> None:
    """Drop the staged rows of files checked long ago and never imported."""
    cutoff = timezone.now() - dt.timedelta(days=conf.get("STAGED_DAYS"))
    staging.discard_stale(cutoff)


def import_validate(*, batch_id: int) -> None:
    """The dry run: check every row, store the preview, stage the valid rows; write no resident.

    The valid rows are kept cleaned (`imports.staging`) for the commit, which re-checks only what
    the database may have changed in between.
    """
    batch = ImportBatch.objects.select_related("province").get(pk=batch_id)
    if batch.status != ImportBatch.Status.VALIDATING:
        return  # already checked: running the task again does nothing
    _discard_stale_staging()
    try:
        with transaction.atomic():
            # A second delivery (or the sweep's) while a worker is still checking skips the
            # batch: the first worker holds its row until it is done.
            mine = (
                ImportBatch.objects.select_for_update(skip_locked=True)
                .filter(pk=batch.pk, status=ImportBatch.Status.VALIDATING)
                .values_list("pk", flat=True)
            )
            if not list(mine):
                return
            counts, issues, checker = _check_and_stage(batch)
            batch.issues.all().delete()
            ImportIssue.objects.bulk_create(issues, batch_size=conf.get("CHUNK_ROWS"))
            batch.status = ImportBatch.Status.VALIDATED
            batch.unknown_columns = checker.unknown_columns
            batch.header_row = checker.header_row
            batch.skipped_lines = [[number, text] for number, text in checker.skipped]
            batch.total_rows = sum(counts.values())
            batch.ok_rows = counts[engine.OK]
            batch.error_rows = counts[engine.ERROR]
            batch.duplicate_rows = counts[engine.DUPLICATE]
            batch.validated_at = timezone.now()
            batch.save()
    except FileRefused as refused:
        _refuse(batch, refused)
    except (OSError, DatabaseError):
        # Whatever went wrong, the batch ends refused with a reason, never left "validating".
        logger.exception("import batch %s could not be checked", batch.pk)
        _refuse(batch, FileRefused("check_failed"))


def import_commit_request(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Queue the commit of a checked batch; only its province's importers (or HQ) may."""
    if not can_import_for(actor, batch.province):
        raise NotAllowed()
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.VALIDATED:
            return locked  # a second click, or a refused file: nothing to do
        _refuse_if_held(locked.province_id)
        locked.status = ImportBatch.Status.COMMIT_QUEUED
        locked.committed_by = actor
        locked.save(update_fields=["status", "committed_by"])
    _set_progress(locked, 0, locked.total_rows)
    if locked.file_size <= conf.get("INLINE_MAX_BYTES"):
        import_commit(batch_id=locked.pk)
        locked.refresh_from_db()
        if locked.status == ImportBatch.Status.COMMITTED:
            _queue_flagging(locked)  # the importer does not wait for it
    else:
        _queue(locked)
    return locked


def import_commit(*, batch_id: int) -> None:
    """Write the staged rows of a queued batch, all in one transaction, a range per statement.

    Before writing, the rows are checked once more against the register (a passport or a person
    registered since the dry run is a duplicate, never written twice); if the staged rows are
    gone (a database crash empties the unlogged staging table, or the file waited too long), the
    file is checked again first. Idempotent: a committed batch is left alone, and a worker that
    dies mid-way leaves nothing (the transaction rolls back), so the task simply runs again.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COMMIT_LOCK])
            # The history triggers read this setting inside an EXCEPTION block; left undefined,
            # every row raises and rolls back a subtransaction, which makes a big transaction
            # quadratic (20,000 rows: 24 s instead of 3 s). Defined and empty, it ignores nothing.
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
            # Each range of rows is read once into memory by its statement: keep it there.
            cursor.execute("SELECT set_config('work_mem', '64MB', true)")
        batch = (
            ImportBatch.objects.select_for_update(of=("self",))
            .select_related("province", "committed_by")
            .get(pk=batch_id)
        )
        if batch.status != ImportBatch.Status.COMMIT_QUEUED:
            return
        if residents_hooks.province_edit_refusal(batch.province_id) is not None:
            # Signed off after the commit was asked for: nothing is written (the share lock holds
            # a sign-off back while a commit that passed this check writes).
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportBatch.Status.FAILED, failure_code="signed_off", failure_params={}
            )
            return
        if staging.staged_count(batch.pk) != batch.ok_rows:
            refused: FileRefused | None
            try:
                counts, issues, _checker = _check_and_stage(batch)
            except FileRefused as exc:
                # Cannot happen for a file the dry run accepted, unless it changed on disk.
                refused = exc
                transaction.set_rollback(True)
            except OSError:
                logger.exception("import batch %s could not be checked again", batch.pk)
                refused = FileRefused("check_failed")
                transaction.set_rollback(True)
            else:
                refused = None
                batch.issues.all().delete()
                ImportIssue.objects.bulk_create(issues, batch_size=conf.get("CHUNK_ROWS"))
                batch.ok_rows = counts[engine.OK]
                batch.error_rows = counts[engine.ERROR]
                batch.duplicate_rows = counts[engine.DUPLICATE]
        else:
            refused = None
        if refused is None:
            _write_staged(batch)
    if refused is not None:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED,
            failure_code=refused.code,
            failure_params={k: str(v) for k, v in refused.params.items()},
        )
        _notify_failed(batch_id)


def commit_range_size(rows: int) -> int:
    """Rows written per statement: at most COMMIT_CHUNK_ROWS, and small enough that the
    progress bar moves in about COMMIT_PROGRESS_STEPS steps (never under COMMIT_MIN_ROWS)."""
    steps = -(-rows // conf.get("COMMIT_PROGRESS_STEPS"))
    return min(conf.get("COMMIT_CHUNK_ROWS"), max(steps, conf.get("COMMIT_MIN_ROWS")))


def _queue_flagging(batch: ImportBatch) -> None:
    """Near-identical names (a typo in a surname) pass the exact checks: once the records are
    committed, a task of its own flags them for the verifier (the sweep sends it again if the
    broker cannot be reached). A commit run by a worker flags them itself, right after."""
    from imports.tasks import flag_import_duplicates_task

    queue.send_on_commit(flag_import_duplicates_task, batch.pk)


def import_flag_duplicates(*, batch_id: int) -> int:
    """Flag the likely duplicates of a committed batch's residents; return how many flags.

    Runs after the commit, in its own transaction: the name rule costs more than writing the
    records, which need not wait for it. Idempotent by the batch: done under the batch's row
    lock and marked done in the same transaction, so a task sent twice flags nothing more.
    Within the batch, as within a commit, only the later record of a pair is flagged; the
    residents are compared a part at a time, as the commit wrote them.
    """
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update()
            .filter(
                pk=batch_id,
                status=ImportBatch.Status.COMMITTED,
                duplicates_flagged_at__isnull=True,
            )
            .first()
        )
        if batch is None:
            return 0  # flagged already, or not committed
        with connection.cursor() as cursor:
            # As in the commit: the flags' history triggers read it (see import_commit).
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
        ids = list(
            ImportedResident.objects.filter(batch_id=batch.pk)
            .order_by("resident_id")
            .values_list("resident_id", flat=True)
        )
        size = commit_range_size(len(ids))
        flagged = 0
        # The flags' history names the importer and the batch, as the records' does.
        with pghistory.context(user=batch.committed_by_id, import_batch=batch.pk):
            for start in range(0, len(ids), size):
                flagged += residents_services.flag_likely_duplicates(
                    resident_ids=ids[start : start + size], among=ids
                )
        batch.duplicates_flagged_at = timezone.now()
        batch.save(update_fields=["duplicates_flagged_at"])
    return flagged


def _write_staged(batch: ImportBatch) -> None:
    """The commit's writes, inside its transaction: re-check, write by ranges, count, record."""
    actor = batch.committed_by
    if actor is None:  # import_commit_request records who asked before it queues the commit
        raise ValueError(f"import batch {batch.pk} is queued for commit with no committer")
    # What changed since the dry run: a basis of residence retired (the row is now in error), a
    # passport or person registered (the row is now a duplicate).
    retired = staging.retired_bases(batch.pk)
    retired_rows = {number for number, _code in retired}
    registered = [r for r in staging.registered_since(batch.pk) if r.row_number not in retired_rows]
    choices = engine.active_bases()[1]
    ImportIssue.objects.bulk_create(
        [
            ImportIssue(
                batch=batch,
                row_number=number,
                kind=ImportIssue.Kind.ERROR,
                column="basis",
                value=code,
                code="bad_basis",
                params={"choices": choices},
            )
            for number, code in retired
        ]
        + [
            ImportIssue(
                batch=batch,
                row_number=found.row_number,
                kind=ImportIssue.Kind.DUPLICATE,
                column=found.column,
                value=_stored_value(found.column, found.value),
                code=found.code,
                params={"resident": found.resident_id},
            )
            for found in registered
        ]
    )
    skip = sorted(retired_rows | {found.row_number for found in registered})
    expected = batch.ok_rows - len(skip)
    written = 0
    done = batch.error_rows + batch.duplicate_rows
    now = timezone.now()
    with pghistory.context(user=actor.pk, import_batch=batch.pk):
        # pghistory attaches its context to the next write it sees (never to a SELECT): this
        # no-op UPDATE sets it for the whole transaction, and _pgh_attach_context() returns it,
        # so the history rows written below name the importer and the batch.
        ImportBatch.objects.filter(pk=batch.pk).update(status=batch.status)
        with connection.cursor() as cursor:
            cursor.execute("SELECT _pgh_attach_context()")
            (context_id,) = cursor.fetchone()
        # Row-level history triggers cost more than the inserts themselves: the statement
        # writes the 'insert' events set-based instead.
        with bulk_history():
            _set_progress(batch, done + len(skip), batch.total_rows)
            for rows in staging.row_ranges(batch.pk, commit_range_size(batch.ok_rows)):
                resident_ids = staging.write_range(
                    batch_id=batch.pk,
                    rows=rows,
                    skip=[n for n in skip if rows[0] <= n <= rows[1]],
                    province_id=batch.province_id,
                    actor_id=actor.pk,
                    context_id=context_id,
                    now=now,
                )
                written += len(resident_ids)
                done += len(resident_ids)
                _set_progress(batch, done + len(skip), batch.total_rows)
    if written != expected:
        # Cannot happen while the batch's row lock keeps the stale-row purge away; if it ever
        # does, write nothing rather than counts that disagree with the register.
        raise RuntimeError(f"import {batch.pk}: wrote {written} rows, expected {expected}")
    staging.discard([batch.pk])
    batch.status = ImportBatch.Status.COMMITTED
    batch.committed_at = timezone.now()
    batch.accepted_rows = batch.ok_rows = written
    batch.rejected_rows = batch.error_rows = batch.error_rows + len(retired)
    batch.duplicate_rows += len(registered)
    batch.total_rows = batch.accepted_rows + batch.rejected_rows + batch.duplicate_rows
    batch.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.IMPORTED,
        obj=batch,
        detail={
            "file": batch.file_name,
            "sha256": batch.file_sha256,
            "province": batch.province_id,
            "rows": batch.total_rows,
            "accepted": batch.accepted_rows,
            "rejected": batch.rejected_rows,
            "duplicates": batch.duplicate_rows,
        },
    )


def _loggable_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters of an export as they may be kept: a searched passport number is withheld.

    The search box takes a name or a passport number; the export log and the audit trail (which
    is append-only) must never hold a passport number, and a name never contains a digit.
    """
    kept = {k: v for k, v in filters.items() if v}
    if any(c.isdigit() for c in str(kept.get("q", ""))):
        kept["q"] = "[passport number]"
    return kept


def export_log_create(
    *, actor: User, file_format: str, filters: dict[str, Any], row_count: int
) -> ExportLog:
    """Record an export: who, in which scope, with which filters, how many rows."""
    with transaction.atomic():
        log = ExportLog.objects.create(
            user=actor,
            province_id=actor.province_id,
            file_format=file_format,
            filters=_loggable_filters(filters),
            row_count=row_count,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.EXPORTED,
            obj=log,
            detail={"format": file_format, "filters": log.filters, "rows": row_count},
        )
    return log


def export_xlsx_request(*, actor: User, filters: dict[str, Any], row_count: int) -> ExportLog:
    """Log an XLSX export and queue its building on the reports queue; return the log.

    A workbook of the whole register takes minutes to write: a task builds it, a chunk of rows
    at a time, and the export page shows its progress and then a download link. The filters
    the task applies are kept encrypted (a searched passport number must not stay readable).
    """
    import json

    from core import crypto
    from imports.tasks import build_export_task

    access.require(actor, Capability.EXPORT)
    with transaction.atomic():
        log = ExportLog.objects.create(
            user=actor,
            province_id=actor.province_id,
            file_format=ExportLog.Format.XLSX,
            filters=_loggable_filters(filters),
            row_count=row_count,
            status=ExportLog.Status.QUEUED,
            query_encrypted=crypto.encrypt(json.dumps(filters), context=EXPORT_QUERY_CONTEXT),
            moved_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.EXPORTED,
            obj=log,
            detail={"format": "xlsx", "filters": log.filters, "rows": row_count},
        )
        queue.send_on_commit(build_export_task, log.pk)
    return log


def _progress_writer() -> Any:
    """A connection of its own for progress: the export's own is busy streaming its COPY."""
    from django.db import connections

    return connections.create_connection("default")


def export_xlsx_build(*, export_id: int) -> ExportLog:
    """Write the workbook of a queued XLSX export into MEDIA_ROOT/exports; safe to run again.

    Rows are read in the exporter's scope as it is now (a deactivated or moved user's export
    reads what they may still see), streamed by COPY and written by openpyxl's write-only
    workbook to a temporary file: memory stays at a chunk whatever the size of the register.
    Each build is numbered (`attempts`); a build whose export was queued again meanwhile (the
    sweep took a slow worker for a dead one) stops at its next chunk and keeps no file.
    """
    import json
    import time

    from django.conf import settings
    from django.core.files import File

    from core import crypto
    from imports import selectors, spreadsheets

    with transaction.atomic():
        log = ExportLog.objects.select_for_update().get(pk=export_id)
        if log.status != ExportLog.Status.QUEUED:
            return log  # built, failed or being built by another worker: nothing to do
        log.move_to(ExportLog.Status.BUILDING)
        log.attempts += 1
        log.rows_written = 0
        log.moved_at = timezone.now()
        log.save(update_fields=["status", "attempts", "rows_written", "moved_at"])
    attempt = log.attempts
    pause = float(getattr(settings, "IMPORTS_EXPORT_CHUNK_PAUSE_SECONDS", 0) or 0)
    progress = _progress_writer()
    try:
        filters = json.loads(crypto.decrypt(log.query_encrypted, context=EXPORT_QUERY_CONTEXT))
        chunks = selectors.resident_export_rows_for(user=log.user, for_csv=False, **filters)

        def rows() -> Any:
            written = 0
            for chunk in chunks:
                yield from chunk
                written += len(chunk)
                if _superseded(progress, log.pk, attempt):
                    return  # the workbook is dropped below: a newer build writes the file
                with progress.cursor() as cursor:
                    cursor.execute(
                        "UPDATE imports_exportlog SET rows_written = %s, moved_at = %s"
                        " WHERE id = %s AND status = 'building' AND attempts = %s",
                        [written, timezone.now(), log.pk, attempt],
                    )
                if pause:
                    time.sleep(pause)

        try:
            content, count = spreadsheets.write_xlsx(selectors.EXPORT_HEADER, rows())
        finally:
            chunks.close()  # ends the COPY if the rows stopped early: the connection is free
        stamp = timezone.localtime(log.created_at).strftime("%Y%m%d-%H%M")
        with content, transaction.atomic():
            locked = ExportLog.objects.select_for_update().get(pk=log.pk)
            if not _is_current_build(locked, attempt):
                logger.info("XLSX export %s: build %s given up for a newer one", log.pk, attempt)
                return locked
            locked.file.save(f"residents-{stamp}-{log.pk}.xlsx", File(content), save=False)
            locked.move_to(ExportLog.Status.READY)
            locked.rows_written = count
            locked.finished_at = locked.moved_at = timezone.now()
            locked.save(update_fields=["file", "status", "rows_written", "finished_at", "moved_at"])
        return locked
    except Exception:
        logger.exception("XLSX export %s failed", log.pk)
        with transaction.atomic():
            locked = ExportLog.objects.select_for_update().get(pk=log.pk)
            if _is_current_build(locked, attempt):
                locked.move_to(ExportLog.Status.FAILED)
                locked.finished_at = locked.moved_at = timezone.now()
                locked.save(update_fields=["status", "finished_at", "moved_at"])
        return locked
    finally:
        progress.close()


def _superseded(progress: Any, export_id: int, attempt: int) -> bool:
    """Whether the export was queued again since this build began (read on the progress
    connection; an export it cannot see yet, not committed, is not superseded)."""
    with progress.cursor() as cursor:
        cursor.execute("SELECT status, attempts FROM imports_exportlog WHERE id = %s", [export_id])
        row = cursor.fetchone()
    return row is not None and tuple(row) != (ExportLog.Status.BUILDING, attempt)


def _is_current_build(log: ExportLog, attempt: int) -> bool:
    return log.status == ExportLog.Status.BUILDING and log.attempts == attempt


def export_can_retry(log: ExportLog, *, user: User, now: dt.datetime | None = None) -> bool:
    """An XLSX export of this user's that failed, or that no worker has moved for a while."""
    return (
        log.file_format == ExportLog.Format.XLSX
        and log.user_id == user.pk
        and (log.status == ExportLog.Status.FAILED or log.is_stuck(now=now))
    )


def export_can_download(log: ExportLog, *, user: User) -> bool:
    """A ready XLSX export's file is for the user who asked for it alone."""
    return log.is_ready and log.user_id == user.pk


def export_actions(logs: Iterable[ExportLog], *, user: User) -> list[ExportLog]:
    """The exports, each told what `user` may do with it (download, ask again)."""
    now = timezone.now()
    listed = list(logs)
    for log in listed:
        log.can_download = export_can_download(log, user=user)
        log.can_retry = export_can_retry(log, user=user, now=now)
    return listed


def _export_queue_again(log: ExportLog, *, actor: User | None, by: str) -> None:
    """Queue a locked export for a new build, audited (inside the caller's transaction)."""
    from imports.tasks import build_export_task

    previous = log.status
    if previous != ExportLog.Status.QUEUED:
        log.move_to(ExportLog.Status.QUEUED)
    log.rows_written = 0
    log.finished_at = None
    log.moved_at = timezone.now()
    log.save(update_fields=["status", "rows_written", "finished_at", "moved_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT_RETRIED,
        obj=log,
        detail={"from": previous, "builds": log.attempts, "by": by},
    )
    queue.send_on_commit(build_export_task, log.pk)


def export_retry(*, actor: User, log: ExportLog) -> ExportLog:
    """Queue again an XLSX export of the actor's own that failed or stopped moving.

    Only its maker asks again: the file will be theirs alone. The build that may still be
    running (a slow worker, not a dead one) stops at its next chunk: the newest build wins.
    """
    access.require(actor, Capability.EXPORT)
    if log.user_id != actor.pk:
        raise NotAllowed(_("Only the person who asked for this export may ask for it again."))
    with transaction.atomic():
        locked = ExportLog.objects.select_for_update().get(pk=log.pk)
        if not export_can_retry(locked, user=actor):
            raise ImportRefused(_("This export is neither stuck nor failed: nothing to retry."))
        _export_queue_again(locked, actor=actor, by="maker")
    return locked


def export_requeue_stalled(*, now: dt.datetime | None = None) -> int:
    """The sweep's part for exports: resend the queued ones no worker took, build again the ones
    left building with no progress (at most IMPORTS_EXPORT_MAX_ATTEMPTS builds, then failed).

    Returns how many were sent. Each export is locked with SKIP LOCKED: a build finishing at the
    same moment is never waited for, and two sweeps never queue the same export twice.
    """
    from imports.tasks import build_export_task

    now = now or timezone.now()
    earliest = min(queue.STALLED_AFTER, ExportLog.stalled_after())
    waiting = ExportLog.objects.filter(
        status__in=[ExportLog.Status.QUEUED, ExportLog.Status.BUILDING],
        moved_at__lt=now - earliest,
    ).values_list("pk", flat=True)
    sent = 0
    for export_id in list(waiting):
        with transaction.atomic():
            log = ExportLog.objects.select_for_update(skip_locked=True).filter(pk=export_id).first()
            if log is None or not log.is_stuck(now=now):
                continue
            if log.status == ExportLog.Status.QUEUED:
                # Never started: send it again, once per stalled interval (a worker may be down
                # for hours; the task is idempotent by id, so a late copy does nothing twice).
                if queue.send(build_export_task, log.pk):
                    sent += 1
                    log.moved_at = now
                    log.save(update_fields=["moved_at"])
            elif log.attempts >= conf.get("EXPORT_MAX_ATTEMPTS"):
                logger.warning("XLSX export %s: %s builds stopped, failed", log.pk, log.attempts)
                log.move_to(ExportLog.Status.FAILED)
                log.finished_at = log.moved_at = now
                log.save(update_fields=["status", "finished_at", "moved_at"])
            else:
                logger.warning(
                    "XLSX export %s: build %s stopped moving, queued", log.pk, log.attempts
                )
                _export_queue_again(log, actor=None, by="sweep")
                sent += 1
    return sent


def export_file_downloaded(*, actor: User, log: ExportLog) -> None:
    """Record that the file of an XLSX export left the IMS (who, when, which export)."""
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORTED,
        obj=log,
        detail={"format": "xlsx", "downloaded": True, "rows": log.row_count},
    )
