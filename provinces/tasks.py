"""Celery tasks of the provinces app: the dashboard's summary and the daily snapshots."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from provinces import services


@shared_task
def refresh_province_summary_task() -> int:
    """Rewrite the dashboard's figures (beat, every 10 minutes, and "refresh now")."""
    return services.province_summary_refresh()


@shared_task
def take_daily_snapshot_task(day: str | None = None) -> int:
    """Take the day's snapshot of every province; running it twice leaves one row per province."""
    return services.daily_snapshot_take(day=dt.date.fromisoformat(day) if day else None)
