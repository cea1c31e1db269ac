"""The nightly jobs' settings, read once per run (tests override them with `settings`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cards.models import EXPIRING_WINDOW_DAYS


def thresholds() -> tuple[int, ...]:
    """Renewal-notice thresholds in days before expiry, largest first (90, 60, 30 by default).

    None may exceed the cards' expiring window: a notice says "renew", and only a card within
    the window (or expired) can be renewed.
    """
    values = tuple(sorted({int(t) for t in settings.CARDS_EXPIRY_THRESHOLDS}, reverse=True))
    if not values or values[-1] <= 0 or values[0] > EXPIRING_WINDOW_DAYS:
        raise ImproperlyConfigured(
            f"CARDS_EXPIRY_THRESHOLDS must be between 1 and {EXPIRING_WINDOW_DAYS} days"
        )
    return values


def chunk_size() -> int:
    return max(1, int(settings.JOBS_CHUNK_SIZE))


def chunk_pause() -> float:
    """Seconds to sleep after each committed chunk: 0 in production; tests use it to stop a
    worker between chunks."""
    return float(settings.JOBS_CHUNK_PAUSE_SECONDS)


def stuck_days() -> int:
    return int(settings.JOBS_STUCK_DAYS)


def site_url() -> str:
    return settings.JOBS_SITE_URL.rstrip("/")
