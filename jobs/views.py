"""The jobs page (runs, re-run, stuck work), the renewals due, and the officers' notifications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from accounts.access import Capability
from accounts.types import AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_record
from cards import selectors as card_selectors
from cards.models import ResidenceCard
from imports import spreadsheets
from jobs import conf, selectors, services
from jobs.forms import RenewalFilterForm
from jobs.models import EXPIRED, JobRun, threshold_label
from residents import services as resident_services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Jobs ------------------------------------------------------------------------------------
@login_required
@require_GET
def job_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    runs = selectors.job_run_list_for(user=user)
    last = selectors.last_runs_for(user=user)
    jobs = [
        {
            "name": job,
            "label": label,
            "last": last[job],
            "last_ok": last[f"{job}:ok"],
        }
        for job, label in JobRun.Job.choices
    ]
    return TemplateResponse(
        request,
        "jobs/job_list.html",
        {
            "jobs": jobs,
            "runs": runs,
            "failures": selectors.job_run_failures_for(user=user),
            "stuck": selectors.stuck_declarations_for(user=user),
            "stuck_days": conf.stuck_days(),
            "failed_print_runs": selectors.failed_print_runs_for(user=user),
            "failed_imports": selectors.failed_imports_for(user=user),
            "can_run": access.can(user, Capability.JOB_RUN),
        },
    )


@login_required
@require_POST
def job_run_now(request: AuthenticatedRequest, job: str) -> HttpResponse:
    selectors.require_job_reader(request.user)
    access.require(request.user, Capability.JOB_RUN)
    if job not in JobRun.Job.values:
        raise Http404
    run = services.job_run_enqueue(job=job, actor=request.user)
    messages.success(request, _("The job is queued; this page shows its result."))
    return redirect("jobs:run-detail", pk=run.pk)


@login_required
@require_GET
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.job_run_get_for(user=request.user, pk=pk)
    # htmx polls the status block until the run has finished.
    template = "jobs/_run_status.html" if request.htmx else "jobs/run_detail.html"
    return TemplateResponse(request, template, {"run": run})


# --- Renewals due ----------------------------------------------------------------------------
def _renewal_filters(
    request: AuthenticatedRequest,
) -> tuple[RenewalFilterForm, selectors.RenewalFilters]:
    form = RenewalFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    # The raw parameter, not the cleaned one: another province's code must be a 404, not "all".
    filters.province = selectors.renewal_province_for(
        user=request.user, province=request.GET.get("province", "")
    )
    return form, filters


@login_required
@require_GET
def renewals(request: AuthenticatedRequest) -> HttpResponse:
    form, filters = _renewal_filters(request)
    today = timezone.localdate()
    page = selectors.renewal_page_for(
        user=request.user, filters=filters, today=today, after=request.GET.get("after", "")
    )
    for card in page.items:
        _describe(card, today)
    query = request.GET.copy()
    query.pop("after", None)
    return TemplateResponse(
        request,
        "jobs/renewals.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "today": today,
            "province": filters.province,
            "can_start": access.can(request.user, Capability.RESIDENT_WRITE),
            "can_renew": access.can(request.user, Capability.CARD_WRITE),
        },
    )


@login_required
@require_POST
def renewal_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Start a card's renewal: the resident's new declaration, as a draft for the officer.

    It then goes the way of any declaration (submitted, verified, acknowledged); the card office
    renews the card once it is acknowledged.
    """
    card = card_selectors.card_get_for(user=request.user, pk=pk)
    access.require(request.user, Capability.RESIDENT_WRITE)
    if not card.is_renewable_on(timezone.localdate()):
        messages.error(
            request, _("Only a card that expires within 90 days or has expired can be renewed.")
        )
        return redirect("jobs:renewals")
    try:
        declaration = resident_services.declaration_create(
            resident=card.resident,
            actor=request.user,
            declaration=resident_services.DeclarationInput(
                declared_on=timezone.localdate(),
                basis=card.declaration.basis,
                notes=_("Renewal of card %(number)s.") % {"number": card.number},
            ),
        )
    except resident_services.ResidentsError as error:
        messages.error(request, error.message)
        return redirect("jobs:renewals")
    messages.success(
        request,
        _(
            "Renewal started: check the new declaration, add its documents and submit it for "
            "verification."
        ),
    )
    return redirect(
        f"{reverse('residents:detail', args=[card.resident_id])}#declaration-{declaration.pk}"
    )


def _describe(card: selectors.RenewalCard, today: dt.date) -> None:
    """What a row says: how soon, and how far the renewal has gone."""
    card.days_left = (card.expiry_date - today).days
    card.stage_label = threshold_label(_stage_of(card, today))
    new = (
        getattr(card, "replacement", None) if card.status == ResidenceCard.Status.REPLACED else None
    )
    card.new_card = new
    if new is not None:
        card.renewal_state = selectors.STATE_RENEWED
        card.renewal_label = _("Renewed: new card %(number)s (%(status)s)") % {
            "number": new.number,
            "status": new.get_status_display(),
        }
    elif card.renewal_ready:
        card.renewal_state = selectors.STATE_READY
        card.renewal_label = _("New declaration acknowledged: issue the new card")
    elif card.renewal_started:
        card.renewal_state = selectors.STATE_IN_PROGRESS
        card.renewal_label = _("Renewal started (new declaration under way)")
    else:
        card.renewal_state = selectors.STATE_NOT_STARTED
        card.renewal_label = _("Not started")


def _stage_of(card: ResidenceCard, today: dt.date) -> int:
    if card.expiry_date < today:
        return EXPIRED
    days = (card.expiry_date - today).days
    return min((t for t in conf.thresholds() if days <= t), default=max(conf.thresholds()))


@login_required
@require_GET
def renewals_export(request: AuthenticatedRequest, file_format: str) -> HttpResponseBase:
    """The renewals list as CSV or XLSX, every cell neutralised against formula injection."""
    _form, filters = _renewal_filters(request)
    today = timezone.localdate()
    header = [
        _("Card number"),
        _("Resident"),
        _("Name in Khmer"),
        _("Nationality"),
        _("Province"),
        _("Expiry date"),
        _("Days left"),
        _("Expiry"),
        _("Renewal"),
        _("Notified on"),
        _("Link"),
    ]
    base = conf.site_url()

    def rows() -> Iterator[list[object]]:
        for card in selectors.renewals_for_export(user=request.user, filters=filters, today=today):
            _describe(card, today)
            yield [
                card.number,
                card.resident.full_name,
                card.resident.name_km,
                # django-countries' field reads as a Country; the stubs see its CharField's str.
                card.resident.nationality.name,  # type: ignore[attr-defined]
                card.province.name,
                card.expiry_date,
                card.days_left,
                card.stage_label,
                card.renewal_label,
                timezone.localtime(card.notified_at).date() if card.notified_at else None,
                base + reverse("residents:detail", args=[card.resident_id]),
            ]

    name = f"renewals-{filters.province or 'all'}-{today:%Y%m%d}"
    if file_format == "xlsx":
        content, count = spreadsheets.write_xlsx(header, rows(), title=_("Renewals"))
        response: HttpResponseBase = FileResponse(
            content, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX
        )
    else:
        data, count = spreadsheets.write_csv(header, rows())
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORTED,
        request=request,
        detail={
            "what": "renewals",
            "format": file_format,
            "rows": count,
            "province": filters.province,
            "stage": filters.stage,
            "state": filters.state,
        },
    )
    return response


# --- Notifications ---------------------------------------------------------------------------
@login_required
@require_GET
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "jobs/notification_list.html",
        {
            "notifications": selectors.notification_list_for(user=request.user),
            "unread": selectors.unread_count_for(user=request.user),
        },
    )


@login_required
@require_POST
def notification_read(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark read, then follow the notification's link (or go back to the list)."""
    notification = selectors.notification_get_for(user=request.user, pk=pk)
    services.notification_mark_read(notification=notification, user=request.user)
    target = request.POST.get("next", "")
    # A path of this site only: `redirect` would take any other text for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return HttpResponseRedirect(target)
    return redirect("jobs:notification-list")


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("jobs:notification-list")
