"""List pages: server time per page against a trivial view, in the same process and run.

Figures, each against the same-run baseline of a trivial view (an HttpResponse of two bytes behind
the same middleware, sessions and sign-in; urlconf bench/_urls.py):
- every list page (the residents list at its page of 25 rows and at 50, the verification queue,
  acknowledgements, returned, cards, cards due, print runs, imports, audit trail, users, renewals,
  notifications), each as the role that works on it, through Django's test client with DEBUG off
  (production's cached template loader): wall and CPU time (this process: the page is rendered
  here, the database's share is small and is left out) p50 and p95 over BENCH_PAGES_REPEAT
  requests, the CPU excess over the trivial view (the page's own server time; goal <= 15 ms at 50
  rows; CPU, since other work on a shared machine stretches wall times), and its queries;
- under gunicorn (bench/_serve.py, as `make run` serves), BENCH_PAGES_CONCURRENCY (default 20)
  clients without think time: requests/s of the residents list against the trivial view's
  (goal >= 1/10).

Size: BENCH_PAGES_RESIDENTS (default 3,000) demo residents (demo.residents) and their cards
(demo.cards). Database: gdi_ims_bench_pages on the DATABASE_URL server (127.0.0.1 only), kept
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

    from accounts.models import User
    from demo.cards import seed_cards
    from demo.residents import seed_residents
    from demo.users import seed_users
    from residents import selectors

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    if seed_residents(count=count, history=False, flag_duplicates=False):
        seed_cards()
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.otp import ensure_confirmed_device

    clients: dict[str, Client] = {}

    def client_of(role: str) -> Client:
        """A signed-in client (second factor included) of the first demo user with `role`."""
        if role not in clients:
            user = User.objects.filter(role=role, is_active=True).order_by("username").first()
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = ensure_confirmed_device(user).persistent_id
            session.save()
            clients[role] = client
        return clients[role]

    storages = {  # no collected static files needed: the pages' HTML is what is timed
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Every list page, as the role that works on it sees it (label, role, URL, rows asked for).
    pages = [
        ("trivial view (baseline)", "director", "/bench-trivial/", None),
        ("residents list, 25 rows", "director", "/residents/", None),
        ("residents list, 50 rows", "director", "/residents/", 50),
        ("verification queue", "verifier", "/residents/verification/", None),
        ("acknowledgements", "director", "/residents/acknowledgements/?province=12", None),
        ("returned to me", "officer", "/residents/returned/", None),
        ("cards list", "director", "/cards/", None),
        ("cards due", "clerk", "/cards/due/", None),
        ("print runs", "clerk", "/cards/print-runs/", None),
        ("imports", "officer", "/imports/", None),
        ("audit event list", "director", "/audit/", None),
        ("users", "admin", "/accounts/users/", None),
        ("renewals", "officer", "/jobs/renewals/", None),
        ("notifications", "officer", "/jobs/notifications/", None),
    ]
    results = {}
    page_size_default = selectors.resident_list_for.__kwdefaults__["page_size"]
    with override_settings(
        ROOT_URLCONF="bench._urls", STORAGES=storages, ALLOWED_HOSTS=["127.0.0.1"]
    ):
        for label, role, url, rows in pages:
            client = client_of(role)
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
            f"{label:<26} wall p50 {statistics.median(walls):6.1f} p95 {_p(walls, 0.95):6.1f} ms"
            f"   cpu p50 {cpu:5.1f} p95 {_p(cpus, 0.95):5.1f} ms{excess}"
            f"   {queries:2d} queries  {size / 1024:3.0f} KiB  (n={len(walls)})"
        )

    # --- under gunicorn: throughput of the list against the trivial view ---------------------
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from bench._serve import gunicorn

    seconds = float(os.environ.get("BENCH_PAGES_SECONDS", "15"))
    concurrency = int(os.environ.get("BENCH_PAGES_CONCURRENCY", "20"))
    log = Path(tempfile.mkdtemp(prefix="gdi-ims-pages-")) / "gunicorn.log"
    with gunicorn(log, settings="bench._settings") as (base, _pid):
        cookie = client_of("director").cookies[settings.SESSION_COOKIE_NAME].value
        rates = _throughput(base, cookie, seconds, concurrency)
    trivial_rate, list_rate = rates["/bench-trivial/"], rates["/residents/"]
    print(
        f"gunicorn, {concurrency} clients without think time, {seconds:.0f} s per URL, twice: "
        f"trivial view {trivial_rate:.1f} req/s, residents list {list_rate:.1f} req/s: "
        f"ratio 1/{trivial_rate / list_rate:.1f} (goal >= 1/10)"
    )


def _hammer(base: str, url: str, cookie: str, deadline: float, counts: list[int]) -> None:
    """Requests to `url`, one after the other on one kept-alive connection, until `deadline`."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    done = failed = 0
    while time.monotonic() < deadline:
        connection.request("GET", url, headers={"Cookie": f"sessionid={cookie}"})
        response = connection.getresponse()
        response.read()
        done += 1
        failed += response.status != 200
    connection.close()
    counts.extend([done, failed])


def _throughput(base: str, cookie: str, seconds: float, concurrency: int) -> dict[str, float]:
    """Requests/s of the trivial view and of the residents list under gunicorn, alternated.

    `concurrency` threads each send one request after the other (no think time), for `seconds`
    per URL, twice per URL in turn (trivial, list, trivial, list).
    """
    import threading

    rates: dict[str, list[float]] = {"/bench-trivial/": [], "/residents/": []}
    for _round in range(2):
        for url, measured in rates.items():
            counts: list[int] = []
            deadline = time.monotonic() + seconds
            threads = [
                threading.Thread(target=_hammer, args=(base, url, cookie, deadline, counts))
                for _n in range(concurrency)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            done, failed = sum(counts[0::2]), sum(counts[1::2])
            if failed:
                raise SystemExit(f"{failed} of {done} requests to {url} failed")
            measured.append(done / (time.monotonic() - started))
    return {url: statistics.median(r) for url, r in rates.items()}


if __name__ == "__main__":
    main()
