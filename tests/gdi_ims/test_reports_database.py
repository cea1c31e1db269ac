"""Where the IMS's reports read: the primary whenever the standby is absent, down or behind.

The standby's own behaviour (fresh, behind, down, promoted) is proven on real servers in
tests/gdi_ims/test_standby.py; these show the pages keep answering from the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from gdi_ims import db_router
from provinces import selectors
from residents.models import Resident
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
