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
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts import access
from accounts.models import User
from residents.keyset import decode_cursor, encode_cursor
from residents.models import Declaration, LikelyDuplicate, Resident, TravelDocument, search_name_of


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
    sort: str = ""  # the queue's own default when empty


QUEUE_PAGE_SIZE = 50
AGE_BUCKETS = (7, 30)
QUEUE_COUNTS_SECONDS = 30
SORTS = ("oldest", "newest", "name")


@dataclass
class QueuePage:
    items: list[Any]
    total: int
    counts: dict[str, Any]
    filters: QueueFilters
    next_cursor: str = ""
    prev_cursor: str = ""
    first: bool = True
    last: bool = True


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

    # --- Filtering ---------------------------------------------------------------------------
    def candidates(self, *, user: User, filters: QueueFilters) -> QuerySet:
        """The queue's rows the user may see, filtered; not ordered (see `ordered`)."""
        from residents.selectors import _cards_numbered

        rows = self.rows(user)
        if filters.province and user.is_national:
            rows = rows.filter(resident__province_id=filters.province)
        name = search_name_of(filters.q)
        if name:
            rows = rows.filter(resident__search_name__trigram_word_similar=name)
        if filters.passport.strip():
            rows = rows.filter(
                Exists(
                    TravelDocument.objects.filter(
                        resident=OuterRef("resident_id"),
                        number_index=TravelDocument.index_of(filters.passport),
                    )
                )
            )
        if filters.card.strip():
            rows = rows.filter(Exists(_cards_numbered(filters.card, "resident_id")))
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
        return rows

    # --- Order and keyset --------------------------------------------------------------------
    def sort_of(self, filters: QueueFilters) -> str:
        return filters.sort if filters.sort in SORTS else self.default_sort

    def columns(self, filters: QueueFilters) -> tuple[tuple[str, str], ...]:
        """The sort key as (table, column) pairs, all one way: one row comparison seeks."""
        if self.sort_of(filters) == "name":
            return (("resident", "search_name"), ("row", "id"))
        return (("row", self.moment), ("row", "id"))

    def _descending(self, filters: QueueFilters, backwards: bool) -> bool:
        return (self.sort_of(filters) == "newest") != backwards

    def ordered(
        self, rows: QuerySet, filters: QueueFilters, *, backwards: bool = False
    ) -> QuerySet:
        sign = "-" if self._descending(filters, backwards) else ""
        names = [("resident__" if t == "resident" else "") + c for t, c in self.columns(filters)]
        return rows.order_by(*[sign + n for n in names])

    def key_of(self, row: Any, filters: QueueFilters) -> list[Any]:
        values: list[Any] = []
        for table, column in self.columns(filters):
            value = getattr(row.resident if table == "resident" else row, column)
            values.append(value.isoformat() if isinstance(value, dt.datetime) else value)
        return values

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
        operator = ("<" if self._descending(filters, backwards) else ">") + (
            "=" if inclusive else ""
        )
        tables = {"row": self.model._meta.db_table, "resident": Resident._meta.db_table}
        columns = ", ".join(f'"{tables[t]}"."{c}"' for t, c in self.columns(filters))
        placeholders = ", ".join(["%s"] * len(values))
        if any(t == "resident" for t, _c in self.columns(filters)):
            rows = rows.filter(resident__isnull=False)  # joins the resident table
        return rows.extra(where=[f"({columns}) {operator} ({placeholders})"], params=values)  # noqa: S610

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
        return [moment.isoformat(), 0]

    # --- Counts and pages --------------------------------------------------------------------
    def counts(self, *, user: User, filters: QueueFilters) -> dict[str, Any]:
        """How many rows each filter would show, the others kept: a fixed five queries."""
        now = timezone.now()
        base = self.candidates(user=user, filters=filters)
        flagged = Exists(LikelyDuplicate.objects.open().filter(resident=OuterRef("resident_id")))
        totals = base.aggregate(
            total=Count("id"),
            **{
                f"older_than_{days}": Count(
                    "id", filter=Q(**{f"{self.moment}__lt": now - dt.timedelta(days)})
                )
                for days in AGE_BUCKETS
            },
        )
        flags = self.candidates(user=user, filters=_without(filters, "flags")).aggregate(
            open=Count("id", filter=flagged), none=Count("id", filter=~flagged)
        )

        def facet(name: str, path: str, label: str, label_km: str = "") -> list[dict[str, Any]]:
            rows = (
                self.candidates(user=user, filters=_without(filters, name))
                .values(value=F(path), label=F(label), label_km=F(label_km or label))
                .annotate(count=Count("id"))
                .order_by("label")
            )
            return list(rows)

        return {
            **totals,
            "flags": flags,
            "districts": facet(
                "district",
                "resident__address_district_id",
                "resident__address_district__name_en",
                "resident__address_district__name_km",
            ),
            "bases": facet(
                "basis", f"{self.basis}_id", f"{self.basis}__name_en", f"{self.basis}__name_km"
            )
            if self.basis
            else [],
            "makers": facet("maker", f"{self.maker}_id", f"{self.maker}__username"),
        }

    def cached_counts(self, *, user: User, filters: QueueFilters) -> dict[str, Any]:
        """The counts, kept a few seconds per user, queue and filter (paging pays them once)."""
        digest = hashlib.sha256(repr(filters).encode()).hexdigest()[:32]
        key = f"queue-counts:{self.name}:{user.pk}:{digest}"
        counts = cache.get(key)
        if counts is None:
            counts = self.counts(user=user, filters=filters)
            cache.set(key, counts, QUEUE_COUNTS_SECONDS)
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
        rows = (
            self.candidates(user=user, filters=filters)
            .select_related(*self.related, *self.extra_related)
            .annotate(
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
        )
        keys = tuple((column, False) for _table, column in self.columns(filters))
        backwards = last
        cursor = decode_cursor(after, keys)
        if cursor is None and (cursor := decode_cursor(before, keys)) is not None:
            backwards = True
        if cursor is None and not last:
            cursor = self._jump(filters, start)
        if cursor is not None:
            rows = self.seek(rows, filters, cursor, backwards=backwards)
        found = list(self.ordered(rows, filters, backwards=backwards)[: page_size + 1])
        has_more = len(found) > page_size
        found = found[:page_size]
        if backwards:
            found.reverse()
        counts = self.cached_counts(user=user, filters=filters)
        page = QueuePage(items=found, total=counts["total"], counts=counts, filters=filters)
        if found:
            more_after = has_more if not backwards else (cursor is not None and not last)
            more_before = (cursor is not None) if not backwards else has_more
            if more_after:
                page.next_cursor = encode_cursor(self.key_of(found[-1], filters))
            if more_before:
                page.prev_cursor = encode_cursor(self.key_of(found[0], filters))
            page.first, page.last = not more_before, not more_after
        return page


def _without(filters: QueueFilters, name: str) -> QueueFilters:
    cleared: Any = None if name in ("batch", "maker", "basis") else ""
    return replace(filters, **{name: cleared})


# --- The queues ------------------------------------------------------------------------------
def _declarations(user: User) -> QuerySet[Declaration]:
    # A resident whose residence ended (residents.endings) is in no work queue.
    declarations = Declaration.objects.filter(resident__residence_ended_on__isnull=True)
    return access.scope(declarations, user, "resident__province_id")


VERIFICATION = Queue(
    name="verification",
    model=Declaration,
    # Submitted declarations of the user's province made by someone else (maker-checker).
    rows=lambda user: (
        _declarations(user).filter(status=Declaration.Status.SUBMITTED).exclude(created_by=user)
    ),
    moment="submitted_at",
    extra_related=("claimed_by",),
)
ACKNOWLEDGEMENT = Queue(
    name="acknowledgement",
    model=Declaration,
    rows=lambda user: _declarations(user).filter(status=Declaration.Status.VERIFIED),
    moment="reviewed_at",
    extra_related=("resident__province", "reviewed_by"),
)
RETURNED = Queue(
    name="returned",
    model=Declaration,
    # The declarations the verifiers sent back to this officer, newest first by default.
    rows=lambda user: _declarations(user).filter(
        status=Declaration.Status.RETURNED, created_by=user
    ),
    moment="reviewed_at",
    default_sort="newest",
    extra_related=("reviewed_by",),
)
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
