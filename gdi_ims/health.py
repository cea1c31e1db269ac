"""Health checks for `/healthz`: database, Redis and a live Celery worker."""

from __future__ import annotations

from celery import Celery
from django.conf import settings
from django.db import connection
from redis import Redis


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def check_redis() -> str | None:
    try:
        Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1
        ).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def check_worker() -> str | None:
    # A throw-away client app: pinging through the shared one would leave its reply queue
    # bindings cached on whatever broker it last talked to.
    probe = Celery("gdi_ims_health", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    try:
        replies = probe.control.ping(timeout=1.0)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        probe.close()
    if not replies:
        return "no Celery worker answered"
    return None


def run_checks() -> dict[str, str | None]:
    """Run every check; a None value means the part is healthy."""
    checks = {"database": check_database(), "redis": check_redis()}
    # Without Redis a worker ping would only wait for its time-out.
    checks["worker"] = check_worker() if checks["redis"] is None else "redis is down"
    return checks
