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


def check_workers() -> dict[str, str | None]:
    """Whether a worker answers, and for each queue of the IMS whether a worker consumes it."""
    from gdi_ims.celery import app, queues

    base = app.conf.task_default_queue
    # queue name -> its key on the health page ("queue:default", "queue:prints"...)
    wanted = {q: f"queue:{'default' if q == base else q.rsplit('.', 1)[1]}" for q in queues(base)}
    # A throw-away client app: pinging through the shared one would leave its reply queue
    # bindings cached on whatever broker it last talked to.
    probe = Celery("gdi_ims_health", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    try:
        consumed = probe.control.inspect(timeout=1.0).active_queues() or {}
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        return {"worker": error, **dict.fromkeys(wanted.values(), error)}
    finally:
        probe.close()
    if not consumed:
        return {
            "worker": "no Celery worker answered",
            **dict.fromkeys(wanted.values(), "no worker"),
        }
    listening: dict[str, list[str]] = {}
    for worker, entries in consumed.items():
        for entry in entries or []:
            listening.setdefault(entry.get("name", ""), []).append(worker)
    return {
        "worker": None,
        **{
            key: None if listening.get(q) else "no worker on this queue"
            for q, key in wanted.items()
        },
    }


def run_checks() -> dict[str, str | None]:
    """Run every check; a None value means the part is healthy."""
    checks: dict[str, str | None] = {"database": check_database(), "redis": check_redis()}
    if checks["redis"] is None:
        checks.update(check_workers())
    else:  # without Redis a worker ping would only wait for its time-out
        checks["worker"] = "redis is down"
    return checks
