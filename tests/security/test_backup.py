"""`make backup` and `make restore`: a dump restored into a fresh database finds every resident."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from residents.models import Resident, TravelDocument
from tests.conftest import _database_url
from tests.factories import TravelDocumentFactory

ROOT = Path(__file__).resolve().parents[2]


def server_url() -> str:
    return _database_url().rsplit("/", 1)[0]


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_finds_every_resident(geo, tmp_path):
    for n in range(4):
        TravelDocumentFactory(number=f"E7000000{n}")
    env = {**os.environ, "DATABASE_URL": _database_url(), "BACKUP_DIR": str(tmp_path)}
    scratch = f"test_restore_{uuid.uuid4().hex[:10]}"

    backup = subprocess.run(
        ["make", "-s", "backup"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    dump = Path(backup.stdout.strip().splitlines()[-1])
    try:
        restore = subprocess.run(
            ["make", "-s", "restore", f"FILE={dump}", f"DB={scratch}"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        with psycopg.connect(f"{server_url()}/{scratch}") as conn:
            restored = conn.execute(
                "SELECT id, surname FROM residents_resident ORDER BY id"
            ).fetchall()
            documents = conn.execute(
                "SELECT number_encrypted FROM residents_traveldocument ORDER BY id"
            ).fetchall()
    finally:
        with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')

    assert dump.parent == tmp_path and dump.suffix == ".dump"
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    assert f"restored into database {scratch}" in restore.stdout
    assert restored == list(Resident.objects.order_by("id").values_list("id", "surname"))
    assert len(restored) == 4
    assert [row[0] for row in documents] == list(
        TravelDocument.objects.order_by("id").values_list("number_encrypted", flat=True)
    )


def test_restore_without_a_file_explains_its_usage():
    result = subprocess.run(["make", "-s", "restore"], cwd=ROOT, capture_output=True, text=True)

    assert result.returncode != 0
    assert "usage: make restore FILE=" in result.stdout
