"""Every read the jobs pages make, scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts import access
from accounts.access import Capability
from accounts.models import User
from cards.models import EXPIRING_WINDOW_DAYS, PrintRun, ResidenceCard
from core import keyset
from core.keyset import Key
from imports.models import ImportBatch
from jobs import conf
from jobs.models import EXPIRED, JobRun, Notification, RenewalNotice
from provinces.models import Province
from residents.models import Declaration

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Renewal(TypedDict):
        # Annotated by renewals_queryset_for:
        renewal_started: bool
        renewal_ready: bool
        notified_at: dt.datetime | None

    # A card as the renewals page reads one.
    RenewalCard = WithAnnotations[ResidenceCard, _Renewal]

Role = User.Role
Status = ResidenceCard.Status

PAGE_SIZE = 50
# A renewed card stays on the renewals page (as renewed) this many days after its renewal.
RENEWED_SHOWN_DAYS = EXPIRING_WINDOW_DAYS


def require_job_reader(user: User) -> None:
    """The jobs pages do not exist for anyone else (404, like another province's record)."""
    if not access.can(user, Capability.JOB_READ):
        raise Http404


# --- Runs ------------------------------------------------------------------------------------
def job_run_list_for(*, user: User, limit: int = 30) -> list[JobRun]:
    require_job_reader(user)
    return list(JobRun.objects.select_related("triggered_by").order_by("-id")[:limit])


def job_run_failures_for(*, user: User, limit: int = 10) -> list[JobRun]:
    require_job_reader(user)
    return list(
        JobRun.objects.filter(status__in=[JobRun.Status.FAILED, JobRun.Status.INTERRUPTED])
        .select_related("triggered_by")
        .order_by("-id")[:limit]
    )


def job_run_get_for(*, user: User, pk: int) -> JobRun:
    require_job_reader(user)
    run = JobRun.objects.select_related("triggered_by").filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def last_runs_for(*, user: User) -> dict[str, JobRun | None]:
    """Each job's latest run and latest successful run, for the summary at the top."""
    require_job_reader(user)
    last: dict[str, JobRun | None] = {}
    for job in JobRun.Job.values:
        last[job] = JobRun.objects.filter(job=job).order_by("-id").first()
        last[f"{job}:ok"] = (
            JobRun.objects.filter(job=job, status=JobRun.Status.SUCCEEDED).order_by("-id").first()
        )
    return last


# --- Stuck work ------------------------------------------------------------------------------
@dataclass
class StuckRow:
    province: Province
    submitted: int = 0
    returned: int = 0
    oldest: dt.datetime | None = None


def stuck_declarations_for(*, user: User, days: int | None = None) -> list[StuckRow]:
    """Declarations waiting in submitted or returned for more than `days`, per province.

    Waiting since: submission for a submitted one, the return for a returned one (one grouped
    query; index declaration_status_submitted).
    """
    require_job_reader(user)
    days = conf.stuck_days() if days is None else days
    before = timezone.now() - dt.timedelta(days=days)
    rows: dict[str, StuckRow] = {}
    provinces = Province.objects.in_bulk()
    for status, since in (
        (Declaration.Status.SUBMITTED, "submitted_at"),
        (Declaration.Status.RETURNED, "reviewed_at"),
    ):
        groups = (
            Declaration.objects.filter(status=status, **{f"{since}__lt": before})
            .values("resident__province_id")
            .annotate(n=Count("id"), oldest=Min(since))
            .order_by()
        )
        for group in groups:
            code = group["resident__province_id"]
            row = rows.setdefault(code, StuckRow(province=provinces[code]))
            setattr(row, status, group["n"])
            if row.oldest is None or group["oldest"] < row.oldest:
                row.oldest = group["oldest"]
    return sorted(rows.values(), key=lambda r: r.province.code)


def failed_print_runs_for(*, user: User, limit: int = 20) -> list[PrintRun]:
    require_job_reader(user)
    return list(
        PrintRun.objects.filter(status=PrintRun.Status.FAILED)
        .select_related("created_by", "province")
        .order_by("-id")[:limit]
    )


def failed_imports_for(*, user: User, limit: int = 20) -> list[ImportBatch]:
    from imports.messages import render

    require_job_reader(user)
    batches = list(
        ImportBatch.objects.filter(status=ImportBatch.Status.FAILED)
        .select_related("created_by", "province")
        .order_by("-created_at", "-id")[:limit]
    )
    for batch in batches:
        batch.reason = render(batch.failure_code, batch.failure_params)
    return batches


# --- Notifications ---------------------------------------------------------------------------
def _own_in_scope(user: User) -> QuerySet[Notification]:
    """The user's notifications about records they may still see (a moved user's old province's
    are kept, not shown)."""
    own = Notification.objects.filter(recipient=user)
    if user.province_id:
        own = own.filter(Q(province__isnull=True) | Q(province_id=user.province_id))
    return own


def notification_list_for(*, user: User, limit: int = 100) -> list[Notification]:
    return list(_own_in_scope(user).select_related("province", "run").order_by("-id")[:limit])


def notification_get_for(*, user: User, pk: int) -> Notification:
    """One of the user's own notifications, or 404 (nobody reads another's)."""
    notification = _own_in_scope(user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


def unread_count_for(*, user: User) -> int:
    return _own_in_scope(user).filter(read_at__isnull=True).count()


# --- Renewals due ----------------------------------------------------------------------------
STATE_NOT_STARTED, STATE_IN_PROGRESS, STATE_RENEWED = "not_started", "in_progress", "renewed"
# The new declaration is acknowledged: the card office issues the new card next.
STATE_READY = "ready"
# Due: expiring within the window or expired, renewed or not (the province page's figure).
STATE_DUE = "due"
IN_PROGRESS_DECLARATIONS = (
    Declaration.Status.DRAFT,
    Declaration.Status.SUBMITTED,
    Declaration.Status.RETURNED,
    Declaration.Status.VERIFIED,
)


@dataclass
class RenewalFilters:
    province: str = ""
    stage: str = ""  # "", "0" (expired) or a threshold in days
    state: str = ""  # "", not_started, in_progress, renewed
    run: int | None = None  # the residents a notification named


RenewalPage = keyset.Page["RenewalCard"]
# Soonest expiry first.
RENEWAL_KEYS = (Key("expiry_date", "date"), Key("id"))
RENEWAL_PAGE_COLUMNS = (
    "number", "status", "expiry_date", "resident__surname", "resident__given_names",
    "resident__name_km", "province__name_en", "province__name_km", "replacement__number",
    "replacement__status",
)  # fmt: skip


def renewal_province_for(*, user: User, province: str) -> str:
    """The province the page is about: a provincial user's own; another one does not exist."""
    if not access.can(user, Capability.RENEWALS_READ):
        raise Http404
    if user.province_id:
        if province and province != user.province_id:
            raise Http404
        return user.province_id
    if province and not Province.objects.filter(code=province).exists():
        raise Http404
    return province


def renewals_queryset_for(
    *, user: User, filters: RenewalFilters, today: dt.date
) -> QuerySet[RenewalCard]:
    """Cards to renew (expiring within the window, or expired) and those renewed lately.

    Annotated with whether a new declaration is under way (renewal started) and when the
    province was last told about the card; the renewal itself, if done, is `card.replacement`.
    """
    province = renewal_province_for(user=user, province=filters.province)
    thresholds = conf.thresholds()
    window_end = today + dt.timedelta(days=EXPIRING_WINDOW_DAYS)
    due = Q(
        status__in=[*ResidenceCard.CURRENT_STATUSES, Status.EXPIRED], expiry_date__lte=window_end
    )
    renewed = Q(
        status=Status.REPLACED,
        status_reason="renewal",
        replacement__created_at__gte=timezone.now() - dt.timedelta(days=RENEWED_SHOWN_DAYS),
    )
    # A declaration made after the card's own one, not yet acknowledged (ids only grow).
    in_progress = Exists(
        Declaration.objects.filter(
            resident_id=OuterRef("resident_id"),
            status__in=IN_PROGRESS_DECLARATIONS,
            pk__gt=OuterRef("declaration_id"),
        )
    )
    # A declaration made after the card's own one, acknowledged: what card_renew rests on.
    ready = Exists(
        Declaration.objects.filter(
            resident_id=OuterRef("resident_id"),
            status=Declaration.Status.ACKNOWLEDGED,
            pk__gt=OuterRef("declaration_id"),
        )
    )
    qs = ResidenceCard.objects.all()
    if province:
        qs = qs.filter(province_id=province)
    if filters.state == STATE_RENEWED:
        qs = qs.filter(renewed)
    elif filters.state == STATE_DUE:
        qs = qs.filter(due)
    elif filters.state == STATE_READY:
        qs = qs.filter(due).alias(is_ready=ready).filter(is_ready=True)
    elif filters.state in (STATE_NOT_STARTED, STATE_IN_PROGRESS):
        qs = (
            qs.filter(due)
            .alias(started=in_progress, is_ready=ready)
            .filter(started=filters.state == STATE_IN_PROGRESS, is_ready=False)
        )
    else:
        qs = qs.filter(due | renewed)
    if filters.stage.isdigit():
        qs = qs.filter(_stage_q(int(filters.stage), thresholds, today))
    if filters.run:
        qs = qs.filter(
            Exists(RenewalNotice.objects.filter(card_id=OuterRef("pk"), run_id=filters.run))
        )
    return qs.annotate(
        renewal_started=in_progress,
        renewal_ready=ready,
        notified_at=Subquery(
            RenewalNotice.objects.filter(card_id=OuterRef("pk"))
            .values("card_id")
            .annotate(last=Max("created_at"))
            .values("last")[:1]
        ),
    ).select_related("resident", "province", "replacement")


def _stage_q(stage: int, thresholds: tuple[int, ...], today: dt.date) -> Q:
    if stage == EXPIRED:
        return Q(expiry_date__lt=today)
    if stage not in thresholds:
        return Q(pk__in=[])
    lower = max((t for t in thresholds if t < stage), default=-1)
    return Q(
        expiry_date__gt=today + dt.timedelta(days=lower),
        expiry_date__lte=today + dt.timedelta(days=stage),
    )


def renewal_page_for(
    *, user: User, filters: RenewalFilters, today: dt.date, after: str = "", limit: int = PAGE_SIZE
) -> RenewalPage:
    """One page, soonest expiry first, by keyset (expiry date, id) from the `after` cursor."""
    qs = renewals_queryset_for(user=user, filters=filters, today=today)
    # What the page shows (jobs.templatetags.renewal_rows): three whole cards and a resident
    # per row cost it more to read than its query.
    qs = qs.only(*RENEWAL_PAGE_COLUMNS)
    return keyset.paginate(qs, RENEWAL_KEYS, after=after, page_size=limit)


def renewals_for_export(
    *, user: User, filters: RenewalFilters, today: dt.date
) -> Iterator[RenewalCard]:
    qs = renewals_queryset_for(user=user, filters=filters, today=today)
    return qs.order_by("expiry_date", "id").iterator(chunk_size=2000)
