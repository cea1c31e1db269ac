"""The review screen in a browser: a scripted verifier (Playwright) decides in the workstation.

BENCH_DECISIONS (default 200, at most 1,000) declarations are verified with the workstation's "V"
key, in Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium), against gunicorn as
`make run` serves it (DEBUG off) on 127.0.0.1. Each decision is timed from the key press to the
next record's review screen loaded (the decision's POST, its redirect, the next record's GET,
the page's parsing, styles, scripts and images): the IMS's own time per decision, never a
person's. The browser's navigation timing splits it into server (up to the last byte of the
next page) and page (from there to the load event). Goal: median <= 300 ms.

Baseline, same run, same browser and server: the round trip of a trivial page, timed the same way,
before and after the decisions: the "page not found" page, through the same middleware, session
and layout (its styles and scripts) but with nothing to read or decide. (Not /healthz: it asks
the Celery workers too.)
Database: gdi_ims_bench_workstation_browser on the DATABASE_URL server (127.0.0.1 only).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from bench._common import setup_django_on
from bench._serve import gunicorn
from bench.residents import _p

BENCH_DB = "gdi_ims_bench_workstation_browser"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BASELINE_ROUNDS = 50
TRIVIAL = "/no-such-page/"
STEP_TIMEOUT_MS = 60_000  # a bound on every step, generous for a busy machine
# What the browser's navigation timing says of the page just loaded (server part, page part).
NAVIGATION = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  return [n.responseEnd - n.startTime, n.loadEventEnd - n.responseEnd];
}"""


def main() -> None:
    decisions = min(int(os.environ.get("BENCH_DECISIONS", "200")), 1000)
    setup_django_on(BENCH_DB)
    cookie = _prepare(decisions)
    work = Path(tempfile.mkdtemp(prefix="gdi-ims-workstation-"))
    # A busy machine boots the workers slowly: wait longer than the other benchmarks do.
    with gunicorn(work / "gunicorn.log", start_seconds=300) as (base, _master):
        if not base.startswith("http://127.0.0.1:"):
            raise SystemExit("the browser benchmark runs against 127.0.0.1 only")
        _drive(base, cookie, decisions)


def _prepare(decisions: int) -> str:
    """Demo data with enough of Phnom Penh's declarations queued; a verifier's session cookie."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import User
    from accounts.otp import ensure_confirmed_device
    from demo.residents import seed_residents
    from demo.users import seed_users
    from residents.models import Declaration

    seed_users(password="bench-only-password-not-used")  # noqa: S106
    verifier = User.objects.get(username="verifier_pp")
    seed_residents(count=decisions * 6, history=True, flag_duplicates=False)
    queue = Declaration.objects.filter(resident__province_id="12").exclude(created_by=verifier)
    # A basis resting on a family tie is verified only once the resident is linked to a relative,
    # which the seeded residents are not: those wait as drafts, out of the queue.
    queue.exclude(basis__required_link="").update(
        status=Declaration.Status.DRAFT, claimed_by=None, claimed_until=None, reviewed_by=None
    )
    queue = queue.filter(basis__required_link="")
    queue.update(
        status=Declaration.Status.SUBMITTED, claimed_by=None, claimed_until=None, reviewed_by=None
    )
    queued = queue.count()
    print(f"data: {queued:,} declarations in Phnom Penh's queue")
    if queued < decisions + 1:
        raise SystemExit(f"only {queued} declarations queued for {decisions} decisions")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(verifier)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = ensure_confirmed_device(verifier).persistent_id
    session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _drive(base: str, cookie: str, decisions: int) -> None:
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(base_url=base, locale="en-GB")
            context.set_default_timeout(STEP_TIMEOUT_MS)
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
            )
            page = context.new_page()

            def trivial() -> list[tuple[float, float, float]]:
                times = []
                for _ in range(BASELINE_ROUNDS):
                    started = time.perf_counter()
                    page.goto(TRIVIAL, wait_until="load")
                    total = (time.perf_counter() - started) * 1000
                    times.append((total, *page.evaluate(NAVIGATION)))
                return times

            baseline = trivial()
            page.goto("/residents/verification/")
            with page.expect_navigation(wait_until="load"):
                page.get_by_test_id("start-reviewing").click()
            timed: list[tuple[float, float, float]] = []
            for _ in range(decisions):
                if "/review/" not in page.url:
                    raise SystemExit(f"the workstation left the review screen: {page.url}")
                before = page.url
                started = time.perf_counter()
                with page.expect_navigation(wait_until="load"):
                    page.keyboard.press("v")
                total = (time.perf_counter() - started) * 1000
                if page.url == before:
                    said = " / ".join(t.strip() for t in page.locator(".alert").all_inner_texts())
                    raise SystemExit(f"the decision was refused ({said or 'no message'}): {before}")
                timed.append((total, *page.evaluate(NAVIGATION)))
            baseline += trivial()
        finally:
            browser.close()

    def line(label: str, times: list[float]) -> str:
        return (
            f"{label:<52} p50 {statistics.median(times):7.1f} ms   p95 {_p(times, 0.95):7.1f} ms"
            f"   (n={len(times)})"
        )

    for name, index in (("key to next page loaded", 0), ("  server", 1), ("  page", 2)):
        print(line(f"decision: {name}", [t[index] for t in timed]), flush=True)
    for name, index in (("trivial page loaded", 0), ("  server", 1), ("  page", 2)):
        print(line(f"baseline: {name}", [t[index] for t in baseline]), flush=True)
    ratio = statistics.median(t[0] for t in timed) / statistics.median(t[0] for t in baseline)
    print(f"{'ratio decision / trivial page':<52} {ratio:7.2f}")
    print(f"goal: median <= 300 ms: {statistics.median(t[0] for t in timed) <= 300}")
