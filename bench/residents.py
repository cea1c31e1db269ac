"""Residents: exact passport look-up, fuzzy name search and deep list pages at scale.

Figures, each against a baseline measured in the same run on the same data:
- exact passport look-up (blind index, the list selector as a view calls it): p50/p95, against the
  same look-up with index scans disabled;
- fuzzy name search (pg_trgm word similarity on the GIN index, one typo in every query): p50/p95,
  against the same queries with bitmap and index scans disabled (goal: >= 10x faster; p95 <= 50 ms
  at 1,000,000 residents, <= 80 ms at 2,000,000), and the same queries in CPU time (this process
  and its database server process), which other load on a shared machine stretches far less;
- the list, first page against the 10,000th page (keyset: goal deep <= 2x first), and the
  10,000th page fetched with OFFSET for comparison.

Size: BENCH_RESIDENTS (default 1,000,000) synthetic residents from demo.residents (same names,
nationalities and provinces as the demo data), each with an encrypted passport and a declaration:
the first BENCH_SEEDED (150,000) made by the demo seeder, the rest copied from them in SQL.
Database: gdi_ims_bench_residents on the DATABASE_URL server (127.0.0.1 only), created and migrated
when missing; the rows are kept between runs and only the missing ones are added.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable

from bench._common import CpuClock, samples, setup_django_on

BENCH_DB = "gdi_ims_bench_residents"
PAGE = 25
DEEP_PAGE = 10_000


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall times in milliseconds."""
    return [t * 1000 for t in samples(fn, repeat)]


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(label: str, times: list[float]) -> str:
    return (
        f"{label:<46} p50 {statistics.median(times):8.1f} ms   p95 {_p(times, 0.95):8.1f} ms"
        f"   (n={len(times)})"
    )


def _typo(name: str, rng: random.Random) -> str:
    """One letter of the longest word replaced: what an officer mistyping a name would send."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) > 3:
        at = rng.randrange(1, len(word) - 1)
        word = word[:at] + rng.choice("AEIOUNRST") + word[at + 1 :]
    words[longest] = word
    return " ".join(words).lower()


# Residents made one by one by demo.residents (names, passports, declarations); beyond this many,
# the register is filled with copies of them made in SQL (see _replicate).
SEEDED = int(os.environ.get("BENCH_SEEDED", "150000"))


def _replicate(cursor: object, count: int) -> None:
    """Fill the register up to `count` residents with copies of the seeded ones, set-based.

    Each copy of resident i (of the first SEEDED) gets the next free id, its declaration and its
    passport (a blind index of its own, so an exact look-up still finds one resident). The
    demo's names come from a pool that a few hundred thousand residents already exhaust (about
    21,000 distinct full names in 150,000), so copies keep the frequencies a larger seeded
    register would have; seeding a million one by one takes more than an hour on a shared
    machine.
    """
    cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM residents_resident")
    existing, top = cursor.fetchone()
    if existing != top or existing < SEEDED:
        raise SystemExit(f"cannot copy: {existing:,} residents with ids up to {top:,}")

    def columns(table: str) -> list[str]:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND column_name <> 'id' ORDER BY ordinal_position",
            [table],
        )
        return [c for (c,) in cursor.fetchall()]

    resident_cols = columns("residents_resident")
    declaration_cols = [c for c in columns("residents_declaration") if c != "resident_id"]
    document_cols = [
        c for c in columns("residents_traveldocument") if c not in ("resident_id", "number_index")
    ]
    joined = ", ".join
    while existing < count:
        # Residents 1 .. rows again, as existing + 1 .. existing + rows.
        rows = min(SEEDED, count - existing)
        cursor.execute("SELECT max(id) FROM residents_declaration")
        (declarations_top,) = cursor.fetchone()
        cursor.execute("SELECT max(id) FROM residents_traveldocument")
        (documents_top,) = cursor.fetchone()
        shifts = {"shift": existing, "rows": rows, "dshift": declarations_top,
                  "tshift": documents_top}  # fmt: skip
        cursor.execute("SELECT set_config('ims.bulk_history', 'on', false)")
        cursor.execute(
            f"INSERT INTO residents_resident (id, {joined(resident_cols)}) OVERRIDING SYSTEM VALUE "
            f"SELECT id + %(shift)s, {joined(resident_cols)} FROM residents_resident "
            "WHERE id <= %(rows)s",
            shifts,
        )
        cursor.execute(
            f"INSERT INTO residents_declaration (id, resident_id, {joined(declaration_cols)}) "
            f"OVERRIDING SYSTEM VALUE SELECT id + %(dshift)s, resident_id + %(shift)s, "
            f"{joined(declaration_cols)} FROM residents_declaration WHERE resident_id <= %(rows)s",
            shifts,
        )
        cursor.execute(
            f"INSERT INTO residents_traveldocument (id, resident_id, number_index, "
            f"{joined(document_cols)}) OVERRIDING SYSTEM VALUE SELECT id + %(tshift)s, "
            f"resident_id + %(shift)s, md5(number_index || %(shift)s::text), "
            f"{joined(document_cols)} FROM residents_traveldocument WHERE resident_id <= %(rows)s",
            shifts,
        )
        cursor.execute("SELECT set_config('ims.bulk_history', 'off', false)")
        existing += rows
        print(f"  {existing:,} (copies)", flush=True)
    for table in ("residents_resident", "residents_declaration", "residents_traveldocument"):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )


def _load(count: int) -> None:
    """Add the missing residents; secondary indexes are dropped for the load and rebuilt after."""
    from django.db import connection

    from demo.residents import seed_residents

    with connection.cursor() as cursor:
        # Definitions of indexes dropped for a load, kept until rebuilt (even across a crash).
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dropped_index (name text, definition text)"
        )
        cursor.execute("SELECT count(*) FROM residents_resident")
        existing = cursor.fetchone()[0]
    if existing < count:
        print(f"loading {count - existing:,} residents (had {existing:,}) ...", flush=True)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_dropped_index SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'residents_resident' AND indexname NOT LIKE '%%pkey'"
            )
            cursor.execute("SELECT name FROM bench_dropped_index")
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')

        def progress(done: int) -> None:
            if done % 100_000 == 0 or done == count:
                print(f"  {done:,} ({time.perf_counter() - started:.0f} s)", flush=True)

        seeded = min(count, SEEDED)
        if existing < seeded:
            seed_residents(count=seeded, history=False, flag_duplicates=False, progress=progress)
        if count > seeded:
            with connection.cursor() as cursor:
                _replicate(cursor, count)
        print(f"  inserted in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT name, definition FROM bench_dropped_index")
        pending = cursor.fetchall()
        if not pending:
            return
        print("  rebuilding indexes ...", flush=True)
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in pending:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
            cursor.execute(definition)
        cursor.execute("DELETE FROM bench_dropped_index")
        cursor.execute("VACUUM ANALYZE residents_resident")
        cursor.execute("VACUUM ANALYZE residents_traveldocument")
        cursor.execute("VACUUM ANALYZE residents_declaration")
    print(f"  indexes rebuilt in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    count = int(os.environ.get("BENCH_RESIDENTS", "1000000"))
    setup_django_on(BENCH_DB)
    from django.db import connection

    from core import keyset
    from demo.users import seed_users
    from residents import selectors
    from residents.models import Resident, TravelDocument
    from residents.selectors import ResidentFilters

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    _load(count)
    total = Resident.objects.count()
    from accounts.models import User

    director = User.objects.get(username="director")
    print(f"data: {total:,} residents (BENCH_RESIDENTS={count:,})")
    rng = random.Random(2026)

    def disabled(fn: Callable[[], object]) -> Callable[[], object]:
        """Run fn with the planner forbidden to use indexes (the baseline)."""

        def run() -> object:
            with connection.cursor() as cursor:
                cursor.execute("SET enable_bitmapscan = off")
                cursor.execute("SET enable_indexscan = off")
                cursor.execute("SET enable_indexonlyscan = off")
            try:
                return fn()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("RESET enable_bitmapscan")
                    cursor.execute("RESET enable_indexscan")
                    cursor.execute("RESET enable_indexonlyscan")

        return run

    # --- exact passport look-up ------------------------------------------------------------
    ids = [rng.randrange(1, total) for _n in range(200)]
    numbers = [d.number for d in TravelDocument.objects.filter(resident_id__in=ids)]

    def lookup(number: str) -> Callable[[], object]:
        def run() -> object:
            page = selectors.resident_list_for(
                user=director, filters=ResidentFilters(passport=number)
            )
            assert len(page.items) == 1
            return page

        return run

    exact = [t for n in numbers for t in _timed(lookup(n), 1)]
    exact_base = [t for n in numbers[:5] for t in _timed(disabled(lookup(n)), 1)]
    print(_line("exact passport look-up (blind index)", exact))
    print(_line("  baseline: same, indexes disabled", exact_base))
    print(f"  ratio: {_p(exact_base, 0.95) / _p(exact, 0.95):.0f}x faster at p95")

    # --- fuzzy name search -----------------------------------------------------------------
    names = list(
        Resident.objects.filter(pk__in=[rng.randrange(1, total) for _n in range(60)]).values_list(
            "surname", "given_names"
        )
    )
    queries = [_typo(f"{surname} {given}", rng) for surname, given in names][:50]

    def search(query: str) -> Callable[[], object]:
        return lambda: selectors.resident_list_for(
            user=director, filters=ResidentFilters(q=query, sort="relevance")
        )

    fuzzy = [t for q in queries for t in _timed(search(q), 1)]
    clock = CpuClock(connection)

    def cpu_ms(fn: Callable[[], object]) -> float:
        started = clock.now()
        fn()
        return (clock.now() - started) * 1000

    fuzzy_cpu = [cpu_ms(search(q)) for q in queries]
    fuzzy_base = [t for q in queries[:8] for t in _timed(disabled(search(q)), 1)]
    hits = [len(search(q)().items) for q in queries[:10]]
    print(f"queries like {queries[0]!r}, {queries[1]!r}; first-page hits {hits}")
    print(_line("fuzzy name search (pg_trgm GIN)", fuzzy))
    print(_line("  the same in CPU time (this process + server)", fuzzy_cpu))
    print(_line("  baseline: same queries, indexes disabled", fuzzy_base))
    print(
        f"  ratio: {_p(fuzzy_base, 0.95) / _p(fuzzy, 0.95):.1f}x faster at p95 "
        f"(goal >= 10x, p95 < 150 ms)"
    )
    officer = User.objects.get(username="officer_pp")
    scoped = [
        t
        for q in queries[:20]
        for t in _timed(
            lambda q=q: selectors.resident_list_for(
                user=officer, filters=ResidentFilters(q=q, sort="relevance")
            ),
            1,
        )
    ]
    print(_line("  the same, Phnom Penh officer's scope", scoped))

    # --- list pages: first against the 10,000th ----------------------------------------------
    for sort, user, label in (
        ("newest", director, "HQ, newest first"),
        ("name", director, "HQ, by name"),
        ("name", officer, "Phnom Penh officer, by name"),
    ):
        filters = ResidentFilters(sort=sort)
        base = (
            Resident.objects.all()
            if user.is_national
            else Resident.objects.filter(province_id=user.province_id)
        )
        keys = [k.path for k in selectors.SORTS[sort]]
        order = [("-" if k.descending else "") + k.path for k in selectors.SORTS[sort]]
        offset = (DEEP_PAGE - 1) * PAGE - 1
        if base.count() <= offset:
            print(f"list ({label}): fewer than {DEEP_PAGE:,} pages, skipped")
            continue
        before = base.order_by(*order).values_list(*keys)[offset]
        cursor = keyset.encode_cursor(list(before))
        first = _timed(lambda f=filters, u=user: selectors.resident_list_for(user=u, filters=f), 30)
        deep = _timed(
            lambda f=filters, u=user, c=cursor: selectors.resident_list_for(
                user=u, filters=f, after=c
            ),
            30,
        )
        by_offset = _timed(
            lambda b=base, o=order, n=offset: list(b.order_by(*o)[n + 1 : n + 1 + PAGE]), 5
        )
        print(_line(f"list page 1 ({label})", first))
        print(_line(f"list page {DEEP_PAGE:,} by keyset", deep))
        print(_line(f"  for comparison: page {DEEP_PAGE:,} by OFFSET", by_offset))
        print(
            f"  ratio deep/first: {statistics.median(deep) / statistics.median(first):.2f} "
            f"(goal <= 2); OFFSET/keyset: "
            f"{statistics.median(by_offset) / statistics.median(deep):.0f}x"
        )


if __name__ == "__main__":
    main()
