"""The other work queues at scale (acknowledgement, returned-to-me, cards due, likely duplicates),
each read by the queue engine: first page against the deepest, filtered and searched.

Figures, each against a baseline measured in the same run on the same data:
- each queue's first and last page (keyset; goal: last <= 1.2x first), and the same deep page
  read with OFFSET (what a Paginator does);
- the queue filtered by district and searched by name (one typo): p50/p95.

The declarations of BENCH_RESIDENTS residents (default 1,000,000) are spread over the states:
a quarter each verified, returned, acknowledged and submitted; one resident in 20 is flagged as
a likely duplicate of the one before. Database: gdi_ims_bench_work_queues on the DATABASE_URL
server (127.0.0.1 only), loaded like bench.residents (kept between runs).
"""

from __future__ import annotations

import os
import random
import statistics

from bench._common import setup_django_on
from bench.residents import _line, _load, _timed, _typo

BENCH_DB = "gdi_ims_bench_work_queues"
REPEAT = 20


def main() -> None:
    count = int(os.environ.get("BENCH_RESIDENTS", "1000000"))
    setup_django_on(BENCH_DB)
    from django.db import connection

    from accounts.models import User
    from demo.users import seed_users
    from residents.models import Declaration, Resident

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    _load(count)
    checker = User.objects.get(username="verifier_sr").pk
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE residents_declaration SET "
            "status = (ARRAY['verified', 'returned', 'acknowledged', 'submitted'])[id %% 4 + 1], "
            "submitted_at = now() - (id %% 86400) * interval '1 minute', "
            "reviewed_at = now() - (id %% 80000) * interval '1 minute', "
            "reviewed_by_id = %s, "
            "status_reason = 'Passport copy unreadable', "
            "acknowledged_at = now() - (id %% 70000) * interval '1 minute' "
            "WHERE reviewed_by_id IS DISTINCT FROM %s",
            [checker, checker],
        )
        changed = cursor.rowcount
        cursor.execute(
            "INSERT INTO residents_likelyduplicate "
            "(resident_id, other_id, similarity, match_kind, status, created_at) "
            "SELECT r.id, r.id - 1, 0.8, '', 'open', now() - (r.id %% 50000) * interval '1 minute' "
            "FROM residents_resident r WHERE r.id %% 20 = 0 "
            "AND EXISTS (SELECT 1 FROM residents_resident o WHERE o.id = r.id - 1) "
            "ON CONFLICT DO NOTHING",
            [],
        )
        if changed or cursor.rowcount:
            cursor.execute("VACUUM ANALYZE residents_declaration")
            cursor.execute("VACUUM ANALYZE residents_likelyduplicate")
    print(f"data: {Declaration.objects.count():,} declarations (BENCH_RESIDENTS={count:,})")
    names = list(
        Resident.objects.filter(province_id="12")
        .order_by("?")
        .values_list("search_name", flat=True)[:REPEAT]
    )
    from cards import selectors as card_selectors
    from residents import queues

    # The officer whose records are returned: the bench data's maker of Phnom Penh.
    maker = User.objects.get(pk=Declaration.objects.filter(resident__province_id="12").values_list(
        "created_by_id", flat=True).first())  # fmt: skip
    cases = [
        ("acknowledgement, HQ (every province)", queues.ACKNOWLEDGEMENT, "director"),
        ("returned to me, the maker", queues.RETURNED, maker.username),
        ("cards due, the national clerk", card_selectors.CARDS_DUE, "clerk"),
        ("likely duplicates, Phnom Penh verifier", queues.DUPLICATES, "verifier_pp"),
    ]
    for label, queue, username in cases:
        _measure(label, queue, User.objects.get(username=username), names)


def _measure(label: str, queue: object, user: object, names: list[str]) -> None:
    from residents.queues import QueueFilters

    rng = random.Random(2026)
    queued = queue.candidates(user=user, filters=QueueFilters()).count()
    print(f"\n--- {label}: {queued:,} in the queue ---")
    warm: set[QueueFilters] = set()

    def page(filters: QueueFilters, *, last: bool = False) -> object:
        if filters not in warm:  # the counts are kept a few seconds: timed apart
            queue.page(user=user, filters=filters, page_size=50)
            warm.add(filters)
        return queue.page(user=user, filters=filters, last=last, page_size=50)

    first = _timed(lambda: page(QueueFilters()), REPEAT)
    last = _timed(lambda: page(QueueFilters(), last=True), REPEAT)
    deep = max(queued - 50, 0)

    def by_offset() -> object:
        rows = queue.ordered(queue.candidates(user=user, filters=QueueFilters()), QueueFilters())
        return list(rows.select_related(*queue.related)[deep:][:50])

    offset = _timed(by_offset, 5)
    print(_line("first page (keyset)", first))
    print(_line("last page (keyset, the deepest)", last))
    print(_line(f"same last page by OFFSET {deep:,}", offset))
    print(
        f"{'ratio last / first (goal <= 1.2)':<46} "
        f"{statistics.median(last) / statistics.median(first):8.2f}"
    )
    print(
        _line("filter: district 1201", _timed(lambda: page(QueueFilters(district="1201")), REPEAT))
    )
    typos = iter([_typo(n, rng) for n in names] * 2)
    print(
        _line("search: name, one typo", _timed(lambda: page(QueueFilters(q=next(typos))), REPEAT))
    )
    counts = _timed(lambda: queue.counts(user=user, filters=QueueFilters()), 3)
    print(_line("counts per filter (the whole queue)", counts))


if __name__ == "__main__":
    main()
