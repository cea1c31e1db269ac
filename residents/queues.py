"""The work queues: verification, acknowledgement, returned-to-me, likely duplicates (and, in the
cards app, cards due), all read by one engine.

Each queue is a `Queue`: which rows it holds for a user (a state, in the user's scope), the moment
a row entered it, and where its resident, maker and basis are. The engine adds what every queue
has: search by name, passport or card number; filters (district, commune, import batch, maker,
basis, likely duplicates, age in the queue); sorts; counts per filter; keyset pages that cost the
same at any depth, with jumps to a day or a name; filters that travel in the URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from accounts import access
from accounts.models import User
from core import keyset
from core.keyset import Key
from provinces.models import District
from residents.models import (
    SEARCH_NAME_MAX,
    Declaration,
    LikelyDuplicate,
    ResidenceBasis,
    search_name_of,
)


@dataclass(frozen=True)
class QueueFilters:
    """What a user narrows a queue to; every field travels in the URL."""

    q: str = ""
    passport: str = ""
    card: str = ""
    province: str = ""  # national users only
    district: str = ""
    commune: str = ""
    batch: int | None = None
    maker: int | None = None
    basis: int | None = None
    flags: str = ""  # "open": with likely duplicates to decide; "none": without
    older_than: int | None = None  # days in the queue
    newer_than: int | None = None  # fewer days in the queue than this (a backlog bucket's end)
    sort: str = ""  # the queue's own default when empty


QUEUE_PAGE_SIZE = 50
AGE_BUCKETS = (7, 30)
QUEUE_COUNTS_SECONDS = 60
SORTS = ("oldest", "newest", "name")


@dataclass
class QueuePage(keyset.Page[Any]):
    total: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    filters: QueueFilters = field(default_factory=QueueFilters)


@dataclass(frozen=True)
class Queue:
    """One work queue: its rows for a user, and where the engine finds what it filters on."""

    name: str
    model: type[models.Model]
    rows: Callable[[User], QuerySet]  # the queue's rows the user may see (not filtered further)
    moment: str  # when a row entered the queue: the age filter and the date sorts
    maker: str = "created_by"
    basis: str | None = "basis"
    default_sort: str = "oldest"
    related: tuple[str, ...] = ("resident", "resident__address_district", "basis", "created_by")
    extra_related: tuple[str, ...] = field(default_factory=tuple)
    # The columns the queue's page shows (its rows, its sort keys), of the row and of `related`;
    # empty: every column. Fifty rows of six whole records cost a page more in reading and
    # building objects than its query; a column left out is read again per row when used.
    columns: tuple[str, ...] = ()

    # --- Filtering ---------------------------------------------------------------------------
    def candidates(self, *, user: User, filters: QueueFilters) -> QuerySet:
        """The queue's rows the user may see, filtered; not ordered (see `ordered`)."""
        from residents.selectors import narrowed_by_search

        rows = self.rows(user)
        if filters.province and user.is_national:
            rows = rows.filter(resident__province_id=filters.province)
        rows = narrowed_by_search(
            rows, q=filters.q, passport=filters.passport, card=filters.card, resident="resident"
        )
        if filters.district:
            rows = rows.filter(resident__address_district_id=filters.district)
        if filters.commune:
            rows = rows.filter(resident__address_commune_id=filters.commune)
        if filters.batch:
            rows = rows.filter(resident__import_record__batch_id=filters.batch)
        if filters.maker:
            rows = rows.filter(**{f"{self.maker}_id": filters.maker})
        if filters.basis and self.basis:
            rows = rows.filter(**{f"{self.basis}_id": filters.basis})
        if filters.flags:
            flagged = Exists(
                LikelyDuplicate.objects.open().filter(resident=OuterRef("resident_id"))
            )
            rows = rows.filter(flagged if filters.flags == "open" else ~flagged)
        if filters.older_than:
            since = timezone.now() - dt.timedelta(days=filters.older_than)
            rows = rows.filter(**{f"{self.moment}__lt": since})
        if filters.newer_than:
            since = timezone.now() - dt.timedelta(days=filters.newer_than)
            rows = rows.filter(**{f"{self.moment}__gte": since})
        return rows

    # --- Order and keyset --------------------------------------------------------------------
    def sort_of(self, filters: QueueFilters) -> str:
        return filters.sort if filters.sort in SORTS else self.default_sort

    def keys(self, filters: QueueFilters) -> tuple[Key, ...]:
        """The sort key, all one way: one row comparison seeks."""
        descending = self.sort_of(filters) == "newest"
        if self.sort_of(filters) == "name":
            name = Key("resident__search_name", "text", max_length=SEARCH_NAME_MAX)
            return (name, Key("id"))
        return (Key(self.moment, "moment", descending), Key("id", descending=descending))

    def ordered(
        self, rows: QuerySet, filters: QueueFilters, *, backwards: bool = False
    ) -> QuerySet:
        return keyset.ordered(rows, self.keys(filters), backwards=backwards)

    def key_of(self, row: Any, filters: QueueFilters) -> list[Any]:
        return keyset.key_of(row, self.keys(filters))

    def seek(
        self,
        rows: QuerySet,
        filters: QueueFilters,
        values: list[Any],
        *,
        backwards: bool = False,
        inclusive: bool = False,
    ) -> QuerySet:
        """The rows after (or before) the row with these key values, in the queue's order."""
        return keyset.seek(
            rows, self.keys(filters), values, backwards=backwards, inclusive=inclusive
        )

    def _jump(self, filters: QueueFilters, start: str) -> list[Any] | None:
        """The key just before the first row of a day (or of a name), or None."""
        start = start.strip()
        if not start:
            return None
        if self.sort_of(filters) == "name":
            name = search_name_of(start)
            return [name, 0] if name else None
        try:
            day = dt.date.fromisoformat(start)
        except ValueError:
            return None
        if self.sort_of(filters) == "newest":
            day += dt.timedelta(days=1)  # newest first: from the end of that day down
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        return [moment, 0]

    # --- Counts and pages --------------------------------------------------------------------
    # The filters the counts are grouped by: one grouped pass over the queue answers every
    # combination of them (each facet keeps the others), so clicking from filter to filter costs
    # no query while the counts are kept. The search and the other filters narrow the pass.
    FACETS = ("district", "basis", "maker", "flags", "older_than")

    def _facet_free(self, filters: QueueFilters) -> QueueFilters:
        """The filters that narrow the grouped pass: all but the facets (an age the links do not
        offer narrows it too)."""
        age = None if filters.older_than in AGE_BUCKETS else filters.older_than
        return replace(filters, district="", basis=None, maker=None, flags="", older_than=age)

    def counts(self, *, user: User, filters: QueueFilters) -> dict[str, Any]:
        """How many rows each filter would show, the others kept: one grouped query.

        The rows are grouped by district, basis, maker, likely duplicates and age in the queue;
        each figure sums the cells, so it is exact as of `counted_at`.
        """
        return _summed(self._cells(user=user, filters=filters), filters, bool(self.basis))

    def _cells(self, *, user: User, filters: QueueFilters) -> dict[str, Any]:
        """The queue grouped by the facets: (district, basis, maker, flagged, age, count) rows,
        the facets' labels, and when it was counted."""
        now = timezone.now()
        older = {days: now - dt.timedelta(days) for days in AGE_BUCKETS}
        base = self.candidates(user=user, filters=self._facet_free(filters))
        flagged = Exists(LikelyDuplicate.objects.open().filter(resident=OuterRef("resident_id")))
        ages = sorted(AGE_BUCKETS, reverse=True)
        age = Case(
            *[When(**{f"{self.moment}__lt": older[d]}, then=Value(d)) for d in ages],
            default=Value(0),
        )
        basis = F(f"{self.basis}_id") if self.basis else Value(None, output_field=IntegerField())
        # Ids only (the labels are read apart, for the few values found): narrow rows group
        # and gather far faster than rows carrying names.
        grouped = (
            base.order_by()
            .values_list(
                F("resident__address_district_id"), basis, F(f"{self.maker}_id"), flagged, age
            )
            .annotate(cell_count=Count("id"))
        )
        with transaction.atomic(), connection.cursor() as cursor:
            # PostgreSQL's JIT compiles a query this size for seconds (ten times what it runs);
            # off for this one query only.
            cursor.execute("SET LOCAL jit = off")
            rows: list[tuple[Any, ...]] = list(grouped)
        return {"rows": rows, "labels": self._labels(rows), "counted_at": now}

    def _labels(self, rows: list[tuple[Any, ...]]) -> dict[str, dict[Any, tuple[Any, Any]]]:
        """The names of the districts, bases and makers found in the cells (English, Khmer)."""
        wanted = {column: {r[column] for r in rows} - {None} for column in (DISTRICT, BASIS, MAKER)}
        districts = District.objects.filter(code__in=wanted[DISTRICT]) if wanted[DISTRICT] else []
        bases = ResidenceBasis.objects.filter(pk__in=wanted[BASIS]) if wanted[BASIS] else []
        makers = User.objects.filter(pk__in=wanted[MAKER]) if wanted[MAKER] else []
        return {
            "district": {None: (None, None)} | {d.code: (d.name_en, d.name_km) for d in districts},
            "basis": {None: (None, None)} | {b.pk: (b.name_en, b.name_km) for b in bases},
            "maker": {None: (None, None)} | {u.pk: (u.username, u.username) for u in makers},
        }

    def cached_counts(self, *, user: User, filters: QueueFilters) -> dict[str, Any]:
        """The counts, kept a minute per user, queue and filters; `counted_at` says how fresh.

        The grouped pass is kept per search (not per facet: it answers them all), so a click
        from facet to facet sums the kept cells instead of counting again.
        """

        def key(kind: str, of: QueueFilters) -> str:
            digest = hashlib.sha256(repr(of).encode()).hexdigest()[:32]
            return f"queue-{kind}:{self.name}:{user.pk}:{digest}"

        counts = cache.get(key("counts", filters))
        if counts is None:
            free = self._facet_free(filters)
            cells = cache.get(key("cells", free))
            if cells is None:
                cells = self._cells(user=user, filters=free)
                cache.set(key("cells", free), cells, QUEUE_COUNTS_SECONDS)
            counts = _summed(cells, filters, bool(self.basis))
            # No longer than the cells it was summed from.
            left = QUEUE_COUNTS_SECONDS - (timezone.now() - cells["counted_at"]).total_seconds()
            cache.set(key("counts", filters), counts, max(1, int(left)))
        return counts

    def page(
        self,
        *,
        user: User,
        filters: QueueFilters | None = None,
        after: str = "",
        before: str = "",
        last: bool = False,
        start: str = "",
        page_size: int = QUEUE_PAGE_SIZE,
    ) -> QueuePage:
        """One page, seeking from a cursor: the last page costs what the first does.

        "Last" reads the queue backwards from its end. A fixed number of queries whatever the
        page: the page, then the counts.
        """
        filters = filters or QueueFilters()
        rows = self.candidates(user=user, filters=filters).select_related(
            *self.related, *self.extra_related
        )
        if self.columns:
            rows = rows.only(*self.columns)
        rows = rows.annotate(
            # A correlated count, read for the page's rows only (a join and GROUP BY would
            # group the whole queue before the LIMIT).
            open_flags=Subquery(
                LikelyDuplicate.objects.open()
                .filter(resident=OuterRef("resident_id"))
                .order_by()
                .values("resident")
                .annotate(count=Count("id"))
                .values("count")[:1]
            )
        )
        found = keyset.paginate(
            rows,
            self.keys(filters),
            after=after,
            before=before,
            last=last,
            start=None if last else self._jump(filters, start),
            page_size=page_size,
        )
        counts = self.cached_counts(user=user, filters=filters)
        return QueuePage(
            items=found.items,
            next_cursor=found.next_cursor,
            prev_cursor=found.prev_cursor,
            total=counts["total"],
            counts=counts,
            filters=filters,
        )


DISTRICT, BASIS, MAKER, FLAGGED, AGE, COUNT = range(6)  # a cell's columns


def _summed(cells: dict[str, Any], filters: QueueFilters, has_basis: bool) -> dict[str, Any]:
    """The counts per filter, summed from the grouped cells: each facet keeps the others."""
    wanted: dict[str, Callable[[tuple[Any, ...]], bool]] = {
        "district": lambda c: not filters.district or c[DISTRICT] == filters.district,
        "basis": lambda c: not (filters.basis and has_basis) or c[BASIS] == filters.basis,
        "maker": lambda c: not filters.maker or c[MAKER] == filters.maker,
        "flags": lambda c: not filters.flags or c[FLAGGED] == (filters.flags == "open"),
        "older_than": lambda c: (
            filters.older_than not in AGE_BUCKETS or c[AGE] >= filters.older_than
        ),
    }
    # Each cell, with the one facet it fails (None: it fails none; cells failing two count
    # nowhere). One pass, whatever the number of facets.
    graded: list[tuple[tuple[Any, ...], str | None]] = []
    for cell in cells["rows"]:
        failed = [name for name, ok in wanted.items() if not ok(cell)]
        if len(failed) <= 1:
            graded.append((cell, failed[0] if failed else None))

    def kept(*, but: str = "") -> list[tuple[Any, ...]]:
        return [cell for cell, failed in graded if failed is None or failed == but]

    def facet(name: str, column: int) -> list[dict[str, Any]]:
        counts: dict[Any, int] = {}
        for cell in kept(but=name):
            counts[cell[column]] = counts.get(cell[column], 0) + cell[COUNT]
        labels = cells["labels"][name]
        rows = [
            {"value": v, "label": labels[v][0], "label_km": labels[v][1], "count": n}
            for v, n in counts.items()
        ]
        return sorted(rows, key=lambda r: (r["label"] is None, r["label"] or ""))

    shown = kept()
    flags = kept(but="flags")
    return {
        "total": sum(c[COUNT] for c in shown),
        **{
            f"older_than_{days}": sum(c[COUNT] for c in shown if c[AGE] >= days)
            for days in AGE_BUCKETS
        },
        "flags": {
            "open": sum(c[COUNT] for c in flags if c[FLAGGED]),
            "none": sum(c[COUNT] for c in flags if not c[FLAGGED]),
        },
        "districts": facet("district", DISTRICT),
        "bases": facet("basis", BASIS) if has_basis else [],
        "makers": facet("maker", MAKER),
        "counted_at": cells["counted_at"],
    }


# --- The queues ------------------------------------------------------------------------------
def _declarations(user: User) -> QuerySet[Declaration]:
    # A resident whose residence ended (residents.endings) is in no work queue.
    declarations = Declaration.objects.filter(resident__residence_ended_on__isnull=True)
    return access.scope(declarations, user, "resident__province_id")


def _names(path: str) -> tuple[str, ...]:
    """The columns of a division's or a basis's name, in both languages."""
    return (f"{path}__name_en", f"{path}__name_km")


def _person(path: str) -> tuple[str, ...]:
    """The columns a user is shown by (`User.__str__`)."""
    return (f"{path}__username", f"{path}__first_name", f"{path}__last_name")


# What every queue's rows show of the resident, and sort by.
_RESIDENT = ("resident__surname", "resident__given_names", "resident__search_name")

VERIFICATION = Queue(
    name="verification",
    model=Declaration,
    # Submitted declarations of the user's province made by someone else (maker-checker).
    rows=lambda user: (
        _declarations(user).filter(status=Declaration.Status.SUBMITTED).exclude(created_by=user)
    ),
    moment="submitted_at",
    extra_related=("claimed_by",),
    columns=("submitted_at", "claimed_until", *_RESIDENT, "resident__date_of_birth",
             *_names("resident__address_district"), *_names("basis"), *_person("created_by"),
             *_person("claimed_by")),
)  # fmt: skip
ACKNOWLEDGEMENT = Queue(
    name="acknowledgement",
    model=Declaration,
    rows=lambda user: _declarations(user).filter(status=Declaration.Status.VERIFIED),
    moment="reviewed_at",
    related=("resident", "resident__province", "basis", "reviewed_by"),
    columns=("reviewed_at", *_RESIDENT, *_names("resident__province"), *_names("basis"),
             *_person("reviewed_by")),
)  # fmt: skip
RETURNED = Queue(
    name="returned",
    model=Declaration,
    # The declarations the verifiers sent back to this officer, newest first by default.
    rows=lambda user: _declarations(user).filter(
        status=Declaration.Status.RETURNED, created_by=user
    ),
    moment="reviewed_at",
    default_sort="newest",
    related=("resident", "reviewed_by"),
    columns=("reviewed_at", "status_reason", *_RESIDENT, *_person("reviewed_by")),
)  # fmt: skip
DUPLICATES = Queue(
    name="duplicates",
    model=LikelyDuplicate,
    # Open flags raised on the province's records; the maker is the flagged record's.
    rows=lambda user: access.scope(
        LikelyDuplicate.objects.open(), user, "resident__province_id"
    ),
    moment="created_at",
    maker="resident__created_by",
    basis=None,
    related=("resident", "resident__address_district", "resident__created_by", "other",
             "other__province"),
)  # fmt: skip


def verification_candidates_for(*, user: User, filters: QueueFilters) -> QuerySet[Declaration]:
    """Submitted declarations of the user's province made by someone else, filtered."""
    return VERIFICATION.candidates(user=user, filters=filters)


def next_candidates_for(
    *, user: User, filters: QueueFilters, after: Declaration | None = None
) -> list[QuerySet[Declaration]]:
    """Where "next" looks, in turn: the queue past the current record, then from its start."""
    candidates = VERIFICATION.candidates(user=user, filters=filters)
    if after is None:
        return [candidates]
    past = VERIFICATION.seek(candidates, filters, VERIFICATION.key_of(after, filters))
    return [past.exclude(pk=after.pk), candidates.exclude(pk=after.pk)]
