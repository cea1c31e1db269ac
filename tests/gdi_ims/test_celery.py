from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from gdi_ims.celery import app
from gdi_ims.tasks import HEARTBEAT_KEY, record_heartbeat_task


@pytest.mark.worker
def test_a_real_worker_runs_a_task_that_reads_the_database(real_worker, geo):
    with real_worker.sending():
        result = record_heartbeat_task.delay()
        beat = result.get(timeout=30)

    assert beat["provinces"] == 25
    assert cache.get(HEARTBEAT_KEY) == beat
    # The worker logs the success just after storing the result: give its log a moment.
    logged = f"Task gdi_ims.tasks.record_heartbeat_task[{result.id}] succeeded"
    deadline = time.monotonic() + 10
    while logged not in real_worker.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert logged in real_worker.output()


def test_celery_uses_redis_for_broker_and_results(settings):
    assert app.conf.broker_url.startswith("redis://")
    assert app.conf.result_backend.startswith("redis://")
    assert app.conf.task_acks_late is True


def test_the_beat_schedule_is_declared_in_settings_and_names_registered_tasks(settings):
    app.loader.import_default_modules()

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_print_runs_imports_and_nightly_work_each_go_to_a_queue_of_their_own():
    from gdi_ims.celery import queues

    base = app.conf.task_default_queue
    router = app.amqp.router

    def queue(name: str) -> str:
        return router.route({}, name)["queue"].name

    assert queue("cards.tasks.render_print_run_task") == f"{base}.prints"
    assert queue("imports.tasks.run_import_task") == f"{base}.imports"
    assert queue("jobs.tasks.flag_card_expiry_task") == f"{base}.nightly"
    assert queue("provinces.tasks.take_daily_snapshot_task") == f"{base}.nightly"
    assert queue("gdi_ims.tasks.record_heartbeat_task") == base
    assert queue("imports.tasks.build_export_task") == f"{base}.reports"
    assert queues() == [
        base,
        f"{base}.prints",
        f"{base}.imports",
        f"{base}.nightly",
        f"{base}.reports",
    ]
