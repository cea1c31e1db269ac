"""Every read the import and export pages make, scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from redis.exceptions import RedisError

from accounts import access
from accounts.access import Capability
from accounts.models import User
from core import crypto, db_router
from imports import columns, spreadsheets
from imports.models import ExportLog, ImportBatch, ImportIssue
from imports.services import progress_key
from residents.models import Declaration, Resident, TravelDocument, search_name_of


def require_importer(user: User) -> None:
    access.require(user, Capability.IMPORT)


def require_exporter(user: User) -> None:
    access.require(user, Capability.EXPORT)


def _batches_in_scope(user: User) -> QuerySet[ImportBatch]:
    return access.scope(ImportBatch.objects.select_related("province", "created_by"), user)


def import_batch_list_for(*, user: User) -> QuerySet[ImportBatch]:
    """Officers see their province's imports; HQ sees every province's."""
    require_importer(user)
    return _batches_in_scope(user)


def import_batch_get_for(*, user: User, pk: int) -> ImportBatch:
    """One import: 404 outside the user's scope (never reveal it exists), then the role (403)."""
    batch = access.get_in_scope(_batches_in_scope(user), user, pk=pk)
    require_importer(user)
    return batch


def import_issues_of(*, batch: ImportBatch, kind: str, limit: int | None = None) -> list[Any]:
    issues = batch.issues.filter(kind=kind).order_by("row_number", "id")
    return list(issues[:limit] if limit else issues)


def import_error_rows_of(*, batch: ImportBatch) -> dict[int, list[ImportIssue]]:
    """The rows in error and their problems, for the error report."""
    rows: dict[int, list[ImportIssue]] = {}
    for issue in batch.issues.filter(kind=ImportIssue.Kind.ERROR).order_by("row_number", "id"):
        rows.setdefault(issue.row_number, []).append(issue)
    return rows


def import_progress_of(*, batch: ImportBatch) -> dict[str, int | bool]:
    """Rows done so far; `unknown` when the cache that holds it cannot be reached."""
    try:
        progress = cache.get(progress_key(batch.pk)) or {"done": 0, "total": 0}
    except RedisError:
        return {"done": 0, "total": batch.total_rows or 0, "percent": 0, "unknown": True}
    total = progress["total"] or batch.total_rows or 0
    percent = int(100 * progress["done"] / total) if total else 0
    return {
        "done": progress["done"],
        "total": total,
        "percent": min(percent, 100),
        "unknown": False,
    }


def import_same_file_before(*, user: User, batch: ImportBatch) -> ImportBatch | None:
    """An earlier committed import of the very same file (same SHA-256) in the user's scope."""
    if not batch.file_sha256:
        return None
    return (
        import_batch_list_for(user=user)
        .filter(file_sha256=batch.file_sha256, status=ImportBatch.Status.COMMITTED)
        .exclude(pk=batch.pk)
        .order_by("committed_at")
        .first()
    )


def imported_residents_of(*, batch: ImportBatch) -> QuerySet[Resident]:
    """The residents an import created, with their declarations (already scoped by the batch)."""
    return (
        Resident.objects.filter(import_record__batch=batch)
        .select_related("address_district", "address_commune", "import_record")
        .prefetch_related(Prefetch("declarations", queryset=Declaration.objects.order_by("-id")))
        .order_by("import_record__row_number")
    )


# --- Export ------------------------------------------------------------------------------------
def _residents_for_export(
    *, user: User, q: str, status: str, nationality: str, district: str
) -> QuerySet[Resident]:
    require_exporter(user)
    residents = Resident.objects.all()
    if user.is_provincial:
        residents = residents.filter(province_id=user.province_id)
    if q:
        wanted = search_name_of(q)
        by_passport = TravelDocument.objects.filter(number_index=TravelDocument.index_of(q))
        residents = residents.filter(search_name__contains=wanted) | residents.filter(
            pk__in=by_passport.values("resident_id")
        )
    if status:
        latest = Declaration.objects.filter(resident=OuterRef("pk")).order_by("-id")
        residents = residents.annotate(current_status=Subquery(latest.values("status")[:1]))
        residents = residents.filter(current_status=status)
    if nationality:
        residents = residents.filter(nationality=nationality)
    if district:
        residents = residents.filter(address_district_id=district)
    return residents


def resident_export_for(
    *,
    user: User,
    q: str = "",
    status: str = "",
    nationality: str = "",
    district: str = "",
) -> QuerySet[Resident]:
    """Residents of the user's scope with the resident list's filters (what an export holds)."""
    return _residents_for_export(
        user=user, q=q, status=status, nationality=nationality, district=district
    ).order_by("id")


@dataclass(frozen=True)
class ExportColumn:
    sql: str
    kind: str = "text"  # text (neutralised), date, number, passport (decrypted by the caller)


# The export's header: the import template's columns, status, resident number.
EXPORT_HEADER = [
    *[column.header for column in columns.COLUMNS],
    "Status / ស្ថានភាព",
    "Resident number / លេខអ្នករស់នៅ",
]


# In the order of the export's header: the import template's columns, status, resident number.
EXPORT_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("r.surname"),
    ExportColumn("r.given_names"),
    ExportColumn("r.name_km"),
    ExportColumn("r.name_native"),
    ExportColumn("r.sex"),
    ExportColumn("r.date_of_birth", "date"),
    ExportColumn("r.place_of_birth"),
    ExportColumn("r.nationality"),
    ExportColumn("d.number_encrypted", "passport"),
    ExportColumn("d.issuing_country"),
    ExportColumn("d.issue_date", "date"),
    ExportColumn("d.expiry_date", "date"),
    ExportColumn("r.arrival_date", "date"),
    ExportColumn("r.phone"),
    ExportColumn("r.occupation"),
    ExportColumn("r.employer"),
    ExportColumn("r.address_province_id"),
    ExportColumn("r.address_district_id"),
    ExportColumn("r.address_commune_id"),
    ExportColumn("r.address_village"),
    ExportColumn("r.address_street"),
    ExportColumn("decl.code"),
    ExportColumn("decl.declared_on", "date"),
    ExportColumn("decl.status"),
    ExportColumn("r.id", "number"),
)
PASSPORT_COLUMN = next(i for i, c in enumerate(EXPORT_COLUMNS) if c.kind == "passport")

_EXPORT_FROM = """
FROM residents_resident r
LEFT JOIN residents_traveldocument d ON d.resident_id = r.id AND d.is_current
LEFT JOIN LATERAL (
    SELECT b.code, x.declared_on, x.status
    FROM residents_declaration x JOIN residents_residencebasis b ON b.id = x.basis_id
    WHERE x.resident_id = r.id ORDER BY x.id DESC LIMIT 1
) decl ON true
"""


def _neutralised_sql(expression: str) -> str:
    """spreadsheets.neutralise in SQL: an apostrophe before a cell a spreadsheet would run."""
    starts = ", ".join(f"chr({ord(s)})" for s in spreadsheets.DANGEROUS_STARTS)
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) "
        f"THEN chr(39) || {expression} ELSE {expression} END"
    )


def _column_sql(column: ExportColumn, *, for_csv: bool) -> str:
    if column.kind == "text":
        return _neutralised_sql(column.sql)
    if column.kind == "date" and for_csv:
        return f"to_char({column.sql}, 'DD/MM/YYYY')"
    return column.sql


def resident_export_query_for(
    *,
    user: User,
    for_csv: bool,
    raw: bool = False,
    q: str = "",
    status: str = "",
    nationality: str = "",
    district: str = "",
) -> tuple[str, list[Any]]:
    """The SELECT of an export (SQL and parameters): one row per resident, ordered by id.

    One statement the database streams (COPY ... TO STDOUT), never one query per resident: the
    current passport by join, the latest declaration by a lateral join. Text cells are
    neutralised and, for CSV, dates formatted by the database, so that all Python does per row
    is decrypt the passport number. `raw` gives the same columns unformatted (the benchmark's
    baseline).
    """
    filtered = _residents_for_export(
        user=user, q=q, status=status, nationality=nationality, district=district
    )
    if raw:
        columns = ", ".join(c.sql for c in EXPORT_COLUMNS)
    else:
        columns = ", ".join(_column_sql(c, for_csv=for_csv) for c in EXPORT_COLUMNS)
    params: list[Any] = []
    where = ""
    if user.is_provincial or q or status or nationality or district:
        ids_sql, ids_params = filtered.values("pk").query.sql_with_params()
        where = f"WHERE r.id IN ({ids_sql})"
        params = list(ids_params)
    return f"SELECT {columns} {_EXPORT_FROM} {where} ORDER BY r.id", params


EXPORT_CHUNK_ROWS = 2000


def resident_export_rows_for(
    *,
    user: User,
    for_csv: bool,
    chunk_rows: int = EXPORT_CHUNK_ROWS,
    q: str = "",
    status: str = "",
    nationality: str = "",
    district: str = "",
) -> Generator[list[tuple[Any, ...]], None, None]:
    """The export's rows in chunks of `chunk_rows`, streamed from the database by COPY.

    Memory stays at one chunk whatever the size of the register: COPY sends rows as the
    server produces them (a server-side cursor in autocommit would be held, materialised, at
    its opening). For CSV every cell is text, ready to write; for XLSX dates are dates and the
    resident number a number. The scope and capability are checked now, not at the first row.
    """
    sql, params = resident_export_query_for(
        user=user,
        for_csv=for_csv,
        q=q,
        status=status,
        nationality=nationality,
        district=district,
    )
    types = None if for_csv else [_COPY_TYPES[c.kind] for c in EXPORT_COLUMNS]
    return _copied_rows(sql, params, types=types, chunk_rows=chunk_rows)


_COPY_TYPES = {"text": "text", "passport": "text", "date": "date", "number": "int8"}


def _copied_rows(
    sql: str, params: list[Any], *, types: list[str] | None, chunk_rows: int
) -> Generator[list[tuple[Any, ...]], None, None]:
    decrypt = crypto.decryptor(context=TravelDocument.ENCRYPTION_CONTEXT)
    neutralise = spreadsheets.neutralise
    at = PASSPORT_COLUMN
    # Read from the standby when it keeps up (core.db_router), else from the primary.
    connection = connections[db_router.database_for_reports()]
    connection.ensure_connection()
    if connection.queries_logged:  # COPY bypasses the cursor wrapper that logs queries
        connection.queries_log.append({"sql": f"COPY ({sql}) TO STDOUT", "time": "0.000"})
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT", params or None) as copy,
    ):
        if types:
            copy.set_types(types)
        chunk: list[tuple[Any, ...]] = []
        for row in copy.rows():
            token = row[at]
            chunk.append((*row[:at], neutralise(decrypt(token)) if token else None, *row[at + 1 :]))
            if len(chunk) == chunk_rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def export_log_list_for(*, user: User) -> QuerySet[ExportLog]:
    require_exporter(user)
    logs = ExportLog.objects.select_related("user", "province")
    if user.is_provincial:
        logs = logs.filter(province_id=user.province_id)
    return logs


def _export_logs_in_scope(user: User) -> QuerySet[ExportLog]:
    # Scope before capability (accounts.access): another province's export is not found.
    logs = ExportLog.objects.select_related("user", "province")
    return logs.filter(province_id=user.province_id) if user.province_id else logs


def export_log_get_for(*, user: User, pk: int) -> ExportLog:
    """One export of the user's scope, else 404; then the export capability, else 403."""
    from django.shortcuts import get_object_or_404

    log = get_object_or_404(_export_logs_in_scope(user), pk=pk)
    require_exporter(user)
    return log


def export_own_get_for(*, user: User, pk: int) -> ExportLog:
    """An XLSX export of the user's scope that they asked for themselves, else 404."""
    from django.shortcuts import get_object_or_404

    log = get_object_or_404(
        _export_logs_in_scope(user), pk=pk, user=user, file_format=ExportLog.Format.XLSX
    )
    require_exporter(user)
    return log


def export_file_get_for(*, user: User, pk: int) -> ExportLog:
    """A ready XLSX export the user asked for themselves, else 404: its file is theirs alone."""
    from django.shortcuts import get_object_or_404

    log = get_object_or_404(
        _export_logs_in_scope(user).exclude(file=""),
        pk=pk,
        user=user,
        status=ExportLog.Status.READY,
    )
    require_exporter(user)
    return log
