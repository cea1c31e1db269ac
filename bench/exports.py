"""Exports: the whole register as CSV, streamed, against COPY ... TO STDOUT of the same columns.

Figures, each against a baseline measured in the same run on the same data:
- the CSV export as the download view streams it (selectors.resident_export_rows_for through
  spreadsheets.stream_csv, every byte produced and thrown away): wall and CPU seconds (this
  process and its database server process), rows/s, and its ratio to
- the baseline: COPY (the export's SELECT, raw columns: no neutralising, dates unformatted,
  passport numbers left encrypted) TO STDOUT, read to the end by the same connection
  (goal: the export <= 5x the baseline);
- the growth of this process's peak RSS during the export (bounded: a chunk or two, whatever the
  number of rows);
- the XLSX export as the reports queue's task builds it (imports.services.export_xlsx_build:
  openpyxl write-only to a temporary file, then MEDIA_ROOT) on about BENCH_EXPORT_XLSX rows (one
  nationality's; the whole register when it is at least that size), its rows/s and peak RSS
  growth, against the CSV export's rows/s.

Size: BENCH_EXPORT_ROWS (default 1,000,000) residents: BENCH_EXPORT_BASE (default 5,000) demo
residents (demo.residents, each with an encrypted passport and a declaration), copied by the
database until the register has the size asked (copies keep the ciphertext, under a fresh blind
index). Database: gdi_ims_bench_exports on the DATABASE_URL server (127.0.0.1 only), kept between
runs. The residents' search indexes are dropped there: an export reads the whole table in id order.
"""

from __future__ import annotations

import os
import resource
import statistics
import time

from bench._common import CpuClock, setup_django_on

BENCH_DB = "gdi_ims_bench_exports"


def _load(total: int, base: int) -> None:
    from django.db import connection, transaction

    from demo.residents import seed_residents
    from residents.history import bulk_history
    from residents.models import Declaration, Resident, TravelDocument

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM residents_resident")
        existing, _top = cursor.fetchone()
    if existing >= total:
        return
    print(f"loading {total:,} residents (had {existing:,}) ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'residents_resident' "
            "AND indexname NOT LIKE '%%pkey' AND indexdef NOT LIKE '%%UNIQUE%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    if existing < base:
        seed_residents(count=base, history=False, flag_duplicates=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(id) FROM residents_resident")
        existing, top = cursor.fetchone()
    rounds = -(-(total - existing) // existing)  # every copy round copies every row there is

    def names(model: type, *skip: str) -> list[str]:
        return [
            f.column
            for f in model._meta.concrete_fields
            if not f.primary_key and f.column not in skip
        ]

    resident_columns = names(Resident)
    document_columns = names(TravelDocument, "resident_id", "number_index")
    declaration_columns = names(Declaration, "resident_id")
    with transaction.atomic(), bulk_history(), connection.cursor() as cursor:
        # Copy k of the first `base` residents gets the id of the original + top * k.
        cursor.execute(
            f"INSERT INTO residents_resident (id, {', '.join(resident_columns)}) "
            f"SELECT r.id + %s * g, {', '.join('r.' + c for c in resident_columns)} "
            "FROM residents_resident r, generate_series(1, %s) g WHERE r.id <= %s "
            "AND r.id + %s * g <= %s + %s",
            [top, rounds, top, top, top, total - existing],
        )
        cursor.execute(
            f"INSERT INTO residents_traveldocument (resident_id, number_index, "
            f"{', '.join(document_columns)}) "
            f"SELECT d.resident_id + %s * g, md5(d.number_index || g), "
            f"{', '.join('d.' + c for c in document_columns)} "
            "FROM residents_traveldocument d, generate_series(1, %s) g "
            "WHERE d.resident_id <= %s AND d.resident_id + %s * g IN "
            "(SELECT id FROM residents_resident WHERE id > %s)",
            [top, rounds, top, top, top],
        )
        cursor.execute(
            f"INSERT INTO residents_declaration (resident_id, "
            f"{', '.join(declaration_columns)}) "
            f"SELECT x.resident_id + %s * g, {', '.join('x.' + c for c in declaration_columns)} "
            "FROM residents_declaration x, generate_series(1, %s) g "
            "WHERE x.resident_id <= %s AND x.resident_id + %s * g IN "
            "(SELECT id FROM residents_resident WHERE id > %s)",
            [top, rounds, top, top, top],
        )
        for table in ("residents_resident", "residents_traveldocument", "residents_declaration"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE residents_resident")
        cursor.execute("VACUUM ANALYZE residents_traveldocument")
        cursor.execute("VACUUM ANALYZE residents_declaration")
    print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    total = int(os.environ.get("BENCH_EXPORT_ROWS", "1000000"))
    base = int(os.environ.get("BENCH_EXPORT_BASE", "5000"))
    xlsx_rows = int(os.environ.get("BENCH_EXPORT_XLSX", "20000"))
    repeat = int(os.environ.get("BENCH_EXPORT_REPEAT", "3"))
    setup_django_on(BENCH_DB)
    from django.db import connection

    from accounts.models import User
    from demo.users import seed_users
    from imports import selectors, spreadsheets
    from imports.views import EXPORT_HEADER

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    _load(total, base)
    director = User.objects.get(username="director")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM residents_resident")
        rows = cursor.fetchone()[0]
    print(f"data: {rows:,} residents (BENCH_EXPORT_ROWS={total:,})")
    clock = CpuClock(connection)
    raw_sql, raw_params = selectors.resident_export_query_for(user=director, for_csv=True, raw=True)

    def baseline() -> int:
        size = 0
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY ({raw_sql}) TO STDOUT", raw_params or None) as copy,
        ):
            for data in copy:
                size += len(data)
        return size

    def export() -> int:
        chunks = selectors.resident_export_rows_for(user=director, for_csv=True)
        return sum(len(part) for part in spreadsheets.stream_csv(EXPORT_HEADER, chunks))

    def measure(fn: object) -> tuple[float, float, int]:
        cpu, wall = clock.now(), time.perf_counter()
        size = fn()  # type: ignore[operator]
        return time.perf_counter() - wall, clock.now() - cpu, size

    rss_before = _rss_mb()
    base_runs, export_runs = [], []
    for _n in range(repeat):  # alternated, so that the machine's load weighs on both alike
        base_runs.append(measure(baseline))
        export_runs.append(measure(export))
    rss_growth = _rss_mb() - rss_before
    for label, runs in (("COPY ... TO STDOUT (baseline)", base_runs), ("CSV export", export_runs)):
        walls = [w for w, _c, _s in runs]
        cpus = [c for _w, c, _s in runs]
        print(
            f"{label:<32} wall {statistics.median(walls):6.2f} s "
            f"(runs {', '.join(f'{w:.2f}' for w in walls)})"
            f"   cpu {statistics.median(cpus):6.2f} s   {runs[0][2] / 1e6:7.1f} MB   "
            f"{rows / statistics.median(walls):,.0f} rows/s"
        )
    wall_ratio = statistics.median(w for w, _c, _s in export_runs) / statistics.median(
        w for w, _c, _s in base_runs
    )
    cpu_ratio = statistics.median(c for _w, c, _s in export_runs) / statistics.median(
        c for _w, c, _s in base_runs
    )
    print(f"  ratio export/COPY: wall {wall_ratio:.2f}x, cpu {cpu_ratio:.2f}x (goal <= 5x)")
    print(
        f"  peak RSS of this process: {rss_before:.0f} MB before the exports (set-up), "
        f"{rss_before + rss_growth:.0f} MB after {repeat} of {rows:,} rows "
        f"(growth {rss_growth:.1f} MB)"
    )

    # --- XLSX as the task builds it, against CSV of the same rows ------------------------------
    # BENCH_EXPORT_XLSX rows (a nationality-free slice of the register: the first ones by id),
    # through imports.services.export_xlsx_build (the reports queue's task): COPY, decrypt,
    # openpyxl write-only to a temporary file, saved to MEDIA_ROOT, progress every chunk.
    from itertools import islice

    from imports import services
    from imports.models import ExportLog

    def first_rows(for_csv: bool) -> object:
        chunks = selectors.resident_export_rows_for(user=director, for_csv=for_csv)
        return islice((row for chunk in chunks for row in chunk), xlsx_rows)

    started = time.perf_counter()
    for _part in spreadsheets.stream_csv(EXPORT_HEADER, [list(first_rows(True))]):
        pass
    csv_slice = time.perf_counter() - started
    if xlsx_rows >= rows:
        filters: dict[str, str] = {}
    else:  # the first `xlsx_rows` residents by id, as the district filter of their ids cannot
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nationality FROM residents_resident GROUP BY nationality "
                "ORDER BY abs(count(*) - %s) LIMIT 1",
                [xlsx_rows],
            )
            filters = {"nationality": cursor.fetchone()[0]}
    count = selectors.resident_export_for(user=director, **filters).count()
    rss_before = _rss_mb()
    log = services.export_xlsx_request(actor=director, filters=filters, row_count=count)
    started = time.perf_counter()
    built = services.export_xlsx_build(export_id=log.pk)
    xlsx_task = time.perf_counter() - started
    assert built.status == ExportLog.Status.READY, built.status
    size = built.file.size
    built.file.delete(save=False)
    ExportLog.objects.filter(pk=log.pk).update(file="")
    print(
        f"XLSX by the export task, {count:,} rows ({filters or 'whole register'}): "
        f"{xlsx_task:.2f} s ({count / xlsx_task:,.0f} rows/s, {size / 1e6:.1f} MB), peak RSS "
        f"growth {_rss_mb() - rss_before:.1f} MB; CSV of the first {xlsx_rows:,} rows "
        f"{csv_slice:.2f} s ({xlsx_rows / csv_slice:,.0f} rows/s): XLSX/CSV per row "
        f"{(xlsx_task / count) / (csv_slice / xlsx_rows):.1f}x; the whole register would take "
        f"{rows / (count / xlsx_task):.0f} s as XLSX"
    )


if __name__ == "__main__":
    main()
