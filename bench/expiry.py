"""The nightly card expiry job at scale, against a full-table count(*) of the cards.

Figures, all measured in the same run on the same data:
- baseline: `SELECT count(*) FROM cards_residencecard` (median of 5);
- the first run over a large backlog: cards issued evenly over the last 2.5 years, so about a
  fifth have passed their last valid day and about an eighth are within the 90-day window, none
  flagged yet (chunks of 50,000 rows per transaction);
- a second run the same day: changes 0 rows;
- a normal day: the run of the next day, when a few thousand cards cross a threshold (expiring,
  30/60/90-day notices, expired): goal at most 10 times the baseline. Between the days the
  tables are vacuumed, as autovacuum would in the meantime.

Size: BENCH_EXPIRY_CARDS (default 1,000,000) cards of as many residents, all handed over.
Database: gdi_ims_bench_expiry on the DATABASE_URL server (127.0.0.1), created and migrated when
missing; residents and declarations are generated with INSERT ... SELECT generate_series and kept
between runs of the same size; the cards are generated afresh on every run.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from bench._common import CpuClock, median_time, setup_django_on

BENCH_DB = "gdi_ims_bench_expiry"
# The first day of the benchmark (each run happens at 01:00 of its day, the clock moved there).
DAY0 = dt.date(2027, 3, 1)
SPREAD_DAYS = 913  # two and a half years of issue dates


def _generate_people(cursor: object, count: int, maker: int) -> None:
    """Residents and their acknowledged declarations, set-based, without history triggers."""
    cursor.execute(
        "TRUNCATE residents_resident, residents_declaration, cards_residencecard "
        "RESTART IDENTITY CASCADE"
    )
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        "CREATE TEMP TABLE bench_place AS SELECT row_number() OVER (ORDER BY c.code) - 1 AS n, "
        "c.code AS commune, d.code AS district, d.province_id FROM provinces_commune c "
        "JOIN provinces_district d ON d.code = c.district_id"
    )
    cursor.execute("SELECT count(*) FROM bench_place")
    places = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO residents_resident (surname, given_names, name_km, name_native, search_name,
            sex, date_of_birth, place_of_birth, nationality, photo, phone, occupation, employer,
            address_village, address_street, created_at, updated_at, version, province_id,
            address_province_id, address_district_id, address_commune_id, created_by_id,
            residence_end_reason)
        SELECT 'SURNAME' || i, 'GIVEN', '', '', 'SURNAME' || i || ' GIVEN',
               CASE WHEN i %% 2 = 0 THEN 'F' ELSE 'M' END,
               DATE '1950-01-01' + (i %% 18000)::int, '', 'CN', '', '', '', '', '', '',
               now(), now(), 1, p.province_id, p.province_id, p.district, p.commune, %s, ''
          FROM generate_series(1, %s) AS i
          JOIN bench_place p ON p.n = (i::bigint * 7919) %% %s
        """,
        [maker, count, places],
    )
    cursor.execute("SELECT id FROM residents_residencebasis WHERE code = 'marriage'")
    basis = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO residents_declaration (declared_on, notes, status, status_reason, created_at,
            updated_at, submitted_at, reviewed_at, version, created_by_id, reviewed_by_id,
            basis_id, resident_id)
        SELECT DATE '2024-06-01', '', 'acknowledged', '', now(), now(), now(), now(), 1, %s, NULL,
               %s, r.id
          FROM residents_resident r
        """,
        [maker, basis],
    )
    cursor.execute("SET session_replication_role = DEFAULT")


def _generate_cards(cursor: object, clerk: int) -> None:
    """One handed-over card per resident, issued evenly over the last 2.5 years, none flagged."""
    cursor.execute(
        "TRUNCATE cards_residencecard, jobs_jobrun, jobs_renewalnotice, jobs_notification "
        "RESTART IDENTITY CASCADE"
    )
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        """
        INSERT INTO cards_residencecard (number, issue_date, expiry_date, status, status_reason,
            token, created_at, handed_over_to, declaration_id, issued_by_id, province_id,
            resident_id)
        SELECT 'B' || d.id, %(day0)s::date - (r.id %% %(spread)s)::int,
               (%(day0)s::date - (r.id %% %(spread)s)::int + interval '2 years')::date - 1,
               'active', '', md5(d.id::text),
               (%(day0)s::date - (r.id %% %(spread)s)::int)::timestamptz,
               'holder', d.id, %(clerk)s, r.province_id, r.id
          FROM residents_declaration d JOIN residents_resident r ON r.id = d.resident_id
        """,
        {"day0": DAY0, "spread": SPREAD_DAYS, "clerk": clerk},
    )
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("VACUUM ANALYZE cards_residencecard")


def main() -> None:
    count = int(os.environ.get("BENCH_EXPIRY_CARDS", "1000000"))
    setup_django_on(BENCH_DB)
    import logging

    from django.db import connection

    logging.getLogger("jobs").setLevel(logging.WARNING)

    from accounts.models import User
    from jobs import services

    def user(username: str, role: str, province: str | None) -> User:
        found, _created = User.objects.get_or_create(
            username=username, defaults={"role": role, "province_id": province}
        )
        return found

    maker = user("bench_officer", User.Role.OFFICER, "12")
    user("bench_officer_sr", User.Role.OFFICER, "17")
    clerk = user("bench_clerk", User.Role.CLERK, None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM residents_resident")
        if cursor.fetchone()[0] != count:
            print(f"generating {count:,} residents and declarations ...", flush=True)
            started = time.perf_counter()
            _generate_people(cursor, count, maker.pk)
            print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        _generate_cards(cursor, clerk.pk)
        print(f"generated {count:,} cards in {time.perf_counter() - started:.1f} s", flush=True)

    def count_all() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cards_residencecard")
            cursor.fetchone()

    from zoneinfo import ZoneInfo

    import time_machine

    clock = CpuClock(connection)
    cpu: dict[str, float] = {}

    def run(day: dt.date, label: str = "") -> tuple[float, dict[str, int]]:
        # The clock is moved to 01:00 of that day, when the schedule starts the job.
        night = dt.datetime(day.year, day.month, day.day, 1, 0, tzinfo=ZoneInfo("Asia/Phnom_Penh"))
        with time_machine.travel(night, tick=True):
            started, started_cpu = time.perf_counter(), clock.now()
            job = services.flag_card_expiry()
            elapsed = time.perf_counter() - started
            cpu[label] = clock.now() - started_cpu
        assert job.status == "succeeded", (job.status, job.error)
        return elapsed, job.counts

    def count_cpu() -> float:
        """CPU of count(*) in the server process alone (no parallel workers to miss)."""
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        started = clock.now()
        count_all()
        spent = clock.now() - started
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")
        return spent

    count_all()
    baseline = median_time(count_all, repeat=5)
    backlog, backlog_counts = run(DAY0)
    again, again_counts = run(DAY0)
    # A day passes: autovacuum clears the backlog run's dead row versions (300,000 updated
    # cards) long before the next night; done here at once.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cards_residencecard")
        cursor.execute("VACUUM ANALYZE jobs_renewalnotice")
    day1 = DAY0 + dt.timedelta(days=1)
    normal, normal_counts = run(day1, "normal")
    baseline_after = median_time(count_all, repeat=5)
    baseline_cpu = sorted(count_cpu() for _n in range(5))[2]
    baseline = min(baseline, baseline_after)
    assert not any(again_counts.values()), again_counts

    def show(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "emails")

    print(f"data: {count:,} cards, day 0 = {DAY0:%d-%m-%Y}")
    print(f"count(*) of every card (baseline):     {baseline * 1000:9.1f} ms")
    print(
        f"first run over the backlog:            {backlog * 1000:9.1f} ms  "
        f"= {backlog / baseline:,.1f} x the baseline ({show(backlog_counts)})"
    )
    print(
        f"second run the same day:               {again * 1000:9.1f} ms  "
        f"= {again / baseline:,.1f} x the baseline ({show(again_counts)})"
    )
    print(
        f"normal day (the next day):             {normal * 1000:9.1f} ms  "
        f"= {normal / baseline:,.1f} x the baseline, goal at most 10 x ({show(normal_counts)})"
    )
    print(
        f"the same in CPU time (this process + its server process, which other load on a shared "
        f"machine stretches far less): count(*) without parallel workers "
        f"{baseline_cpu * 1000:.1f} ms, normal day {cpu['normal'] * 1000:.1f} ms "
        f"= {cpu['normal'] / baseline_cpu:,.1f} x"
    )
