"""HQ's dashboard of the compilation, the province pages, the list sign-off, and the reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from accounts.access import Capability
from accounts.types import AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_record
from compilation import reports, selectors, services
from compilation.forms import EstimateForm, ReopenForm, ReturnForm, SignOffForm
from compilation.models import ProvinceCompilation
from compilation.tasks import refresh_province_summary_task
from core.errors import NotAllowed
from residents import endings

Status = ProvinceCompilation.Status


@require_GET
@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    sort = request.GET.get("sort", "code")
    descending = request.GET.get("dir") == "desc"
    board = selectors.dashboard_for(user=request.user, sort=sort, descending=descending)
    return TemplateResponse(
        request,
        "compilation/dashboard.html",
        {
            "dashboard": board,
            "columns": SORTABLE_COLUMNS,
            "ended_counts": endings.ended_counts_for(user=request.user),
        },
    )


# (sort key, header) of the dashboard table, in order.
SORTABLE_COLUMNS = [
    ("name", gettext_lazy("Province")),
    ("estimate", gettext_lazy("Estimate")),
    ("entered", gettext_lazy("Entered")),
    ("submitted", gettext_lazy("Submitted")),
    ("returned", gettext_lazy("Returned")),
    ("verified", gettext_lazy("Verified")),
    ("rejected", gettext_lazy("Rejected")),
    ("acknowledged", gettext_lazy("Acknowledged")),
    ("cards_issued", gettext_lazy("Cards issued")),
    ("cards_printed", gettext_lazy("Printed")),
    ("cards_active", gettext_lazy("Handed over")),
    ("cards_expiring", gettext_lazy("Expiring")),
    ("cards_expired", gettext_lazy("Expired")),
    ("status", gettext_lazy("List status")),
    ("progress", gettext_lazy("Progress")),
]


@require_GET
@login_required
def my_province(request: AuthenticatedRequest) -> HttpResponse:
    """A provincial user's own province page; HQ goes to the dashboard."""
    if selectors.is_hq(request.user):
        return redirect("provinces:dashboard")
    if not request.user.province_id:
        raise NotAllowed()
    access.require(request.user, Capability.PROVINCE_READ)
    return redirect("provinces:detail", code=request.user.province_id)


@require_GET
@login_required
def province_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    page = selectors.province_page_for(user=request.user, code=code)
    compilation = page.row.compilation
    user = request.user
    can_decide = user.role == user.Role.DIRECTOR
    context = {
        "page": page,
        "province": page.row.province,
        "charts": page.charts(),
        "is_hq": selectors.is_hq(user),
        "can_submit": user.role == user.Role.VERIFIER and compilation.can_move_to(Status.SUBMITTED),
        "can_decide": can_decide,
        # What the director may do next, from the transition table (the template restates none).
        "can_review": can_decide and compilation.can_move_to(Status.UNDER_REVIEW),
        "can_sign_off": can_decide and compilation.can_sign_off,
        "can_return": can_decide and compilation.can_move_to(Status.RETURNED),
        "can_reopen": can_decide and compilation.can_move_to(Status.REOPENED),
        "estimate_form": EstimateForm(
            initial={"estimated_residents": compilation.estimated_residents}
        ),
        "return_form": ReturnForm(),
        "sign_off_form": SignOffForm(),
        "reopen_form": ReopenForm(),
        "can_see_throughput": access.can(user, Capability.THROUGHPUT_READ),
        # The backlog and the renewals link to their lists for those who may open them.
        "can_see_queue": access.can(user, Capability.DECLARATION_REVIEW),
        "can_see_renewals": access.can(user, Capability.RENEWALS_READ),
        "ended_counts": endings.ended_counts_for(user=user, province_code=page.row.province.code),
    }
    return TemplateResponse(request, "compilation/province_detail.html", context)


def _detail(code: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("provinces:detail", args=[code]))


def _run_step(request: AuthenticatedRequest, step: Callable[..., object], **kwargs: Any) -> bool:
    """Run a province-list service; a refusal becomes an error message, nothing changed."""
    try:
        step(actor=request.user, **kwargs)
    except services.ProvinceListError as refusal:
        messages.error(request, refusal.message)
        return False
    return True


@require_POST
@login_required
def province_submit(request: AuthenticatedRequest, code: str) -> HttpResponse:
    province = selectors.province_get_for(user=request.user, code=code)
    if _run_step(request, services.province_list_submit, province=province):
        messages.success(request, _("The province list was submitted to HQ."))
    return _detail(code)


@require_POST
@login_required
def province_review(request: AuthenticatedRequest, code: str) -> HttpResponse:
    province = selectors.province_get_for(user=request.user, code=code)
    if _run_step(request, services.province_list_start_review, province=province):
        messages.success(request, _("The province list is now under review."))
    return _detail(code)


@require_POST
@login_required
def province_sign_off(request: AuthenticatedRequest, code: str) -> HttpResponse:
    province = selectors.province_get_for(user=request.user, code=code)
    access.require(request.user, Capability.PROVINCE_SIGN_OFF)  # before reading the form
    form = SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The override reason is too long."))
        return _detail(code)
    if _run_step(
        request,
        services.province_list_sign_off,
        province=province,
        override_reason=form.cleaned_data["override_reason"],
    ):
        messages.success(request, _("The province list is signed off: the province is finished."))
    return _detail(code)


def _reasoned_step(
    request: AuthenticatedRequest,
    code: str,
    form_class: type[ReturnForm] | type[ReopenForm],
    step: Callable[..., object],
    done: str,
) -> HttpResponse:
    """HQ's step on a list that takes a reason (return, reopen): the form, then the service."""
    province = selectors.province_get_for(user=request.user, code=code)
    access.require(request.user, Capability.PROVINCE_SIGN_OFF)  # before reading the form
    form = form_class(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, str(error))
        return _detail(code)
    if _run_step(request, step, province=province, reason=form.cleaned_data["reason"]):
        messages.success(request, done)
    return _detail(code)


@require_POST
@login_required
def province_return(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _reasoned_step(
        request,
        code,
        ReturnForm,
        services.province_list_return,
        _("The province list was returned to the province."),
    )


@require_POST
@login_required
def province_reopen(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """HQ lifts the hold of a signed-off list, with a reason (audited)."""
    return _reasoned_step(
        request,
        code,
        ReopenForm,
        services.province_list_reopen,
        _("The province list is reopened: its records can be changed again."),
    )


@require_POST
@login_required
def province_estimate(request: AuthenticatedRequest, code: str) -> HttpResponse:
    province = selectors.province_get_for(user=request.user, code=code)
    access.require(request.user, Capability.PROVINCE_SIGN_OFF)  # before reading the form
    form = EstimateForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("estimated_residents", []):
            messages.error(request, _("Estimate: %(error)s") % {"error": error})
        return _detail(code)
    services.province_estimate_set(
        province=province,
        estimated_residents=form.cleaned_data["estimated_residents"],
        actor=request.user,
    )
    messages.success(request, _("The estimate was saved."))
    return _detail(code)


@require_GET
@login_required
def throughput(request: AuthenticatedRequest, code: str | None = None) -> HttpResponse:
    """Decisions per verifier and records entered per officer: one province, or all for HQ."""
    figures = selectors.throughput_for(user=request.user, code=code)
    return TemplateResponse(
        request,
        "compilation/throughput.html",
        {"throughput": figures, "is_hq": selectors.is_hq(request.user)},
    )


@require_POST
@login_required
def summary_refresh(request: AuthenticatedRequest) -> HttpResponse:
    """Queue a refresh of the figures now, instead of waiting for the next scheduled one."""
    selectors.require_hq(request.user)
    transaction.on_commit(refresh_province_summary_task.delay)
    messages.success(
        request, _("The figures are being refreshed; reload the page in a moment if they lag.")
    )
    return redirect("provinces:dashboard")


def _download(
    request: HttpRequest, content: bytes, content_type: str, extension: str
) -> HttpResponse:
    """The report as an attachment, recorded in the audit trail with its format."""
    action = AuditEvent.Action.PDF_DOWNLOADED if extension == "pdf" else AuditEvent.Action.EXPORTED
    audit_record(
        actor=request.user,
        action=action,
        request=request,
        detail={"report": "provinces_dashboard", "format": extension},
    )
    response = HttpResponse(content, content_type=content_type)
    name = f"provinces-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@login_required
def export_csv(request: AuthenticatedRequest) -> HttpResponse:
    board = selectors.dashboard_for(user=request.user)
    return _download(request, reports.as_csv(board), "text/csv; charset=utf-8", "csv")


@require_GET
@login_required
def export_xlsx(request: AuthenticatedRequest) -> HttpResponse:
    board = selectors.dashboard_for(user=request.user)
    return _download(
        request,
        reports.as_xlsx(board),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    )


@require_GET
@login_required
def report_pdf(request: AuthenticatedRequest) -> HttpResponse:
    board = selectors.dashboard_for(user=request.user)
    return _download(request, reports.as_pdf(board), "application/pdf", "pdf")
