"""What every benchmark needs: a database of its own on the local server, and timings."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def bench_database(name: str) -> str:
    """Create the benchmark's own database (once) next to the app's; return its URL.

    Refuses any server but the local one: benchmarks never load another machine.
    """
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gdi_ims")
    server = base.rsplit("/", 1)[0]
    if "127.0.0.1" not in server and "localhost" not in server:
        raise SystemExit(f"the {name} benchmark runs against 127.0.0.1 only")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def setup_django_on(name: str) -> None:
    """Set Django up on the benchmark's own database `name`, migrated, with the geography.

    Benchmarks of one run share a process: when Django is already set up (on another benchmark's
    database), its connection is pointed at this one before anything is written. BENCH_DB_SUFFIX,
    when set, is appended to the name: two checkouts on one server then keep their data apart.
    """
    name += os.environ.get("BENCH_DB_SUFFIX", "")
    # One role creates, migrates and uses the benchmark's database (not .env's owner role, which
    # does not own it).
    os.environ["DATABASE_URL"] = os.environ["DATABASE_OWNER_URL"] = bench_database(name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gdi_ims.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name
    call_command("migrate", verbosity=0)
    call_command("load_geography", verbosity=0)


def samples(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall times of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls, in seconds."""
    return statistics.median(samples(fn, repeat))


class CpuClock:
    """CPU seconds spent by this process and by its database server process, together.

    On a machine shared with other work, wall times stretch with the load; the CPU the work
    itself burns does much less. The server process is read from /proc (the server is local:
    benchmarks run against 127.0.0.1 only); where it cannot be read, only this process counts.
    """

    def __init__(self, connection: object) -> None:
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SELECT pg_backend_pid()")
            (self.pid,) = cursor.fetchone()
        self.tick = os.sysconf("SC_CLK_TCK")

    def server(self) -> float:
        try:
            with open(f"/proc/{self.pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime

    def now(self) -> float:
        return time.process_time() + self.server()
