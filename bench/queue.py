"""The verification queue at scale: filtered, searched and paged, first page against the deepest.

Figures, each against a baseline measured in the same run on the same data:
- the queue's page (keyset), the first page against the last one (the deepest page; goal: last
  <= 1.2x first), and the same deep page read with OFFSET (the Paginator the queue used before);
- the queue filtered (district, basis, no likely duplicate, waiting more than 7 days) and searched
  (name with a typo, passport number by blind index): p50/p95 (goal p95 <= 100 ms);
- the counts per filter shown next to the list, on their own (they read the whole queue).

Two scopes: HQ's (every province: the whole table, BENCH_RESIDENTS declarations, default
1,000,000, all submitted) and the Phnom Penh verifier's (their province's share).
Database: gdi_ims_bench_queue on the DATABASE_URL server (127.0.0.1 only), loaded like
bench.residents (kept between runs, only the missing rows added).
"""

from __future__ import annotations

import os
import random
import statistics

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
    from residents import selectors
    from residents.selectors import QueueFilters

    rng = random.Random(2026)
    queued = selectors.verification_candidates_for(user=user, filters=QueueFilters()).count()
    print(f"\n--- {label}: {queued:,} in the queue ---")

    warm: set[QueueFilters] = set()

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
    cases = {
        "district 1201": lambda: page(QueueFilters(district="1201")),
        "basis (marriage)": lambda: page(QueueFilters(basis=basis)),
        "no likely duplicate": lambda: page(QueueFilters(flags="none")),
        "waiting more than 7 days": lambda: page(QueueFilters(older_than=7)),
        "district + basis, newest first": lambda: page(
            QueueFilters(district="1201", basis=basis, sort="newest")
        ),
        "by name": lambda: page(QueueFilters(sort="name")),
    }
    for name, fn in cases.items():
        print(_line(f"filter: {name}", _timed(fn, REPEAT)))
    typos = iter([_typo(n, rng) for n in names] * 2)
    print(
        _line("search: name, one typo", _timed(lambda: page(QueueFilters(q=next(typos))), REPEAT))
    )
    passports = iter(numbers * 2)
    print(
        _line(
            "search: passport number",
            _timed(lambda: page(QueueFilters(passport=next(passports))), REPEAT),
        )
    )
    counts = _timed(lambda: selectors.queue_counts_for(user=user, filters=QueueFilters()), 5)
    print(_line("counts per filter (the whole queue)", counts))
    print(f"{'p95 of the first page':<46} {_p(first, 0.95):8.1f} ms")
