"""Every read the import and export pages make, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from redis.exceptions import RedisError

from accounts import access
from accounts.access import Capability
from accounts.models import User
from gdi_ims import db_router
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
def resident_export_for(
    *,
    user: User,
    q: str = "",
    status: str = "",
    nationality: str = "",
    district: str = "",
) -> QuerySet[Resident]:
    """Residents of the user's scope with the resident list's filters, ready to stream out.

    Documents and declarations come by prefetch (one query each per chunk when iterated with a
    chunk size), never one query per resident.
    """
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
    return (
        residents.using(db_router.database_for_reports())
        .select_related("address_district", "address_commune", "address_province")
        .prefetch_related(
            Prefetch("documents", queryset=TravelDocument.objects.filter(is_current=True)),
            Prefetch(
                "declarations", queryset=Declaration.objects.select_related("basis").order_by("-id")
            ),
        )
        .order_by("id")
    )


def export_log_list_for(*, user: User) -> QuerySet[ExportLog]:
    require_exporter(user)
    logs = ExportLog.objects.select_related("user", "province")
    if user.is_provincial:
        logs = logs.filter(province_id=user.province_id)
    return logs
