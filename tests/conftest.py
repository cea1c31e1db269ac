"""Fixtures of the whole suite: geography, personas and a real Celery worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from gdi_ims.celery import app as celery_app
from gdi_ims.celery import queues
from provinces.geography import load_geography_now
from residents.reference import load_residence_bases
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PHNOM_PENH, SIEM_REAP = "12", "17"


@pytest.fixture
def geo(db: None) -> None:
    """The reference data the migrations load (geography, bases of residence).

    Transactional tests flush every table, migrations' data included, so load what is missing.
    """
    load_geography_now()
    load_residence_bases()


# --- Personas: fixed names, one per role; provincial ones in Phnom Penh, and one in Siem Reap. ---
@pytest.fixture
def officer(geo: None) -> User:
    return UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id=PHNOM_PENH)


@pytest.fixture
def officer2(geo: None) -> User:
    return UserFactory(username="officer2_pp", role=User.Role.OFFICER, province_id=PHNOM_PENH)


@pytest.fixture
def verifier(geo: None) -> User:
    return UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id=PHNOM_PENH)


@pytest.fixture
def other_officer(geo: None) -> User:
    """An officer of another province (Siem Reap): must never see Phnom Penh's records."""
    return UserFactory(username="officer_sr", role=User.Role.OFFICER, province_id=SIEM_REAP)


@pytest.fixture
def other_verifier(geo: None) -> User:
    return UserFactory(username="verifier_sr", role=User.Role.VERIFIER, province_id=SIEM_REAP)


@pytest.fixture
def director(geo: None) -> User:
    return UserFactory(username="director", role=User.Role.DIRECTOR, province=None)


@pytest.fixture
def clerk(geo: None) -> User:
    return UserFactory(username="clerk", role=User.Role.CLERK, province=None)


@pytest.fixture
def administrator(geo: None) -> User:
    return UserFactory(
        username="admin", role=User.Role.ADMIN, province=None, is_staff=True, is_superuser=True
    )


def client_for(user: User) -> Client:
    """A client signed in as `user`, second factor included (a TOTP device verified in session)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.otp import ensure_confirmed_device

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = ensure_confirmed_device(user).persistent_id
    session.save()
    return client


@pytest.fixture
def officer_client(officer: User) -> Client:
    return client_for(officer)


@pytest.fixture
def verifier_client(verifier: User) -> Client:
    return client_for(verifier)


@pytest.fixture
def other_officer_client(other_officer: User) -> Client:
    return client_for(other_officer)


@pytest.fixture
def director_client(director: User) -> Client:
    return client_for(director)


@pytest.fixture
def clerk_client(clerk: User) -> Client:
    return client_for(clerk)


@pytest.fixture
def admin_client_(administrator: User) -> Client:
    return client_for(administrator)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Axes counters and rate limits live in the cache, rendered fragments in memory: start
    every test from clean ones."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A page requested in Khmer leaves Khmer active in the thread: every test starts from the
    default language, whatever ran before it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Path, settings: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _audit_anchor_file(tmp_path: Path, settings: object) -> None:
    """Each test anchors its own trail: an anchor left by another test names rows rolled back."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchor.log"


# --- A real Celery worker -------------------------------------------------------------------
@dataclass
class RealWorker:
    queue: str
    process: subprocess.Popen[bytes]
    log: Path

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Send tasks to this worker through Redis instead of running them in-process."""
        conf = celery_app.conf
        saved = conf.task_always_eager, conf.task_default_queue
        conf.task_always_eager, conf.task_default_queue = False, self.queue
        try:
            yield
        finally:
            conf.task_always_eager, conf.task_default_queue = saved

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def start_worker(tmp_dir: Path, *extra_args: str, kinds: list[str] | None = None) -> RealWorker:
    """A worker of every queue of its own base name, or only of the `kinds` given ("prints"...)."""
    queue = f"gdi_ims_test_{uuid.uuid4().hex[:8]}"
    consumed = [f"{queue}.{kind}" for kind in kinds] if kinds else queues(queue)
    log = tmp_dir / f"{queue}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gdi_ims.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": queue,
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    cmd = [sys.executable, "-m", "celery", "-A", "gdi_ims", "worker", "--pool=solo",
           "--loglevel=INFO", "--without-gossip", "--without-mingle", "-Q", ",".join(consumed),
           "-n", f"{queue}@%h", *extra_args]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    worker = RealWorker(queue=queue, process=process, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{worker.output()}")
        # "ready." is printed before the remote-control consumer answers pings: wait for both.
        if "ready." in worker.output() and celery_app.control.ping(
            destination=[f"{queue}@{socket.gethostname()}"], timeout=0.5
        ):
            return worker
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"Celery worker did not start:\n{worker.output()}")


def stop_worker(worker: RealWorker) -> None:
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


@pytest.fixture
def real_worker(transactional_db: None, tmp_path: Path) -> Iterator[RealWorker]:
    """A real Celery worker process on its own Redis queue, reading the test database."""
    worker = start_worker(tmp_path)
    try:
        yield worker
    finally:
        stop_worker(worker)
