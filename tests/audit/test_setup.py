"""The set-up of the two database roles: `make db` (scripts/create-db.py) and `make env`.

A database a superuser created and filled before (every machine set up by an earlier release) is
handed to the owner, and a role that had been given too much is brought back to what it must be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def admin(dbname: str = "postgres") -> psycopg.Connection:
    a = settings.DATABASE_ADMIN
    return psycopg.connect(
        host=a["HOST"] or "127.0.0.1", port=a["PORT"] or 5432, user=a["USER"],
        password=a["PASSWORD"] or None, dbname=dbname, autocommit=True,
    )  # fmt: skip


def server() -> str:
    a = settings.DATABASE_ADMIN
    return f"{a['HOST'] or '127.0.0.1'}:{a['PORT'] or 5432}"


def create_db(name: str, owner: str, app: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{app}:app-pw@{server()}/{name}",
        "DATABASE_OWNER_URL": f"postgres://{owner}:owner-pw@{server()}/{name}",
    }
    return subprocess.run(
        [sys.executable, "scripts/create-db.py"], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True,
    )  # fmt: skip


def test_make_db_hands_a_superusers_database_to_the_owner_and_tames_the_application_role():
    name = f"test_setup_{uuid.uuid4().hex[:8]}"
    owner, app = f"{name}_owner", f"{name}_app"
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        conn.execute(f'CREATE ROLE "{app}" LOGIN SUPERUSER CREATEDB')  # given too much before
    try:
        with admin(name) as conn:
            conn.execute("CREATE TABLE audit_auditevent (id bigserial PRIMARY KEY, hash text)")
            conn.execute("CREATE FUNCTION audit_event_refuse_change() RETURNS trigger "
                         "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")  # fmt: skip

        first = create_db(name, owner, app)
        second = create_db(name, owner, app)

        with admin(name) as conn:
            database_owner = conn.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
            ).fetchone()[0]
            owners = conn.execute(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                "WHERE relnamespace = 'public'::regnamespace"
            ).fetchall()
            function_owner = conn.execute(
                "SELECT pg_get_userbyid(proowner) FROM pg_proc "
                "WHERE proname = 'audit_event_refuse_change'"
            ).fetchone()[0]
            roles = conn.execute(
                "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles "
                "WHERE rolname IN (%s, %s) ORDER BY rolname",
                [owner, app],
            ).fetchall()
    finally:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')
            conn.execute(f'DROP ROLE IF EXISTS "{app}"')

    assert first.stdout == f"Creating database role {owner}\n"
    assert second.stdout == ""
    assert database_owner == owner
    assert owners == [(owner,)]
    assert function_owner == owner
    assert roles == [(app, False, False, False, True), (owner, False, True, False, True)]


def test_make_env_gives_an_older_env_an_audit_key_and_two_roles_and_keeps_the_rest(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "make-env.py", tmp_path / "scripts")
    old = (
        "DJANGO_SECRET_KEY=kept\n"
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/gdi_ims_x\n"
        "BLIND_INDEX_KEY=kept-too\n"
    )
    (tmp_path / ".env").write_text(old)

    subprocess.run([sys.executable, tmp_path / "scripts" / "make-env.py"], check=True)
    upgraded = (tmp_path / ".env").read_text()
    subprocess.run([sys.executable, tmp_path / "scripts" / "make-env.py"], check=True)

    values = dict(line.split("=", 1) for line in upgraded.splitlines())
    assert values["DJANGO_SECRET_KEY"] == "kept"
    assert values["BLIND_INDEX_KEY"] == "kept-too"
    assert values["DATABASE_URL"].startswith("postgres://gdi_ims_x_app:")
    assert values["DATABASE_URL"].endswith("@127.0.0.1:5432/gdi_ims_x")
    assert values["DATABASE_OWNER_URL"].startswith("postgres://gdi_ims_x_owner:")
    assert values["DATABASE_OWNER_URL"].endswith("@127.0.0.1:5432/gdi_ims_x")
    assert len(values["AUDIT_HMAC_KEY"]) == 43
    assert (tmp_path / ".env").read_text() == upgraded
