"""With Redis unreachable, pages answer and queued work is never lost.

Redis is made unreachable by pointing the broker (or the cache) at a closed port of 127.0.0.1.
The work asked for meanwhile is recorded in the database; the sweep sends it again once the
broker answers, and the tasks do it once.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.utils import timezone

from cards.models import PrintRun
from gdi_ims import queue
from gdi_ims.celery import app as celery_app
from imports.models import ImportBatch
from jobs.models import JobRun
from provinces.models import Province
from tests.cards.conftest import acknowledged
from tests.imports.conftest import csv_bytes, person, upload

LATER = dt.timedelta(minutes=3)


@pytest.fixture
def phnom_penh(geo: None) -> Province:
    return Province.objects.get(code="12")


@pytest.fixture
def issue(clerk):
    from cards import services

    return lambda: services.card_issue(declaration=acknowledged(), actor=clerk)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """Tasks are sent through a broker that cannot be reached (not run in-process)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = f"redis://127.0.0.1:{closed_port()}/0", False
    _forget_producers()  # producers are pooled per broker: take the unreachable one
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager = saved
        _forget_producers()


def _forget_producers() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def unreachable_cache(settings) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        },
    }


@pytest.mark.django_db
def test_a_print_run_asked_for_while_the_broker_is_down_is_rendered_once_it_is_back(
    clerk, clerk_client, issue, django_capture_on_commit_callbacks
):
    card = issue()

    # when a clerk creates a print run while Redis cannot be reached
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            "/cards/print-runs/new/", {"selection": PrintRun.Selection.NOT_PRINTED}
        )

    # then the page answers, and the run is recorded, queued, with its card
    run = PrintRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cards/print-runs/{run.pk}/"
    assert run.status == PrintRun.Status.QUEUED
    assert list(run.cards.all()) == [card]
    # and nothing is sent again while the broker is still down
    with broker_unreachable():
        assert queue.requeue_stalled_work(now=timezone.now() + LATER)["print_runs"] == 0

    # when the broker is back, the sweep sends it and it is rendered
    sent = queue.requeue_stalled_work(now=timezone.now() + LATER)

    assert sent == {"print_runs": 1, "imports": 0, "job_runs": 0, "exports": 0}
    run.refresh_from_db()
    card.refresh_from_db()
    assert (run.status, card.status) == (PrintRun.Status.DONE, "printed")
    # and a second sweep finds nothing to send
    assert queue.requeue_stalled_work(now=timezone.now() + LATER)["print_runs"] == 0


@pytest.mark.django_db
def test_a_job_run_and_a_big_import_queued_while_the_broker_is_down_are_not_lost(
    administrator, officer, phnom_penh, settings, django_capture_on_commit_callbacks
):
    from imports import services as import_services
    from jobs import services as job_services

    settings.IMPORTS_INLINE_MAX_BYTES = 10  # checked by the worker, not in the request
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        run = job_services.job_run_enqueue(job=JobRun.Job.FLAG_CARD_EXPIRY, actor=administrator)
        batch = import_services.import_batch_create(
            actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1), person(2)]))
        )

    run.refresh_from_db()
    batch.refresh_from_db()
    assert (run.status, batch.status) == (JobRun.Status.QUEUED, ImportBatch.Status.VALIDATING)
    assert batch.queued_at is not None

    sent = queue.requeue_stalled_work(now=timezone.now() + LATER)

    assert sent == {"print_runs": 0, "imports": 1, "job_runs": 1, "exports": 0}
    run.refresh_from_db()
    batch.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert (batch.status, batch.ok_rows) == (ImportBatch.Status.VALIDATED, 2)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_hands_lost_work_to_a_real_worker(real_worker, clerk, issue):
    from cards import services

    issue()
    with broker_unreachable():
        run = services.print_run_create(actor=clerk, selection=PrintRun.Selection.NOT_PRINTED)
    assert PrintRun.objects.get(pk=run.pk).status == PrintRun.Status.QUEUED

    with real_worker.sending():
        assert queue.requeue_stalled_work(now=timezone.now() + LATER)["print_runs"] == 1
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == PrintRun.Status.DONE:
            break
        time.sleep(0.5)

    assert run.status == PrintRun.Status.DONE
    assert "render_print_run_task" in real_worker.output()


@pytest.mark.django_db
def test_with_the_cache_unreachable_the_public_check_answers_and_still_limits(issue, settings):
    from django.test import Client

    card = issue()
    settings.CARDS_CHECK_RATE_PER_MINUTE = 3
    unreachable_cache(settings)
    client = Client(REMOTE_ADDR="198.51.100.77")

    codes = [client.get(f"/cards/v/{card.token}/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


@pytest.mark.django_db
def test_with_the_cache_unreachable_the_import_progress_says_it_cannot_be_shown(
    officer, officer_client, phnom_penh, settings
):
    from imports import services as import_services

    settings.IMPORTS_INLINE_MAX_BYTES = 10
    with broker_unreachable():
        batch = import_services.import_batch_create(
            actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1)]))
        )
    unreachable_cache(settings)

    response = officer_client.get(f"/imports/{batch.pk}/progress/")

    assert response.status_code == 200
    assert "cannot be shown right now" in response.content.decode()
