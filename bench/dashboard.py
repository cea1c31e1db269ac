"""HQ dashboard: the page from the summary table against the live per-province GROUP BY.

Figures, all measured in the same run on the same data:
- the live aggregate: residents, declarations per status and cards per status, grouped by province
  over every record (what a page would cost without the summary): the baseline;
- the dashboard request (the HQ director's page through Django's test client, middleware and
  template included), reading the summary table: goal at most 1/100 of the baseline;
- the summary refresh (the parallel aggregate into a temporary table, then one INSERT ... SELECT
  ... ON CONFLICT statement writing the district, nationality and province figures): goal at most
  2 times the baseline.

The request time includes what every page of the project costs (session, two-factor check, audit,
CSP, base template); a 404 page through the same middleware is timed for comparison (the
dashboard, served from its kept fragment, now costs about as much).

Size: BENCH_DASHBOARD_RESIDENTS (default 1,000,000), one declaration each, a card for each
acknowledged one. Database: gdi_ims_bench_hq on the DATABASE_URL server (127.0.0.1), created and
migrated when missing; the rows are generated with INSERT ... SELECT generate_series and kept
between runs of the same size.
"""

from __future__ import annotations

import os
import time

from bench._common import median_time, setup_django_on

BENCH_DB = "gdi_ims_bench_hq"


# Nationalities by share of residents (per cent), China the largest group.
NATIONALITIES = [("CN", 45), ("VN", 20), ("KR", 8), ("TH", 7), ("JP", 5), ("FR", 3), ("US", 3),
                 ("GB", 2), ("IN", 2), ("PH", 2), ("MY", 1), ("AU", 1), ("DE", 1)]  # fmt: skip
# Declaration statuses by share (per cent).
STATUSES = [("draft", 5), ("submitted", 15), ("returned", 3), ("verified", 40), ("rejected", 2),
            ("acknowledged", 35)]  # fmt: skip
# Card statuses of the acknowledged, by share (per cent).
CARD_STATUSES = [("issued", 20), ("printed", 15), ("active", 45), ("expiring", 10),
                 ("expired", 10)]  # fmt: skip


def _case(column: str, shares: list[tuple[str, int]]) -> str:
    """A CASE picking a value by `column % 100` following the shares (for a query with params)."""
    parts, upto = [], 0
    for value, share in shares:
        upto += share
        parts.append(f"WHEN {column} %% 100 < {upto} THEN '{value}'")
    return f"CASE {' '.join(parts)} ELSE '{shares[-1][0]}' END"


def _generate(cursor: object, count: int, maker: int, checker: int, director: int) -> None:
    """Fill residents, declarations and cards with INSERT ... SELECT generate_series."""
    cursor.execute(
        "TRUNCATE residents_resident, residents_declaration, cards_residencecard, "
        "provinces_provincesummary, provinces_districtsummary, provinces_nationalitysummary, "
        "provinces_dailysnapshot RESTART IDENTITY CASCADE"
    )
    # Bulk load without the history triggers (pghistory): they are not what is measured.
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        "CREATE TEMP TABLE bench_place AS SELECT row_number() OVER (ORDER BY c.code) - 1 AS n, "
        "c.code AS commune, d.code AS district, d.province_id FROM provinces_commune c "
        "JOIN provinces_district d ON d.code = c.district_id"
    )
    cursor.execute("SELECT count(*) FROM bench_place")
    places = cursor.fetchone()[0]
    cursor.execute(
        f"""
        INSERT INTO residents_resident (surname, given_names, name_km, name_native, search_name,
            sex, date_of_birth, place_of_birth, nationality, photo, phone, occupation, employer,
            address_village, address_street, created_at, updated_at, version, province_id,
            address_province_id, address_district_id, address_commune_id, created_by_id)
        SELECT 'SURNAME' || i, 'GIVEN', '', '', 'SURNAME' || i || ' GIVEN',
               CASE WHEN i %% 2 = 0 THEN 'F' ELSE 'M' END,
               DATE '1950-01-01' + (i %% 18000)::int, '', {_case("i", NATIONALITIES)},
               '', '', '', '', '', '', now() - interval '60 days', now() - interval '30 days', 1,
               p.province_id, p.province_id, p.district, p.commune, %s
          FROM generate_series(1, %s) AS i
          JOIN bench_place p ON p.n = (i::bigint * 7919) %% %s
        """,
        [maker, count, places],
    )
    cursor.execute("SELECT id FROM residents_residencebasis WHERE code = 'marriage'")
    basis = cursor.fetchone()[0]
    status, card_status = _case("r.id", STATUSES), _case("d.id / 7", CARD_STATUSES)
    cursor.execute(
        f"""
        INSERT INTO residents_declaration (declared_on, notes, status, status_reason, created_at,
            updated_at, submitted_at, reviewed_at, version, created_by_id, reviewed_by_id,
            basis_id, resident_id)
        SELECT DATE '2026-10-01', '', s.status,
               CASE WHEN s.status IN ('returned', 'rejected') THEN 'Unreadable' ELSE '' END,
               now() - interval '50 days', now() - interval '20 days',
               CASE WHEN s.status = 'draft' THEN NULL
                    ELSE now() - make_interval(days => (r.id %% 45)::int) END,
               CASE WHEN s.status IN ('draft', 'submitted') THEN NULL ELSE now() END, 1, %s,
               CASE WHEN s.status IN ('draft', 'submitted') THEN NULL ELSE %s END, %s, r.id
          FROM residents_resident r, LATERAL (SELECT {status} AS status) s
        """,
        [maker, checker, basis],
    )
    cursor.execute(
        f"""
        INSERT INTO cards_residencecard (number, issue_date, expiry_date, status, status_reason,
            token, created_at, handed_over_to, declaration_id, issued_by_id, province_id,
            resident_id)
        SELECT 'B' || d.id, DATE '2025-06-01', DATE '2027-05-31', {card_status},
               '', md5(d.id::text), now(), '', d.id, %s, r.province_id, r.id
          FROM residents_declaration d JOIN residents_resident r ON r.id = d.resident_id
         WHERE d.status = 'acknowledged'
        """,
        [director],
    )
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("ANALYZE")


def main() -> None:
    count = int(os.environ.get("BENCH_DASHBOARD_RESIDENTS", "1000000"))
    setup_django_on(BENCH_DB)
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from accounts.models import User
    from accounts.otp import ensure_confirmed_device
    from compilation import services

    def user(username: str, role: str, province: str | None) -> User:
        found, _created = User.objects.get_or_create(
            username=username, defaults={"role": role, "province_id": province}
        )
        return found

    maker = user("bench_officer", User.Role.OFFICER, "12")
    checker = user("bench_verifier", User.Role.VERIFIER, "12")
    director = user("bench_director", User.Role.DIRECTOR, None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM residents_resident")
        existing = cursor.fetchone()[0]
        if existing != count:
            print(f"generating {count:,} residents (had {existing:,}) ...", flush=True)
            started = time.perf_counter()
            _generate(cursor, count, maker.pk, checker.pk, director.pk)
            print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
        cursor.execute("SELECT count(*) FROM residents_declaration")
        declarations = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cards_residencecard")
        cards = cursor.fetchone()[0]
    print(f"data: {count:,} residents, {declarations:,} declarations, {cards:,} cards")

    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404s of the floor
    live = median_time(services.live_province_figures, repeat=3)
    refresh = median_time(services.province_summary_refresh, repeat=3)
    services.daily_snapshot_take()

    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(director)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = ensure_confirmed_device(director).persistent_id
    session.save()
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, ALLOWED_HOSTS=["127.0.0.1"]):
        first = client.get(reverse("provinces:dashboard"))
        assert first.status_code == 200, first.status_code
        assert first.content.count(b'data-testid="province-row"') == 25
        page = median_time(lambda: client.get(reverse("provinces:dashboard")), repeat=20)
        # What any page costs here (session, two-factor check, audit, CSP, base template):
        # an unknown province's 404, through the same middleware.
        floor_url = reverse("provinces:detail", args=["99"])
        floor = median_time(lambda: client.get(floor_url), repeat=20)

    assert services.live_province_figures()["12"]["residents"] > 0
    print(f"live per-province aggregate (baseline): {live * 1000:9.1f} ms")
    print(
        f"dashboard request (summary table):      {page * 1000:9.1f} ms  "
        f"= 1/{live / page:,.0f} of the baseline (goal: at most 1/100)"
    )
    print(
        f"  for comparison, a 404 page:           {floor * 1000:9.1f} ms  "
        "(the same middleware, a province look-up and the error page)"
    )
    print(
        f"summary refresh (set-based):            {refresh * 1000:9.1f} ms  "
        f"= {refresh / live:.2f} x the baseline (goal: at most 2 x)"
    )
