"""The application's database role (DATABASE_URL) cannot rewrite the audit trail in any way.

The suite itself connects as the owner (it creates the test database); these tests connect to
the same test database as the role web, workers and beat use, after `migrate` granted it its
privileges (audit/roles.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent
from audit.selectors import audit_chain_problems
from audit.services import audit_record

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def app_role() -> dict[str, object]:
    return settings.DATABASE_APPLICATION


def app_url() -> str:
    app, db = app_role(), connection.settings_dict
    password = f":{app['PASSWORD']}" if app["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{app['USER']}{password}@{host}:{port}/{db['NAME']}"


def as_app_role() -> psycopg.Connection:
    app = psycopg.connect(app_url(), autocommit=True)
    superuser = app.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if superuser != (False,):
        app.close()  # left open, it would keep the test database from being dropped
    assert superuser == (False,), "DATABASE_URL must name the application role (make env db)"
    return app


def trail_rows() -> list[tuple[object, ...]]:
    return list(AuditEvent.objects.order_by("id").values_list("id", "action", "detail", "hash"))


def test_the_application_role_is_neither_superuser_nor_owner_and_only_reads_and_appends(db):
    role, owner = app_role()["USER"], connection.settings_dict["USER"]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
            "FROM pg_roles WHERE rolname = %s",
            [role],
        )
        attributes = cursor.fetchone()
        cursor.execute(
            "SELECT pg_get_userbyid(datdba), (SELECT rolsuper FROM pg_roles WHERE rolname = %s) "
            "FROM pg_database WHERE datname = current_database()",
            [owner],
        )
        database_owner, owner_is_superuser = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND pg_get_userbyid(relowner) = %s",
            [role],
        )
        owned = cursor.fetchone()[0]
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
        member_of_owner = cursor.fetchone()[0]
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_name = 'audit_auditevent' ORDER BY privilege_type",
            [role],
        )
        audit_privileges = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_name = 'residents_resident' ORDER BY privilege_type",
            [role],
        )
        resident_privileges = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT has_sequence_privilege(%s, 'audit_auditevent_id_seq', 'USAGE'), "
            "has_sequence_privilege(%s, 'audit_auditevent_id_seq', 'UPDATE')",
            [role, role],
        )
        sequence_privileges = cursor.fetchone()

    assert role != owner, "DATABASE_URL and DATABASE_OWNER_URL must name two roles (make env db)"
    assert attributes == (False, False, False, False, False)
    assert (database_owner, owner_is_superuser) == (owner, False)  # the owner made this database
    assert owned == 0
    assert member_of_owner is False
    assert audit_privileges == ["INSERT", "SELECT"]
    assert resident_privileges == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    assert sequence_privileges == (True, False)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'sign_in', object_repr = 'nothing to see'",
        "DELETE FROM audit_auditevent WHERE id = (SELECT max(id) FROM audit_auditevent)",
        "TRUNCATE audit_auditevent",
        "SET session_replication_role = replica",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_event_no_update_delete ON audit_auditevent",
        "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "ALTER TABLE audit_auditevent RENAME TO audit_auditevent_old",
        "DROP TABLE audit_auditevent",
        "SET ROLE {owner}",
        "ALTER ROLE {app} SUPERUSER",
    ],
)
def test_as_the_application_role_every_attempt_to_rewrite_the_trail_fails(db, sql):
    for _ in range(3):
        audit_record(actor=None, action=AuditEvent.Action.OTHER, detail={"n": 1})
    before = trail_rows()
    statement = sql.replace("{owner}", connection.settings_dict["USER"])
    statement = statement.replace("{app}", str(app_role()["USER"]))

    with as_app_role() as app, pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute(statement)

    assert trail_rows() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        triggers = cursor.fetchall()
    assert triggers == [("audit_event_no_truncate", "O"), ("audit_event_no_update_delete", "O")]
    assert list(audit_chain_problems()) == []


def test_a_replica_session_of_the_application_role_cannot_slip_an_update_through(db):
    audit_record(actor=None, action=AuditEvent.Action.OTHER)
    before = trail_rows()

    with as_app_role() as app:
        app.autocommit = False
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("SET LOCAL session_replication_role = replica")
        app.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("UPDATE audit_auditevent SET action = 'sign_in'")
        app.rollback()

    assert trail_rows() == before


def test_the_application_running_as_its_role_records_and_verifies_the_trail(db):
    audit_record(actor=None, action=AuditEvent.Action.OTHER)
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from django.core.management import call_command\n"
        "from audit.services import audit_record\n"
        "audit_record(actor=None, action='job_run_requested', detail={'by': 'app role'})\n"
        "call_command('verify_audit')\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT current_user')\n"
        "    print('connected as', c.fetchone()[0])\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gdi_ims.settings.base",
        "DATABASE_URL": app_url(),
        "DATABASE_OWNER_URL": "",
        "AUDIT_HMAC_KEY": settings.AUDIT_HMAC_KEY,
        "AUDIT_ANCHOR_FILE": str(settings.AUDIT_ANCHOR_FILE),
    }

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert f"connected as {app_role()['USER']}" in result.stdout
    assert "audit trail intact: 2 rows" in result.stdout
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "other",
        "job_run_requested",
    ]
    assert Path(settings.AUDIT_ANCHOR_FILE).read_text().count("\n") == 1
    call_command("verify_audit")  # the anchor the application wrote holds under the same key
