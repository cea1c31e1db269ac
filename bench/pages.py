"""List pages: server time per page against a trivial view, in the same process and run.

Figures, each against the same-run baseline of a trivial view (an HttpResponse of two bytes behind
the same middleware, sessions and sign-in; urlconf bench/_urls.py):
- the residents list (its page of 25 rows, and the same view at 50 rows), the cards list, the
  audit event list and the renewals page, requested through Django's test client with DEBUG off
  (production's cached template loader): wall and CPU time (this process: the page is rendered
  here, the database's share is small and is left out) p50 and p95 over BENCH_PAGES_REPEAT
  requests, the CPU excess over the trivial view (the page's own server time; goal <= 15 ms at 50
  rows; CPU, since other work on a shared machine stretches wall times), and its queries.

Size: BENCH_PAGES_RESIDENTS (default 3,000) demo residents (residents.demo) and their cards
(cards.demo). Database: gdi_ims_bench_pages on the DATABASE_URL server (127.0.0.1 only), kept
between runs.
"""

from __future__ import annotations

import os
import statistics
import time

from bench._common import setup_django_on

BENCH_DB = "gdi_ims_bench_pages"


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    count = int(os.environ.get("BENCH_PAGES_RESIDENTS", "3000"))
    repeat = int(os.environ.get("BENCH_PAGES_REPEAT", "60"))
    setup_django_on(BENCH_DB)
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from accounts.demo import seed_users
    from accounts.models import User
    from cards.demo import seed_cards
    from residents import selectors
    from residents.demo import seed_residents

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    if seed_residents(count=count, history=False, flag_duplicates=False):
        seed_cards()
    director = User.objects.get(username="director")
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.otp import ensure_confirmed_device

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(director)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = ensure_confirmed_device(director).persistent_id
    session.save()
    storages = {  # no collected static files needed: the pages' HTML is what is timed
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    pages = [
        ("trivial view (baseline)", "/bench-trivial/", None),
        ("residents list, 25 rows", "/residents/", None),
        ("residents list, 50 rows", "/residents/", 50),
        ("cards list", "/cards/", None),
        ("audit event list", "/audit/", None),
        ("renewals", "/jobs/renewals/", None),
    ]
    results = {}
    page_size_default = selectors.resident_list_for.__kwdefaults__["page_size"]
    with override_settings(
        ROOT_URLCONF="bench._urls", STORAGES=storages, ALLOWED_HOSTS=["127.0.0.1"]
    ):
        for label, url, rows in pages:
            # The view asks for the selector's default page size; 50 rows is that default raised.
            selectors.resident_list_for.__kwdefaults__["page_size"] = rows or page_size_default
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                client.get(url)
            walls, cpus = [], []
            for _n in range(repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                client.get(url)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            results[label] = (walls, cpus, len(queries), len(response.content))
        selectors.resident_list_for.__kwdefaults__["page_size"] = page_size_default
    trivial = statistics.median(results["trivial view (baseline)"][1])
    for label, (walls, cpus, queries, size) in results.items():
        cpu = statistics.median(cpus)
        excess = "" if label.startswith("trivial") else f"  over trivial {cpu - trivial:5.1f} ms"
        print(
            f"{label:<24} wall p50 {statistics.median(walls):6.1f} p95 {_p(walls, 0.95):6.1f} ms"
            f"   cpu p50 {cpu:5.1f} p95 {_p(cpus, 0.95):5.1f} ms{excess}"
            f"   {queries:2d} queries  {size / 1024:3.0f} KiB  (n={len(walls)})"
        )


if __name__ == "__main__":
    main()
