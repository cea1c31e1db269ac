from __future__ import annotations

import datetime as dt

import pytest

from compilation.models import DailySnapshot, ProvinceSummary
from compilation.tasks import refresh_province_summary_task, take_daily_snapshot_task
from gdi_ims.celery import app
from tests.compilation.conftest import make_record


@pytest.mark.worker
def test_a_real_worker_refreshes_the_summary_from_the_database(real_worker, seeded):
    with real_worker.sending():
        result = refresh_province_summary_task.delay()
        rows = result.get(timeout=60)

    assert rows == 25
    summary = ProvinceSummary.objects.get(province_id="12")
    assert (summary.residents, summary.submitted, summary.verified) == (7, 2, 1)
    assert f"refresh_province_summary_task[{result.id}] succeeded" in real_worker.output()


@pytest.mark.django_db
def test_the_snapshot_task_taken_twice_on_a_day_keeps_one_row_per_province(seeded):
    take_daily_snapshot_task.delay("2026-11-20").get()
    make_record(province="12", status="submitted", maker=seeded.maker_pp, checker=seeded.checker_pp)
    take_daily_snapshot_task.delay("2026-11-20").get()

    assert DailySnapshot.objects.filter(day=dt.date(2026, 11, 20)).count() == 25
    assert DailySnapshot.objects.get(day=dt.date(2026, 11, 20), province_id="12").residents == 8


def test_both_tasks_are_on_the_beat_schedule(settings):
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "provinces.tasks.refresh_province_summary_task" in scheduled
    assert "provinces.tasks.take_daily_snapshot_task" in scheduled
    assert "provinces.tasks.refresh_province_summary_task" in app.tasks
