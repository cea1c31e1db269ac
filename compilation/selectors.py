"""Every read the provinces pages make, scoped to what the user may see.

HQ directors and administrators see every province; provincial officers and verifiers see only
their own (another province is a 404); nobody else sees these pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from cards.models import ResidenceCard
from compilation import charts, forecast
from compilation.models import (
    DailySnapshot,
    DistrictSummary,
    NationalitySummary,
    ProvinceCompilation,
    ProvinceListEvent,
    ProvinceSummary,
)
from core import db_router
from core.errors import NotAllowed
from imports.models import ImportBatch
from provinces.models import Province
from residents import selectors as residents_selectors
from residents.models import Declaration, Resident

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from compilation.forecast import Forecast

    class _Changed(TypedDict):
        last_change: dt.datetime

    # A resident changed since the sign-off, with when it last changed.
    ChangedResident = WithAnnotations[Resident, _Changed]

TREND_DAYS = 60
NATIONALITIES_SHOWN = 10
# Age buckets of the verification backlog, in days since submission: (label, from, to).
BACKLOG_BUCKETS = ((0, 7), (8, 14), (15, 30), (31, None))

SORT_KEYS = {
    "code": lambda r: r.province.code,
    "name": lambda r: r.province.name,
    "estimate": lambda r: r.compilation.estimated_residents,
    "entered": lambda r: r.summary.residents,
    "submitted": lambda r: r.summary.submitted,
    "returned": lambda r: r.summary.returned,
    "verified": lambda r: r.summary.verified,
    "rejected": lambda r: r.summary.rejected,
    "acknowledged": lambda r: r.summary.acknowledged,
    "cards_issued": lambda r: r.summary.cards_issued,
    "cards_printed": lambda r: r.summary.cards_printed,
    "cards_active": lambda r: r.summary.cards_active,
    "cards_expiring": lambda r: r.summary.cards_expiring,
    "cards_expired": lambda r: r.summary.cards_expired,
    "status": lambda r: r.compilation.status,
    "progress": lambda r: r.progress,
}


def is_hq(user: User) -> bool:
    return access.can(user, Capability.HQ_DASHBOARD)


def require_hq(user: User) -> None:
    access.require(user, Capability.HQ_DASHBOARD)


@dataclass
class ProvinceRow:
    province: Province
    compilation: ProvinceCompilation
    summary: ProvinceSummary

    @property
    def progress(self) -> float:
        """Share of the estimate through verification (verified or acknowledged), 0 to 1."""
        estimate = self.compilation.estimated_residents
        return self.summary.compiled / estimate if estimate else 0.0

    @property
    def percent(self) -> int:
        return min(round(100 * self.progress), 100)

    @property
    def percent_entered(self) -> int:
        estimate = self.compilation.estimated_residents
        return min(round(100 * self.summary.residents / estimate), 100) if estimate else 0

    @property
    def percent_in_work(self) -> int:
        """Entered but not yet compiled, as a share of the estimate (the lighter bar)."""
        return max(self.percent_entered - self.percent, 0)

    @property
    def flagged(self) -> bool:
        """Signed off, and records changed since."""
        return self.compilation.is_held and self.summary.changed_since_sign_off > 0


@dataclass
class Headline:
    finished: int
    provinces: int
    compiled: int
    entered: int
    estimate: int
    deadline: dt.date
    days_left: int
    refreshed_at: dt.datetime | None

    @property
    def percent(self) -> int:
        return min(round(100 * self.compiled / self.estimate), 100) if self.estimate else 0


@dataclass
class Dashboard:
    """The HQ dashboard, each part read when first used.

    The page keeps its rendered table, headline and charts until the figures change, so most
    requests only read the stamps of cache_version (one small query) and never the rows or the
    chart figures.
    """

    sort: str
    descending: bool
    using: str = DEFAULT_DB_ALIAS  # the database every part is read from (the standby or not)

    @cached_property
    def rows(self) -> list[ProvinceRow]:
        rows = _rows(self.using)
        rows.sort(key=SORT_KEYS[self.sort], reverse=self.descending)
        return rows

    @cached_property
    def headline(self) -> Headline:
        return _headline_of(self.rows)

    @cached_property
    def nationalities(self) -> list[tuple[str, str, int]]:
        return _nationalities(NationalitySummary.objects.using(self.using))

    @cached_property
    def _trend_points(self) -> tuple[list[dt.date], list[int], list[int]]:
        return _trend(DailySnapshot.objects.using(self.using))

    @property
    def trend_days(self) -> list[dt.date]:
        return self._trend_points[0]

    @property
    def trend_verified(self) -> list[int]:
        return self._trend_points[1]

    @property
    def trend_cards(self) -> list[int]:
        return self._trend_points[2]

    def charts(self) -> dict[str, str]:
        return {
            "nationality": nationality_chart(self.nationalities),
            "progress": progress_chart(self.rows),
            "trend": trend_chart(self.trend_days, self.trend_verified, self.trend_cards),
        }

    @cached_property
    def forecasts(self) -> dict[str, forecast.Forecast]:
        """Each province's forecast, by code (outside the cached fragment: decisions move it)."""
        return forecasts_of(self.rows, using=self.using)

    @cached_property
    def forecast(self) -> forecast.Forecast:
        return forecast.combined(
            list(self.forecasts.values()), today=timezone.localdate(), deadline=deadline()
        )

    @property
    def extra_verifier_days(self) -> int:
        """The provinces' extra verifier-days added up (verifiers do not move between them)."""
        return sum(f.extra_verifier_days or 0 for f in self.forecasts.values())

    @property
    def forecast_rows(self) -> list[tuple[ProvinceRow, Forecast]]:
        return [(row, self.forecasts[row.province.code]) for row in self.rows]

    def burndown_chart(self) -> str:
        days, remaining = _burndown(DailySnapshot.objects.using(self.using))
        return burndown_chart(days, remaining, self.forecast)

    @cached_property
    def _stamps(self) -> dict[str, dt.datetime | None]:
        """Newest and oldest summary refresh, latest compilation change: one query."""
        return Province.objects.using(self.using).aggregate(
            newest=Max("summary__refreshed_at"),
            oldest=Min("summary__refreshed_at"),
            changed=Max("compilation__updated_at"),
        )

    @property
    def refreshed_at(self) -> dt.datetime | None:
        """When the oldest figures shown were computed (as the headline says)."""
        return self._stamps["oldest"]

    @property
    def cache_version(self) -> str:
        """Everything the rendered table, headline and charts depend on.

        The figures change only with a summary refresh (snapshots refresh it too) and a list step
        or estimate changes a compilation; the days left change with the date. Read before the
        rows, so a fragment rendered from newer rows is at worst kept under the older version.
        """
        stamps = (self._stamps["newest"], self._stamps["changed"], timezone.localdate())
        return "|".join(str(stamp) for stamp in stamps)


def deadline() -> dt.date:
    return dt.date.fromisoformat(settings.COMPILATION_DEADLINE)


def _row_of(province: Province) -> ProvinceRow:
    """A row from a province fetched with its compilation and summary (either may be missing)."""
    try:
        compilation = province.compilation
    except ProvinceCompilation.DoesNotExist:
        compilation = ProvinceCompilation(province=province)
    try:
        summary = province.summary
    except ProvinceSummary.DoesNotExist:
        # Unsaved, never refreshed: the stored column is NOT NULL, this placeholder is not stored.
        summary = ProvinceSummary(province=province, refreshed_at=None)  # type: ignore[misc]
    return ProvinceRow(province=province, compilation=compilation, summary=summary)


def _rows(using: str = DEFAULT_DB_ALIAS) -> list[ProvinceRow]:
    provinces = (
        Province.objects.using(using).select_related("compilation", "summary").order_by("code")
    )
    return [_row_of(p) for p in provinces]


def _headline_of(rows: list[ProvinceRow]) -> Headline:
    end = deadline()
    refreshed = [r.summary.refreshed_at for r in rows if r.summary.refreshed_at]
    return Headline(
        finished=sum(r.compilation.status == ProvinceCompilation.Status.FINISHED for r in rows),
        provinces=len(rows),
        compiled=sum(r.summary.compiled for r in rows),
        entered=sum(r.summary.residents for r in rows),
        estimate=sum(r.compilation.estimated_residents for r in rows),
        deadline=end,
        days_left=max((end - timezone.localdate()).days, 0),
        refreshed_at=min(refreshed) if refreshed else None,
    )


def headline_for(*, user: User) -> Headline:
    """The dashboard's headline alone (the director's home page): one query, on the standby."""
    require_hq(user)
    return _headline_of(_rows(db_router.database_for_reports()))


def _nationalities(queryset: QuerySet[NationalitySummary]) -> list[tuple[str, str, int]]:
    """(code, name, residents) by number of residents, largest first."""
    totals = (
        queryset.values("nationality")
        .annotate(total=Sum("residents"))
        .filter(total__gt=0)
        .order_by("-total", "nationality")
    )
    return [(t["nationality"], countries.name(t["nationality"]) or t["nationality"], t["total"])
            for t in totals]  # fmt: skip


def _trend(queryset: QuerySet[DailySnapshot]) -> tuple[list[dt.date], list[int], list[int]]:
    since = timezone.localdate() - dt.timedelta(days=TREND_DAYS)
    points = (
        queryset.filter(day__gte=since)
        .values("day")
        .annotate(verified=Sum(F("verified") + F("acknowledged")), cards=Sum("cards_total"))
        .order_by("day")
    )
    return (
        [p["day"] for p in points],
        [p["verified"] for p in points],
        [p["cards"] for p in points],
    )


FINAL_DECISIONS = (AuditEvent.Action.DECLARATION_VERIFIED, AuditEvent.Action.DECLARATION_REJECTED)
DECISIONS = (*FINAL_DECISIONS, AuditEvent.Action.DECLARATION_RETURNED)


def remaining_of(row: ProvinceRow) -> int:
    """Records still to decide: of max(estimate, entered), those not verified, acknowledged or
    rejected (see compilation.forecast)."""
    s = row.summary
    expected = max(row.compilation.estimated_residents, s.residents)
    return max(expected - s.verified - s.acknowledged - s.rejected, 0)


def decision_window(
    *, using: str = DEFAULT_DB_ALIAS, province_code: str | None = None
) -> dict[str, tuple[int, int]]:
    """Per province: (final decisions, verifier-days) in the last 7 days; one query.

    Read from the audit trail (one event per decision, with the verifier and their province),
    through its index on (action, at, province_code).
    """
    since = timezone.now() - dt.timedelta(days=forecast.WINDOW_DAYS)
    params: list[Any] = [list(FINAL_DECISIONS), settings.TIME_ZONE, list(DECISIONS), since]
    where = ""
    if province_code is not None:
        where = " AND province_code = %s"
        params.append(province_code)
    sql = f"""
    SELECT province_code,
           count(*) FILTER (WHERE action = ANY(%s)) AS decided,
           count(DISTINCT (user_id, (at AT TIME ZONE %s)::date)) AS verifier_days
      FROM {AuditEvent._meta.db_table}
     WHERE action = ANY(%s) AND at >= %s{where}
     GROUP BY province_code
    """  # noqa: S608 - only names from model meta; values are params
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return {code: (decided, days) for code, decided, days in cursor.fetchall()}


def forecasts_of(
    rows: list[ProvinceRow], *, using: str = DEFAULT_DB_ALIAS, province_code: str | None = None
) -> dict[str, forecast.Forecast]:
    """A forecast per province row, from its summary and the decisions of the last 7 days.

    `province_code` narrows the one query to a single province (its page).
    """
    window = decision_window(using=using, province_code=province_code)
    today, end = timezone.localdate(), deadline()
    return {
        row.province.code: forecast.Forecast(
            remaining=remaining_of(row),
            decided=window.get(row.province.code, (0, 0))[0],
            verifier_days=window.get(row.province.code, (0, 0))[1],
            today=today,
            deadline=end,
        )
        for row in rows
    }


def _burndown(queryset: QuerySet[DailySnapshot]) -> tuple[list[dt.date], list[int]]:
    """Records remaining to decide on each day of the snapshots (today's estimates)."""
    since = timezone.localdate() - dt.timedelta(days=TREND_DAYS)
    expected = Greatest(
        Coalesce(F("province__compilation__estimated_residents"), Value(0)), F("residents")
    )
    points = (
        queryset.filter(day__gte=since)
        .values("day")
        .annotate(
            remaining=Sum(
                Greatest(expected - F("verified") - F("acknowledged") - F("rejected"), Value(0))
            )
        )
        .order_by("day")
    )
    return [p["day"] for p in points], [p["remaining"] for p in points]


def dashboard_for(*, user: User, sort: str = "code", descending: bool = False) -> Dashboard:
    """The HQ dashboard: 25 rows, headline, chart data, in a constant number of queries.

    Read from the standby when it is fresh enough (core/db_router.py): the figures are the
    nightly and on-change summaries, a few seconds behind costs nothing, and the primary is kept
    for the officers' writes.
    """
    require_hq(user)
    return Dashboard(
        sort=sort if sort in SORT_KEYS else "code",
        descending=descending,
        using=db_router.database_for_reports(),
    )


# --- Charts ------------------------------------------------------------------------------------


def nationality_chart(nationalities: list[tuple[str, str, int]]) -> str:
    shown = nationalities[:NATIONALITIES_SHOWN]
    bars = [charts.Bar(label=name, value=n) for _code, name, n in shown]
    rest = sum(n for _c, _name, n in nationalities[NATIONALITIES_SHOWN:])
    if rest:
        bars.append(charts.Bar(label=_("Other nationalities"), value=rest))
    return charts.bar_chart(bars, title=_("Residents by nationality"))


def progress_chart(rows: list[ProvinceRow]) -> str:
    bars = [
        charts.Bar(
            label=r.province.name,
            value=r.percent,
            behind=r.percent_entered,
            note=f"{r.percent}%" if r.compilation.estimated_residents else _("no estimate"),
        )
        for r in rows
    ]
    return charts.bar_chart(bars, title=_("Progress per province"), maximum=100, width=960)


def trend_chart(days: list[dt.date], verified: list[int], cards: list[int]) -> str:
    return charts.line_chart(
        days,
        [
            charts.Series(_("Verified records"), verified),
            charts.Series(_("Cards issued"), cards),
        ],
        title=_("Daily trend"),
    )


def burndown_chart(days: list[dt.date], remaining: list[int], outlook: forecast.Forecast) -> str:
    """Remaining records per day, today's figure, and the projection to the finish."""
    # Today's point is the live summary's, whatever today's snapshot said.
    if days and days[-1] == outlook.today:
        days, remaining = days[:-1], remaining[:-1]
    finish = outlook.finish
    if finish is None:
        projection = _("No projection: no record was verified or rejected in the last 7 days.")
    else:
        projection = _("Projected finish: %(date)s.") % {"date": f"{finish:%d-%m-%Y}"}
    description = _(
        "Records still to decide, per day, against the deadline of %(deadline)s. "
        "Today: %(remaining)s. %(projection)s"
    ) % {
        "deadline": f"{outlook.deadline:%d-%m-%Y}",
        "remaining": outlook.remaining,
        "projection": projection,
    }
    return charts.burndown_chart(
        [*days, outlook.today],
        [*remaining, outlook.remaining],
        finish=finish,
        deadline=outlook.deadline,
        title=_("Burn-down: records still to decide"),
        description=description,
        labels=(_("Remaining"), _("Projection"), _("Deadline")),
    )


# --- One province ---


def pending_records_in(province: Province) -> int:
    """Count the province's records not yet through verification (live, never the summary).

    Pending: current residents with a declaration in draft, submitted or returned, or without
    any declaration; the residents list filtered on "not verified yet" shows exactly these.
    """
    return residents_selectors.pending_residents(
        Resident.objects.current().filter(province=province)
    ).count()


# --- One province ------------------------------------------------------------------------------


def province_get_for(*, user: User, code: str) -> Province:
    """The province, with its compilation and summary, if the user may see it; else 404."""
    provinces = Province.objects.select_related(
        "compilation",
        "compilation__submitted_by",
        "compilation__signed_off_by",
        "compilation__returned_by",
        "summary",
    )
    province = access.get_in_scope(provinces, user, path="code", code=code)
    if not (is_hq(user) or access.can(user, Capability.PROVINCE_READ)):
        raise NotAllowed()
    return province


@dataclass
class BacklogBucket:
    low: int
    high: int | None
    count: int


@dataclass
class ProvincePage:
    row: ProvinceRow
    districts: list[DistrictSummary]
    backlog: list[BacklogBucket]
    oldest_submitted: dt.datetime | None
    pending: int
    changed_count: int
    changed_residents: list[ChangedResident]
    events: list[ProvinceListEvent]
    renewals_due_count: int
    renewals_due: list[object]
    imports: list[ImportBatch] | None
    nationalities: list[tuple[str, str, int]]
    trend_days: list[dt.date] = field(default_factory=list)
    trend_verified: list[int] = field(default_factory=list)
    trend_cards: list[int] = field(default_factory=list)
    forecast: forecast.Forecast | None = None
    burndown_days: list[dt.date] = field(default_factory=list)
    burndown_remaining: list[int] = field(default_factory=list)

    def charts(self) -> dict[str, str]:
        return {
            "nationality": nationality_chart(self.nationalities),
            "trend": trend_chart(self.trend_days, self.trend_verified, self.trend_cards),
            "burndown": (
                burndown_chart(self.burndown_days, self.burndown_remaining, self.forecast)
                if self.forecast is not None
                else ""
            ),
        }


def _backlog(province: Province) -> tuple[list[BacklogBucket], dt.datetime | None]:
    """Submitted declarations waiting for a verifier, by days since submission (one query)."""
    now = timezone.now()
    aggregates: dict[str, object] = {"oldest": Min("submitted_at")}
    for i, (low, high) in enumerate(BACKLOG_BUCKETS):
        # As the verification queue's age filters count (its older_than / newer_than).
        condition = Q(submitted_at__lt=now - dt.timedelta(days=low))
        if high is not None:
            condition &= Q(submitted_at__gte=now - dt.timedelta(days=high + 1))
        aggregates[f"b{i}"] = Count("id", filter=condition)
    figures = Declaration.objects.filter(
        resident__province=province,
        resident__residence_ended_on__isnull=True,  # in no work queue
        status=Declaration.Status.SUBMITTED,
    ).aggregate(**aggregates)
    buckets = [
        BacklogBucket(low=low, high=high, count=figures[f"b{i}"])
        for i, (low, high) in enumerate(BACKLOG_BUCKETS)
    ]
    return buckets, figures["oldest"]


def province_page_for(*, user: User, code: str) -> ProvincePage:
    """Everything the province page shows; live only where it must be exact (backlog, changes)."""
    province = province_get_for(user=user, code=code)
    row = _row_of(province)
    districts = list(
        DistrictSummary.objects.filter(province=province)
        .filter(Q(district__province=province) | Q(residents__gt=0))
        .select_related("district")
        .order_by("district__code")
    )
    backlog, oldest = _backlog(province)
    changed_count, changed = 0, []
    signed_off_at = row.compilation.signed_off_at
    if row.compilation.is_held and signed_off_at:
        changed_qs = (
            Resident.objects.filter(province=province)
            .filter(Q(updated_at__gt=signed_off_at) | Q(declarations__updated_at__gt=signed_off_at))
            .annotate(last_change=Max("declarations__updated_at"))
            .distinct()
        )
        changed_count = changed_qs.count()
        changed = list(changed_qs.order_by("-updated_at")[:10])
    due = ResidenceCard.objects.in_province(province.code).renewable_on(timezone.localdate())
    renewals_count = due.count()
    renewals = list(due.select_related("resident").order_by("expiry_date", "id")[:10])
    imports = list(
        ImportBatch.objects.filter(province=province)
        .select_related("created_by")
        .order_by("-created_at")[:5]
    )
    days, verified, cards = _trend(DailySnapshot.objects.filter(province=province))
    burndown_days, burndown_remaining = _burndown(DailySnapshot.objects.filter(province=province))
    return ProvincePage(
        row=row,
        districts=districts,
        backlog=backlog,
        oldest_submitted=oldest,
        pending=pending_records_in(province),
        changed_count=changed_count,
        changed_residents=changed,
        events=list(
            ProvinceListEvent.objects.filter(province=province).select_related("actor")[:50]
        ),
        renewals_due_count=renewals_count,
        renewals_due=renewals,
        imports=imports,
        nationalities=_nationalities(NationalitySummary.objects.filter(province=province)),
        trend_days=days,
        trend_verified=verified,
        trend_cards=cards,
        forecast=forecasts_of([row], province_code=province.code)[province.code],
        burndown_days=burndown_days,
        burndown_remaining=burndown_remaining,
    )


# --- Throughput --------------------------------------------------------------------------------

THROUGHPUT_DAYS = 7
THROUGHPUT_WEEKS = 4


@dataclass
class ThroughputRow:
    """One person's counts: per day (the last 7, oldest first) and per week (Monday to Sunday)."""

    user_id: int | None
    name: str
    province_code: str
    days: list[int]
    weeks: list[int]

    @property
    def total(self) -> int:
        return sum(self.weeks)


@dataclass
class Throughput:
    province: Province | None  # None: every province (HQ)
    days: list[dt.date]
    weeks: list[dt.date]  # each week's Monday, oldest first; the last is this week
    decisions: list[ThroughputRow]
    entries: list[ThroughputRow]


def _rows_by_person(
    counts: list[tuple[int | None, str, str, dt.date, int]],
    days: list[dt.date],
    weeks: list[dt.date],
) -> list[ThroughputRow]:
    """Fold (user, name, province, day, count) into one row per person, busiest first."""
    rows: dict[tuple[int | None, str], ThroughputRow] = {}
    for user_id, name, province_code, day, count in counts:
        row = rows.setdefault(
            (user_id, province_code),
            ThroughputRow(user_id, name, province_code, [0] * len(days), [0] * len(weeks)),
        )
        if day >= days[0]:
            row.days[(day - days[0]).days] += count
        row.weeks[(day - weeks[0]).days // 7] += count
    return sorted(rows.values(), key=lambda r: (-r.total, r.name))


def throughput_for(*, user: User, code: str | None = None) -> Throughput:
    """Decisions per verifier and records entered per officer, per day and per week.

    Two grouped queries whatever the numbers of people and days: the decisions from the audit
    trail (one event per verify, return or reject, through its (action, at, province) index), the
    records entered from the residents (their maker and `created_at`, indexed). A province's chief
    (the verifier) sees their province, HQ every province or one; others are refused.
    """
    province = None
    if code is not None:
        province = province_get_for(user=user, code=code)
    elif user.province_id:
        raise NotAllowed()
    access.require(user, Capability.THROUGHPUT_READ)
    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in range(THROUGHPUT_DAYS - 1, -1, -1)]
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday - dt.timedelta(weeks=n) for n in range(THROUGHPUT_WEEKS - 1, -1, -1)]
    since = min(days[0], weeks[0])
    tz = settings.TIME_ZONE
    start = dt.datetime.combine(since, dt.time.min, tzinfo=timezone.get_current_timezone())
    audit_table, resident_table = AuditEvent._meta.db_table, Resident._meta.db_table
    user_table = User._meta.db_table
    decision_params: list[Any] = [tz, list(DECISIONS), start]
    entry_params: list[Any] = [tz, start]
    decision_where = entry_where = ""
    if province is not None:
        decision_where, entry_where = " AND a.province_code = %s", " AND r.province_id = %s"
        decision_params.append(province.code)
        entry_params.append(province.code)
    decisions_sql = f"""
    SELECT a.user_id, a.username, a.province_code, (a.at AT TIME ZONE %s)::date AS day, count(*)
      FROM {audit_table} a
     WHERE a.action = ANY(%s) AND a.at >= %s{decision_where}
     GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - only names from model meta; values are params
    entries_sql = f"""
    SELECT r.created_by_id, u.username, r.province_id,
           (r.created_at AT TIME ZONE %s)::date AS day, count(*)
      FROM {resident_table} r JOIN {user_table} u ON u.id = r.created_by_id
     WHERE r.created_at >= %s{entry_where}
     GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - only names from model meta; values are params
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(decisions_sql, decision_params)
        decisions = cursor.fetchall()
        cursor.execute(entries_sql, entry_params)
        entries = cursor.fetchall()
    return Throughput(
        province=province,
        days=days,
        weeks=weeks,
        decisions=_rows_by_person(decisions, days, weeks),
        entries=_rows_by_person(entries, days, weeks),
    )
