"""The review screen: the IMS's own time per decision when a verifier clears a batch.

A scripted verifier decides BENCH_DECISIONS (default 200) declarations through the workstation:
each decision is the POST of the decision and the GET of the next record's review screen that
opens by itself. Timed on the server side through Django's test client (no browser: the figure
is the IMS's own time, not the network's or the rendering's). Goal: median <= 300 ms.

Baseline, same run, same data: the flow the queue had before, a decision followed by the list
(50 per page) and opening the next record from it.
Database: gdi_ims_bench_workstation on the DATABASE_URL server (127.0.0.1 only).
"""

from __future__ import annotations

import os
import statistics
import time

from bench._common import setup_django_on
from bench.residents import _p

BENCH_DB = "gdi_ims_bench_workstation"


def main() -> None:
    decisions = int(os.environ.get("BENCH_DECISIONS", "200"))
    setup_django_on(BENCH_DB)
    from django.conf import settings
    from django.test.utils import override_settings

    # Static file names as in development (no collected manifest is needed to render a page).
    storages = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    with override_settings(STORAGES=storages):
        _run(decisions)


def _run(decisions: int) -> None:
    from django.test import Client

    from accounts.models import User
    from demo.residents import seed_residents
    from demo.users import seed_users
    from residents.models import Declaration

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    verifier = User.objects.get(username="verifier_pp")
    seed_residents(count=decisions * 6, history=True, flag_duplicates=False)
    queue = Declaration.objects.filter(resident__province_id="12").exclude(created_by=verifier)
    queue.update(
        status=Declaration.Status.SUBMITTED, claimed_by=None, claimed_until=None, reviewed_by=None
    )
    print(f"data: {queue.count():,} declarations in Phnom Penh's queue")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(verifier)

    def decide(url: str) -> tuple[float, str]:
        pk = int(url.split("/declarations/")[1].split("/")[0])
        declaration = Declaration.objects.select_related("resident").get(pk=pk)
        form = {"action": "verify", "reason": "", "version": declaration.version,
                "resident_version": declaration.resident.version}  # fmt: skip
        started = time.perf_counter()
        response = client.post(url, form)
        following = response["Location"]
        client.get(following)
        return (time.perf_counter() - started) * 1000, following

    started = client.post("/residents/verification/next/")["Location"]
    client.get(started)
    url, workstation = started, []
    half = decisions // 2
    for _ in range(half):
        elapsed, url = decide(url)
        workstation.append(elapsed)

    before = []
    for _ in range(decisions - half):
        pk = int(url.split("/declarations/")[1].split("/")[0])
        declaration = Declaration.objects.select_related("resident").get(pk=pk)
        form = {"action": "verify", "reason": "", "version": declaration.version,
                "resident_version": declaration.resident.version}  # fmt: skip
        t0 = time.perf_counter()
        response = client.post(url, form)
        client.get("/residents/verification/")  # back to the list...
        url = response["Location"]
        client.get(url)  # ... and open the next one from it
        before.append((time.perf_counter() - t0) * 1000)

    def line(label: str, times: list[float]) -> str:
        return (
            f"{label:<52} p50 {statistics.median(times):7.1f} ms   p95 {_p(times, 0.95):7.1f} ms"
            f"   (n={len(times)})"
        )

    print(line("decision + next record opening by itself", workstation))
    print(line("baseline: decision + list + opening the next", before))
    print(
        f"{'ratio workstation / baseline':<52} "
        f"{statistics.median(workstation) / statistics.median(before):7.2f}"
    )
