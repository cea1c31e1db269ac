from __future__ import annotations

import pytest
from django.test import Client

QUEUES = ["queue:default", "queue:prints", "queue:imports", "queue:nightly", "queue:reports"]


@pytest.mark.worker
def test_health_is_ok_when_database_redis_and_a_worker_of_every_queue_answer(real_worker):
    with real_worker.sending():
        response = Client().get("/healthz")

    assert response.json() == {
        "status": "ok",
        "down": [],
        "checks": {"database": "ok", "redis": "ok", "worker": "ok", **dict.fromkeys(QUEUES, "ok")},
    }
    assert response.status_code == 200


@pytest.mark.worker
def test_health_names_each_queue_no_worker_consumes(tmp_path, transactional_db):
    from tests.conftest import start_worker, stop_worker

    # given a worker of print runs only
    worker = start_worker(tmp_path, kinds=["prints"])
    try:
        with worker.sending():
            response = Client().get("/healthz")
    finally:
        stop_worker(worker)

    # then the page names the queues nobody works on
    body = response.json()
    assert response.status_code == 503
    assert body["down"] == ["queue:default", "queue:imports", "queue:nightly", "queue:reports"]
    assert body["checks"]["worker"] == "ok" and body["checks"]["queue:prints"] == "ok"


@pytest.mark.django_db
def test_health_names_the_worker_when_no_worker_listens(settings, caplog):
    # A Redis database no worker of this suite or of the app uses.
    settings.CELERY_BROKER_URL = settings.TEST_REDIS_URL.rsplit("/", 1)[0] + "/11"

    response = Client().get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body == {
        "status": "down",
        "down": sorted(["worker", *QUEUES]),
        "checks": {
            "database": "ok",
            "redis": "ok",
            "worker": "down",
            **dict.fromkeys(QUEUES, "down"),
        },
    }
    assert "health check failed: worker: no Celery worker answered" in caplog.text


@pytest.mark.django_db
def test_health_names_redis_when_it_is_unreachable(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = Client().get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["down"] == ["redis", "worker"]
    assert body["checks"] == {"database": "ok", "redis": "down", "worker": "down"}
    # The reason (host and port) is logged, not shown to the public.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_health_refuses_post():
    response = Client().post("/healthz")

    assert response.status_code == 405
