"""The verification queue at scale: filtered, searched and paged, first page against the deepest.

Figures, each against a baseline measured in the same run on the same data:
- the queue's page (keyset), the first page against the last one (the deepest page; goal: last
  <= 1.2x first), and the same deep page read with OFFSET (the Paginator the queue used before);
- the queue filtered (district, basis, no likely duplicate, waiting more than 7 days) and searched
  (name with a typo, passport number by blind index): p50/p95 (goal p95 <= 100 ms);
- each filter's deepest page against its first (goal <= 1.2x);
- the counts per filter shown next to the list, on their own: one grouped pass over the queue
  against one plain count of it (the cheapest exact figure), and a facet click read from the kept
  pass;
- a search's first screen, its counts included (a new search is counted once).

Two scopes: HQ's (every province: the whole table, BENCH_RESIDENTS declarations, default
1,000,000, all submitted) and the Phnom Penh verifier's (their province's share).
Database: gdi_ims_bench_queue on the DATABASE_URL server (127.0.0.1 only), loaded like
bench.residents (kept between runs, only the missing rows added); BENCH_DB_SUFFIX gives a checkout
a database of its own.
"""

from __future__ import annotations

import os
import random
import statistics
from typing import Any

from bench._common import setup_django_on
from bench.residents import _line, _load, _p, _timed, _typo

BENCH_DB = "gdi_ims_bench_queue"
REPEAT = 30


def main() -> None:
    count = int(os.environ.get("BENCH_RESIDENTS", "1000000"))
    setup_django_on(BENCH_DB)
    from django.db import connection

    from accounts.models import User
    from demo.users import seed_users
    from residents.models import Declaration, ResidenceBasis, Resident, TravelDocument

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    _load(count)
    with connection.cursor() as cursor:
        # Every declaration waits for verification, submitted over the last 60 days.
        cursor.execute(
            "UPDATE residents_declaration SET status = 'submitted', "
            "submitted_at = now() - (id % 86400) * interval '1 minute', "
            "claimed_by_id = NULL, claimed_until = NULL "
            "WHERE status <> 'submitted' OR submitted_at IS NULL"
        )
        if cursor.rowcount:
            cursor.execute("VACUUM ANALYZE residents_declaration")
    director = User.objects.get(username="director")
    verifier = User.objects.get(username="verifier_pp")
    total = Declaration.objects.count()
    print(f"data: {total:,} submitted declarations (BENCH_RESIDENTS={count:,})")
    sample = list(
        Resident.objects.filter(province_id="12")
        .order_by("?")
        .values_list("pk", flat=True)[:REPEAT]
    )
    names = list(Resident.objects.filter(pk__in=sample).values_list("search_name", flat=True))
    numbers = [d.number for d in TravelDocument.objects.filter(resident__in=sample)]
    basis = ResidenceBasis.objects.get(code="marriage").pk

    for label, user in (("HQ, every province", director), ("Phnom Penh verifier", verifier)):
        _measure(label, user, names=names, numbers=numbers, basis=basis)


def _measure(label: str, user: object, *, names: list[str], numbers: list[str], basis: int) -> None:
    from django.core.cache import cache

    from residents import selectors
    from residents.selectors import QueueFilters

    rng = random.Random(2026)
    queued = selectors.verification_candidates_for(user=user, filters=QueueFilters()).count()
    print(f"\n--- {label}: {queued:,} in the queue ---")

    warm: set[QueueFilters] = set()

    def screen(filters: QueueFilters) -> object:
        # The whole screen: the page with its counts (kept for a minute once counted).
        return selectors.verification_queue_for(user=user, filters=filters, page_size=50)

    def page(filters: QueueFilters, **kwargs: object) -> object:
        # The queue's page as the screen reads it, its counts already kept (timed apart below).
        if filters not in warm:
            selectors.verification_queue_for(user=user, filters=filters, page_size=50)
            warm.add(filters)
        return selectors.verification_queue_for(
            user=user, filters=filters, last=bool(kwargs.get("last")), page_size=50
        )

    first = _timed(lambda: page(QueueFilters()), REPEAT)
    last = _timed(lambda: page(QueueFilters(), last=True), REPEAT)
    deep_offset = max(queued - 50, 0)

    def by_offset() -> object:
        ordered = selectors.queue_ordered(
            selectors.verification_candidates_for(user=user, filters=QueueFilters()),
            QueueFilters(),
        )
        return list(ordered.select_related("resident", "basis", "created_by")[deep_offset:][:50])

    offset = _timed(by_offset, 5)
    print(_line("first page (keyset)", first))
    print(_line("last page (keyset, the deepest)", last))
    print(_line(f"same last page by OFFSET {deep_offset:,}", offset))
    print(
        f"{'ratio last / first (goal <= 1.2)':<46} "
        f"{statistics.median(last) / statistics.median(first):8.2f}"
    )
    cursor_after = selectors.verification_queue_for(user=user, page_size=50).next_cursor
    nxt = _timed(
        lambda c=cursor_after: selectors.verification_queue_for(user=user, after=c, page_size=50),
        5,
    )
    print(_line("second page with its counts (whole screen)", nxt))
    filtered = {
        "district 1201": QueueFilters(district="1201"),
        "basis (marriage)": QueueFilters(basis=basis),
        "no likely duplicate": QueueFilters(flags="none"),
        "waiting more than 7 days": QueueFilters(older_than=7),
        "district + basis, newest first": QueueFilters(district="1201", basis=basis, sort="newest"),
        "by name": QueueFilters(sort="name"),
    }
    for name, filters in filtered.items():
        top = _timed(lambda f=filters: page(f), REPEAT)
        deepest = _timed(lambda f=filters: page(f, last=True), REPEAT)
        print(_line(f"filter: {name}", top))
        print(_line(f"  its deepest page (ratio {_ratio(deepest, top):.2f}, goal <= 1.2)", deepest))
    # A search is a new filter: its first screen pays its counts too (timed apart, then with).
    typos = [_typo(n, rng) for n in names]
    for label, searches in (
        ("search: name, one typo", [QueueFilters(q=t) for t in typos]),
        ("search: passport number", [QueueFilters(passport=n) for n in numbers]),
    ):
        for filters in searches:
            page(filters)
        print(_line(label, _timed(_each(page, searches), len(searches))))
        cache.clear()
        screens = _timed(_each(screen, searches), len(searches))
        print(_line(f"  {label.split(': ')[1]}, first screen with its counts", screens))

    # Counts: the grouped pass that answers every facet, against the plainest exact figure (one
    # count of the whole queue), and a facet click read from the kept pass.
    plain = _timed(
        lambda: selectors.verification_candidates_for(user=user, filters=QueueFilters()).count(),
        5,
    )
    counts = _timed(lambda: selectors.queue_counts_for(user=user, filters=QueueFilters()), 5)
    print(_line("baseline: one count of the whole queue", plain))
    print(_line("counts per filter (one grouped pass)", counts))
    print(f"{'ratio counts / one count':<46} {_ratio(counts, plain):8.2f}")
    screen(QueueFilters())
    clicks = [QueueFilters(district="1201"), QueueFilters(basis=basis), QueueFilters(older_than=30)]
    print(_line("a facet click, counts kept (whole screen)", _timed(_each(screen, clicks * 5), 15)))
    print(f"{'p95 of the first page':<46} {_p(first, 0.95):8.1f} ms")


def _ratio(times: list[float], baseline: list[float]) -> float:
    return statistics.median(times) / statistics.median(baseline)


def _each(fn: Any, items: list[Any]) -> Any:
    """A function that calls `fn` with the next item at each call."""
    it = iter(items)
    return lambda: fn(next(it))
