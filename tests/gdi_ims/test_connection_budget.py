"""Bursts of requests stay within the database connection budget: a fixed number of gunicorn
workers, each sharing a bounded psycopg pool between its threads."""

from __future__ import annotations

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.conftest import _database_url, client_for
from tests.factories import ResidentFactory
from tests.gdi_ims.servers import gunicorn

WORKERS, THREADS, POOL = 2, 4, 3
BUDGET = WORKERS * POOL


class Peak:
    """Counts the web server's connections to the test database every few milliseconds."""

    def __init__(self, application_name: str) -> None:
        self.name, self.highest, self.samples = application_name, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with psycopg.connect(_database_url(), autocommit=True) as conn:
            while not self._stop.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [self.name],
                ).fetchone()
                self.highest, self.samples = max(self.highest, count), self.samples + 1
                time.sleep(0.01)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_200_requests_at_concurrency_50_stay_within_the_connection_budget(officer, tmp_path: Path):
    # given residents to list, an officer's session, and gunicorn with 2 workers of 4 threads
    # sharing pools of at most 3 connections each
    newest = ResidentFactory.create_batch(30, province_id="12")[-1]
    cookie = client_for(officer).cookies[settings.SESSION_COOKIE_NAME].value
    database_url = f"{_database_url()}?application_name=ims-burst"
    server = gunicorn(
        tmp_path / "gunicorn.log",
        database_url=database_url,
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_THREADS=str(THREADS),
        DATABASE_POOL="true",
        DATABASE_POOL_MAX_SIZE=str(POOL),
        DATABASE_POOL_TIMEOUT="20",
    )

    def fetch(url: str) -> int:
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (127.0.0.1)
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            body = response.read().decode()
        # A sign-in page or an error would not list the newest resident.
        return response.status if newest.surname in body else -1

    # when 200 requests for the residents list arrive 50 at a time
    with server as base, Peak("ims-burst") as peak, ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(fetch, [f"{base}/residents/"] * 200))

    # then every one is answered, and the server never held more connections than its budget
    assert statuses == [200] * 200
    assert peak.samples > 10
    assert 1 <= peak.highest <= BUDGET, peak.highest
    print(f"connection peak {peak.highest} of a budget of {BUDGET} ({peak.samples} samples)")
