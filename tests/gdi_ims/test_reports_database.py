"""Where the IMS's reports read: the primary whenever the standby is absent, down or behind.

The standby's own behaviour (fresh, behind, down, promoted) is proven on real servers in
tests/gdi_ims/test_standby.py; these show the pages keep answering from the primary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from compilation import selectors
from core import db_router
from residents.models import Resident
from tests.conftest import ROOT
from tests.factories import ResidentFactory
from tests.gdi_ims.pg_drill import django_alias
from tests.gdi_ims.servers import free_port
from tests.imports.conftest import read_csv_response


@pytest.fixture
def standby_down(settings: Any) -> Iterator[None]:
    """A standby configured on a port nothing listens on."""
    settings.DATABASE_REPLICA_URL = "postgres://postgres@127.0.0.1/postgres"  # the alias below
    with django_alias(db_router.REPLICA, free_port()):
        yield


def test_without_a_standby_reports_read_the_primary() -> None:
    assert db_router.database_for_reports() == DEFAULT_DB_ALIAS


def test_the_dashboard_reads_the_primary_when_the_standby_is_down(
    director_client, director: User, standby_down: None
) -> None:
    ResidentFactory(surname="PPONE")

    with CaptureQueriesContext(connection) as on_primary:
        response = director_client.get(reverse("provinces:dashboard"))

    assert response.status_code == 200
    assert "Phnom Penh" in response.content.decode()
    assert any('"provinces_province"' in query["sql"] for query in on_primary.captured_queries)
    assert selectors.dashboard_for(user=director).using == DEFAULT_DB_ALIAS


def test_the_hq_export_reads_the_primary_when_the_standby_is_down(
    director_client, geo: None, standby_down: None
) -> None:
    ResidentFactory(surname="PPONE")
    ResidentFactory(surname="SRONE", province_id="17")

    response = director_client.get(reverse("imports:export-download"), {"format": "csv"})

    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert sorted(row[0] for row in read_csv_response(content)[1:]) == ["PPONE", "SRONE"]


def test_every_write_goes_to_the_primary_and_migrations_run_only_there() -> None:
    router = db_router.PrimaryReplicaRouter()
    read_from_standby = Resident()
    read_from_standby._state.db = db_router.REPLICA

    assert router.db_for_write(Resident, instance=read_from_standby) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "residents") is True
    assert router.allow_migrate(db_router.REPLICA, "residents") is False


SHOW_DATABASES = """
import json, django
django.setup()
from django.conf import settings as s
replica = s.DATABASES.get("replica")
print(json.dumps({"replica": replica and {k: replica[k] for k in ("HOST", "PORT", "NAME",
    "CONN_MAX_AGE", "OPTIONS")}, "routers": s.DATABASE_ROUTERS,
    "max_lag": s.DATABASE_REPLICA_MAX_LAG_SECONDS}))
"""


def settings_with(module: str, **env: str) -> dict[str, Any]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": module, "DATABASE_POOL": "true", **env}
    out = subprocess.run(
        [sys.executable, "-c", SHOW_DATABASES], cwd=ROOT, env=environment, capture_output=True,
        text=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_standby_url_gives_a_replica_alias_without_a_pool_and_with_a_connect_timeout() -> None:
    shown = settings_with(
        "gdi_ims.settings.base",
        DATABASE_REPLICA_URL="postgres://ims_app:secret@127.0.0.1:5433/gdi_ims",
        DATABASE_REPLICA_MAX_LAG_SECONDS="12.5",
        DATABASE_REPLICA_CONNECT_TIMEOUT="3",
        DATABASE_CONN_MAX_AGE="60",
    )

    assert shown == {
        "replica": {
            "HOST": "127.0.0.1",
            "PORT": 5433,
            "NAME": "gdi_ims",
            "CONN_MAX_AGE": 60,
            "OPTIONS": {"connect_timeout": 3},
        },
        "routers": ["core.db_router.PrimaryReplicaRouter"],
        "max_lag": 12.5,
    }


def test_the_test_suite_never_reads_a_configured_standby() -> None:
    shown = settings_with(
        "gdi_ims.settings.test",
        DATABASE_REPLICA_URL="postgres://ims_app:secret@127.0.0.1:5433/gdi_ims",
    )

    assert shown["replica"] is None
