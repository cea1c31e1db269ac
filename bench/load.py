"""Load: the end-of-year rush on this machine, with locust, against gunicorn as `make run` serves.

300 officers searching and opening residents (and the entry form), 50 verifiers on their queue,
5 directors on the dashboard and exports, 10 clerks on the cards (bench/_locustfile.py), with
think times of 5 to 40 s, for BENCH_LOAD_SECONDS (default 300) after a ramp of 20 people/s.

Figures: requests/s; per page the requests, failures, p50/p95/p99 (goal: p95 <= 300 ms on every
page, 0 errors); the database connections open to the benchmark's database (sampled every second:
at most, on average); where the time goes: CPU seconds of the gunicorn workers, of the database
server's processes for this database, and of locust itself, over the run.

Serves on a free port of 127.0.0.1 only, and stops by itself: locust runs for a bounded time and
gunicorn is stopped when it ends. Data: BENCH_LOAD_RESIDENTS (default 3,000) demo residents and
their cards, and the demo users, each simulated person with a session of their own.
Database: gdi_ims_bench_load on the DATABASE_URL server (127.0.0.1 only), kept between runs.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench._common import setup_django_on
from bench._serve import ROOT, gunicorn

BENCH_DB = "gdi_ims_bench_load"
PEOPLE = {"officer": 300, "verifier": 50, "director": 5, "clerk": 10}


def _sessions(path: Path) -> None:
    """A signed-in session (second factor included) per simulated person, and their residents."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import User
    from accounts.otp import ensure_confirmed_device
    from residents.models import Resident

    roles = {
        "officer": User.Role.OFFICER,
        "verifier": User.Role.VERIFIER,
        "director": User.Role.DIRECTOR,
        "clerk": User.Role.CLERK,
    }
    sessions: dict[str, list[list[object]]] = {}
    for role, count in PEOPLE.items():
        users = list(User.objects.filter(role=roles[role], is_active=True).order_by("username"))
        if not users:
            raise SystemExit(f"no demo user with the role {role}")
        sessions[role] = []
        for n in range(count):
            user = users[n % len(users)]
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = ensure_confirmed_device(user).persistent_id
            session.save()
            residents = Resident.objects.order_by("?")
            if user.province_id:
                residents = residents.filter(province_id=user.province_id)
            ids = list(residents.values_list("pk", flat=True)[:50])
            sessions[role].append([client.cookies[settings.SESSION_COOKIE_NAME].value, ids])
    path.write_text(json.dumps(sessions))


def _cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _database_pids(database: str) -> list[int]:
    import psutil

    pids = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if cmdline.startswith("postgres:") and f" {database} " in f"{cmdline} ":
            pids.append(process.pid)
    return pids


def main() -> None:
    seconds = int(os.environ.get("BENCH_LOAD_SECONDS", "300"))
    count = int(os.environ.get("BENCH_LOAD_RESIDENTS", "3000"))
    setup_django_on(BENCH_DB)
    import psutil
    from django.db import connection

    from demo.cards import seed_cards
    from demo.residents import seed_residents
    from demo.users import seed_users

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    if seed_residents(count=count, history=False, flag_duplicates=False):
        seed_cards()
    work = Path(tempfile.mkdtemp(prefix="gdi-ims-load-"))
    _sessions(work / "sessions.json")
    samples: list[int] = []
    stop = threading.Event()
    with gunicorn(work / "gunicorn.log") as (base, master):
        workers = [child.pid for child in psutil.Process(master).children()]

        def sample_connections() -> None:
            with connection.cursor() as cursor:
                while not stop.wait(1.0):
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid()",
                        [BENCH_DB],
                    )
                    samples.append(cursor.fetchone()[0])

        sampler = threading.Thread(target=sample_connections, daemon=True)
        sampler.start()
        web_cpu = _cpu_seconds(workers)
        db_pids = _database_pids(BENCH_DB)
        db_cpu = _cpu_seconds(db_pids)
        print(
            f"serving {base} with {len(workers)} gunicorn workers; locust for {seconds} s, "
            f"{sum(PEOPLE.values())} people ...",
            flush=True,
        )
        started = time.perf_counter()
        locust = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("locust")),
                "-f",
                str(ROOT / "bench" / "_locustfile.py"),
                "--headless",
                "--users",
                str(sum(PEOPLE.values())),
                "--spawn-rate",
                "20",
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "10",
                "--host",
                base,
                "--csv",
                str(work / "load"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**os.environ, "BENCH_LOAD_SESSIONS": str(work / "sessions.json")},
            stdout=subprocess.DEVNULL,
            stderr=(work / "locust.log").open("wb"),
        )
        locust_cpu = 0.0
        try:
            while locust.poll() is None:
                locust_cpu = max(locust_cpu, _cpu_seconds([locust.pid]))
                time.sleep(1)
                if time.perf_counter() - started > seconds + 90:
                    locust.terminate()
        finally:
            if locust.poll() is None:
                locust.kill()
        elapsed = time.perf_counter() - started
        web_cpu = _cpu_seconds(workers) - web_cpu
        # Connections opened during the run count whole (they began with it); closed ones are lost.
        ended = db_pids + [p for p in _database_pids(BENCH_DB) if p not in db_pids]
        db_cpu = _cpu_seconds(ended) - db_cpu
        stop.set()
    with (work / "load_stats.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    print(
        f"{'page':<42} {'reqs':>6} {'fails':>5} {'p50':>6} {'p95':>6} {'p99':>6} ms  {'req/s':>6}"
    )
    for row in rows:
        print(
            f"{row['Name']:<42} {row['Request Count']:>6} {row['Failure Count']:>5} "
            f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6}     {float(row['Requests/s']):6.1f}"
        )
    over = [r["Name"] for r in rows if r["Name"] != "Aggregated" and float(r["95%"]) > 300]
    failed = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
    print(f"goal p95 <= 300 ms: {'met' if not over else 'missed on ' + ', '.join(over)}")
    print(f"errors: {failed} (goal 0)")
    if samples:
        print(
            f"database connections to {BENCH_DB}: at most {max(samples)}, "
            f"on average {statistics.mean(samples):.1f} (sampled every second)"
        )
    print(
        f"CPU over {elapsed:.0f} s: gunicorn workers {web_cpu:.0f} s, database server "
        f"(this database's connections) {db_cpu:.0f} s, locust {locust_cpu:.0f} s"
    )
    print(f"logs and locust's CSV in {work}")


if __name__ == "__main__":
    main()
