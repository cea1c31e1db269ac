"""Celery tasks of the compilation: the dashboard's summary and the daily snapshots.

Their names are the ones they had when the compilation lived in `provinces`: the beat schedule,
the queue routing (`gdi_ims/celery.py`) and any message queued across a deploy keep naming them so.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from compilation import services


@shared_task(name="provinces.tasks.refresh_province_summary_task")
def refresh_province_summary_task() -> int:
    """Rewrite the dashboard's figures (beat, every 10 minutes, and "refresh now")."""
    return services.province_summary_refresh()


@shared_task(name="provinces.tasks.take_daily_snapshot_task")
def take_daily_snapshot_task(day: str | None = None) -> int:
    """Take the day's snapshot of every province; running it twice leaves one row per province."""
    return services.daily_snapshot_take(day=dt.date.fromisoformat(day) if day else None)
