"""Import pages (template, upload, preview, commit, history, report) and the resident export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.types import AuthenticatedRequest
from imports import columns, conf, files, selectors, services, spreadsheets
from imports.forms import ExportFilterForm, ImportUploadForm
from imports.messages import render
from imports.models import ImportBatch, ImportIssue
from imports.reader import FileRefused, open_sheet
from residents.models import ResidenceBasis

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _file_response(content: Any, *, name: str, file_format: str) -> HttpResponseBase:
    if file_format == "xlsx":
        return FileResponse(content, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX)
    response = HttpResponse(content, content_type=CSV)
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _format(request: HttpRequest) -> str:
    data = request.POST if request.method == "POST" else request.GET
    return "xlsx" if data.get("format") == "xlsx" else "csv"


# --- Import ------------------------------------------------------------------------------------
@login_required
@require_GET
def template_download(request: AuthenticatedRequest) -> HttpResponseBase:
    """An empty list to fill in: bilingual headers, and a help sheet with the accepted values."""
    selectors.require_importer(request.user)
    header = [column.header for column in columns.COLUMNS]
    file_format = _format(request)
    if file_format == "csv":
        content, _count = spreadsheets.write_csv(header, [])
        return _file_response(content, name="residents-template", file_format="csv")
    bases = ", ".join(ResidenceBasis.objects.filter(is_active=True).values_list("code", flat=True))
    help_rows = [
        ("Column / ជួរឈរ", "Required / ចាំបាច់", "Values / តម្លៃ"),
        *[
            (column.header, "yes / បាទ" if column.required else "", "")
            for column in columns.COLUMNS
        ],
        ("", "", ""),
        ("Dates / កាលបរិច្ឆេទ", "", "DD/MM/YYYY, DD-MM-YYYY, YYYY-MM-DD"),
        ("Sex / ភេទ", "", "M, F, X"),
        ("Nationality / សញ្ជាតិ", "", "China, Chinese, CN, CHN, ចិន"),
        ("District, commune / ស្រុក ឃុំ", "", "code, English or Khmer name"),
        ("Basis of residence / មូលដ្ឋាន", "", bases),
    ]
    workbook, _count = spreadsheets.write_xlsx(header, [], extra_sheets=[("Help", help_rows)])
    return _file_response(workbook, name="residents-template", file_format="xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request: AuthenticatedRequest) -> HttpResponse:
    """The import history of the user's scope, and the upload form."""
    batches = selectors.import_batch_list_for(user=request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_batch_create(
                actor=request.user,
                province=form.cleaned_data["province"],
                upload=form.cleaned_data["file"],
            )
        except services.ImportRefused as refusal:  # the province's list is signed off
            form.add_error("province", refusal.message)
        else:
            return redirect("imports:batch-detail", pk=batch.pk)
    context = {"form": form, "batches": batches[:100]}
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "imports/importbatch_list.html", context, status=status)


def _detail_context(request: AuthenticatedRequest, batch: ImportBatch) -> dict[str, Any]:
    limit = services.conf.get("PREVIEW_ISSUES")
    return {
        "batch": batch,
        "failure": render(batch.failure_code, batch.failure_params) if batch.failure_code else "",
        "errors": selectors.import_issues_of(batch=batch, kind=ImportIssue.Kind.ERROR, limit=limit),
        "duplicates": selectors.import_issues_of(
            batch=batch, kind=ImportIssue.Kind.DUPLICATE, limit=limit
        ),
        "preview_limit": limit,
        "progress": selectors.import_progress_of(batch=batch),
        "same_file": selectors.import_same_file_before(user=request.user, batch=batch),
        "can_commit": batch.status == ImportBatch.Status.VALIDATED
        and services.can_import_for(request.user, batch.province),
        "can_retry": services.import_can_retry(batch)
        and services.can_import_for(request.user, batch.province),
    }


@login_required
@require_GET
def batch_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = selectors.import_batch_get_for(user=request.user, pk=pk)
    return TemplateResponse(
        request, "imports/importbatch_detail.html", _detail_context(request, batch)
    )


@login_required
@require_GET
def batch_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx; once the batch is done the whole page reloads."""
    batch = selectors.import_batch_get_for(user=request.user, pk=pk)
    response = TemplateResponse(
        request,
        "imports/_progress.html",
        {"batch": batch, "progress": selectors.import_progress_of(batch=batch)},
    )
    if not batch.is_running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def batch_retry(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Send a batch that no worker has moved for a while to the workers again."""
    batch = selectors.import_batch_get_for(user=request.user, pk=pk)
    try:
        services.import_retry(batch=batch, actor=request.user)
    except services.ImportRefused as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("The import was sent to the workers again."))
    return redirect("imports:batch-detail", pk=batch.pk)


@login_required
@require_POST
def batch_commit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = selectors.import_batch_get_for(user=request.user, pk=pk)
    if batch.status != ImportBatch.Status.VALIDATED:
        messages.error(request, _("This file cannot be imported now."))
        return redirect("imports:batch-detail", pk=batch.pk)
    try:
        batch = services.import_commit_request(batch=batch, actor=request.user)
    except services.ImportRefused as refusal:  # the province's list was signed off meanwhile
        messages.error(request, refusal.message)
        return redirect("imports:batch-detail", pk=batch.pk)
    if batch.status == ImportBatch.Status.COMMITTED:
        messages.success(
            request,
            _("Imported: %(accepted)s accepted, %(rejected)s rejected, %(duplicates)s duplicates.")
            % {
                "accepted": batch.accepted_rows,
                "rejected": batch.rejected_rows,
                "duplicates": batch.duplicate_rows,
            },
        )
    else:
        messages.info(request, _("The import is running; you can leave this page."))
    return redirect("imports:batch-detail", pk=batch.pk)


REPORT_HEADER = [
    "Row / ជួរដេក",
    "Column / ជួរឈរ",
    "Value found / តម្លៃដែលបានឃើញ",
    "Reason / មូលហេតុ",
    "Suggested fix / ការកែដែលបានស្នើ",
]


def _error_report_rows(batch: ImportBatch) -> Iterator[list[Any]]:
    """One line per error: where, the value found (a passport number masked), why, what to do."""
    for issues in selectors.import_error_rows_of(batch=batch).values():
        for issue in issues:
            column = columns.BY_KEY.get(issue.column)
            yield [
                issue.row_number,
                column.header if column else "",
                issue.value,
                issue.reason,
                issue.fix,
            ]


@login_required
@require_GET
def batch_report(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """Every error of an import with the value found, the reason and the suggested fix."""
    batch = selectors.import_batch_get_for(user=request.user, pk=pk)
    rows = _error_report_rows(batch)
    file_format = _format(request)
    name = f"import-{batch.pk}-errors"
    content: IO[bytes] | bytes
    if file_format == "xlsx":
        content, _count = spreadsheets.write_xlsx(REPORT_HEADER, rows, title="Errors")
    else:
        content, _count = spreadsheets.write_csv(REPORT_HEADER, rows)
    return _file_response(content, name=name, file_format=file_format)


def _rejected_rows(batch: ImportBatch) -> Iterator[list[Any]]:
    """The rows in error as the file had them, in the template's columns, with their problems."""
    problems = selectors.import_error_rows_of(batch=batch)
    try:
        sheet = open_sheet(files.read(batch))
    except FileRefused:
        return
    try:
        positions: dict[str, int] = {}
        for position, cell in enumerate(sheet.header):
            key = columns.column_for(cell)
            if key is not None:
                positions.setdefault(key, position)
        for number, cells in sheet.rows:
            if number not in problems:
                continue
            values = [
                cells[positions[c.key]]
                if c.key in positions and positions[c.key] < len(cells)
                else None
                for c in columns.COLUMNS
            ]
            reasons = "; ".join(
                f"{i.column_label}: {i.reason}" if i.column_label else i.reason
                for i in problems[number]
            )
            yield [*values, reasons]
    except FileRefused:
        return
    finally:
        sheet.close()


@login_required
@require_GET
def batch_rejected(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The rejected rows in the template's layout: fix them and import the file again."""
    batch = selectors.import_batch_get_for(user=request.user, pk=pk)
    if not batch.file:
        days = conf.get("FILE_RETENTION_DAYS")
        messages.info(request, render("file_deleted", {"days": days}))
        return redirect("imports:batch-detail", pk=batch.pk)
    header = [*(column.header for column in columns.COLUMNS), columns.PROBLEMS_HEADER]
    rows = _rejected_rows(batch)
    file_format = _format(request)
    name = f"import-{batch.pk}-rejected-rows"
    content: IO[bytes] | bytes
    if file_format == "xlsx":
        content, _count = spreadsheets.write_xlsx(header, rows, title="Residents")
    else:
        content, _count = spreadsheets.write_csv(header, rows)
    return _file_response(content, name=name, file_format=file_format)


@login_required
@require_GET
def batch_residents(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The residents an import created: submitted declarations waiting for a second officer."""
    batch = selectors.import_batch_get_for(user=request.user, pk=pk)
    residents = selectors.imported_residents_of(batch=batch)[:500]
    return TemplateResponse(
        request, "imports/importbatch_residents.html", {"batch": batch, "residents": residents}
    )


# --- Export ------------------------------------------------------------------------------------
EXPORT_HEADER = selectors.EXPORT_HEADER


@login_required
@require_GET
def export(request: AuthenticatedRequest) -> HttpResponse:
    """The export page: the resident list's filters, how many rows they give, the recent exports."""
    selectors.require_exporter(request.user)
    form = ExportFilterForm(request.GET or None, user=request.user)
    count = None
    if form.is_bound and form.is_valid():
        count = selectors.resident_export_for(user=request.user, **form.filters()).count()
    context = {
        "form": form,
        "count": count,
        "query": request.GET.urlencode(),
        "logs": services.export_actions(
            selectors.export_log_list_for(user=request.user)[:20], user=request.user
        ),
        "stalled_minutes": _stalled_minutes(),
    }
    return TemplateResponse(request, "imports/export.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def export_download(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """Residents of the user's scope, filtered, as CSV (streamed) or XLSX (built by a task).

    The filters travel in the query string either way. A CSV is a download (GET); asking for an
    XLSX starts work on the server, so it is a form post (CSRF-checked), never a link.
    """
    selectors.require_exporter(request.user)
    if request.method == "POST" and request.POST.get("format") != "xlsx":
        return HttpResponseNotAllowed(["GET"])
    if request.method == "GET" and request.GET.get("format") == "xlsx":
        return HttpResponseNotAllowed(["POST"])
    form = ExportFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return TemplateResponse(
            request,
            "imports/export.html",
            {"form": form, "count": None, "query": "", "logs": []},
            status=400,
        )
    filters = form.filters()
    file_format = _format(request)
    # Counted before the first row leaves, so that an export the browser abandons half-way is
    # logged all the same (with the rows it selected).
    count = selectors.resident_export_for(user=request.user, **filters).count()
    if file_format == "xlsx":
        # Built by a task (the reports queue): the export page shows its progress, then a link.
        services.export_xlsx_request(actor=request.user, filters=filters, row_count=count)
        messages.success(
            request,
            _("The XLSX file is being prepared. It appears under Recent exports when it is ready."),
        )
        kept = request.GET.copy()
        kept.pop("format", None)
        return redirect(f"{reverse('imports:export')}?{kept.urlencode()}")
    chunks = selectors.resident_export_rows_for(user=request.user, for_csv=True, **filters)
    services.export_log_create(
        actor=request.user, file_format=file_format, filters=filters, row_count=count
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"residents-{stamp}"
    # Streamed: the register is never whole in memory, and the first bytes leave at once.
    response = StreamingHttpResponse(
        spreadsheets.stream_csv(EXPORT_HEADER, chunks), content_type=CSV
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
@require_GET
def export_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One XLSX export's row of the export log: its progress, then its download link (htmx)."""
    log = selectors.export_log_get_for(user=request.user, pk=pk)
    [log] = services.export_actions([log], user=request.user)
    return TemplateResponse(
        request, "imports/_export_row.html", {"log": log, "stalled_minutes": _stalled_minutes()}
    )


def _stalled_minutes() -> int:
    return conf.get("EXPORT_STALLED_MINUTES")


@login_required
@require_POST
def export_retry(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Build again an XLSX export of one's own that failed or that no worker moves any more."""
    log = selectors.export_own_get_for(user=request.user, pk=pk)
    try:
        services.export_retry(actor=request.user, log=log)
    except services.ImportRefused as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("The export is being built again."))
    return redirect("imports:export")


@login_required
@require_GET
def export_file(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The workbook of a ready XLSX export, for the user who asked for it; each download logged."""
    log = selectors.export_file_get_for(user=request.user, pk=pk)
    services.export_file_downloaded(actor=request.user, log=log)
    return FileResponse(
        log.file.open("rb"),
        as_attachment=True,
        filename=f"residents-{timezone.localtime(log.created_at):%Y%m%d-%H%M}.xlsx",
        content_type=XLSX,
    )
