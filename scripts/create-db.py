"""Create the IMS's two database roles and its database; hand existing objects to the owner.

Reads DATABASE_URL (the application's role), DATABASE_OWNER_URL (the owner) and
DATABASE_ADMIN_URL (a superuser; default postgres on DATABASE_URL's server) from the environment,
else from .env. Idempotent: roles are created when absent and otherwise brought back to what they
must be (the application's role: no superuser, no CREATEDB, no CREATEROLE, not a member of the
owner); the database, and a test database left over from an interrupted run, are given to the
owner, with every table, view, sequence and function of the schema a superuser created before.
`manage.py migrate` then grants the application's role its privileges (audit/roles.py).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(ROOT / ".env", overwrite=False)

app_url = env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/gdi_ims")
owner_url = env.str("DATABASE_OWNER_URL", default="") or app_url
server = urlsplit(app_url)
admin_url = env.str("DATABASE_ADMIN_URL", default="") or (
    f"{server.scheme}://postgres@{server.hostname or '127.0.0.1'}:{server.port or 5432}/postgres"
)
app, owner = environ.Env.db_url_config(app_url), environ.Env.db_url_config(owner_url)
name = app["NAME"]
if owner["NAME"] != name:
    sys.exit("DATABASE_URL and DATABASE_OWNER_URL must name the same database")

TRANSFER = """
DO $$
DECLARE
    r record;
    owner text := {owner};
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS object, c.relkind FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND pg_get_userbyid(c.relowner) <> owner
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I',
            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                           WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.object, owner);
    END LOOP;
    -- Sequences a table owns moved with it; the others move here.
    FOR r IN
        SELECT c.oid::regclass AS object FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind = 'S'
          AND pg_get_userbyid(c.relowner) <> owner
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
    LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.object, owner);
    END LOOP;
    -- Trigger functions (the audit trail's, pgtrigger's), never an extension's.
    FOR r IN
        SELECT p.oid::regprocedure AS object FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND pg_get_userbyid(p.proowner) <> owner
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.object, owner);
    END LOOP;
END
$$;
"""


def one(conn: psycopg.Connection[Any], query: str, *params: object) -> Any:
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def ensure_role(conn: psycopg.Connection[Any], who: dict[str, Any], attributes: str) -> None:
    role = sql.Identifier(who["USER"])
    exists = one(conn, "SELECT 1 FROM pg_roles WHERE rolname = %s", who["USER"])
    verb = "ALTER" if exists else "CREATE"
    if not exists:
        print(f"Creating database role {who['USER']}")
    statement = sql.SQL(f"{verb} ROLE {{}} WITH LOGIN {attributes}").format(role)
    if who["PASSWORD"]:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(who["PASSWORD"]))
    conn.execute(statement)


def give_database(conn: psycopg.Connection[Any], database: str, role: str) -> None:
    current = one(
        conn, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", database
    )
    if current is not None and current != role:
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )


with psycopg.connect(admin_url, autocommit=True) as admin:
    # One role for everything (DATABASE_OWNER_URL unset, or the superuser itself): as before.
    if app["USER"] in (owner["USER"], one(admin, "SELECT current_user")):
        print(
            f"warning: DATABASE_URL connects as {app['USER']}, the owner or the superuser: the "
            "audit trail is not protected from the application (see README, Audit trail)",
            file=sys.stderr,
        )
        if one(admin, "SELECT 1 FROM pg_database WHERE datname = %s", name) is None:
            print(f"Creating database {name}")
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        sys.exit(0)
    ensure_role(admin, owner, "CREATEDB")
    ensure_role(admin, app, "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    if one(
        admin,
        "SELECT 1 FROM pg_auth_members WHERE roleid = %s::regrole AND member = %s::regrole",
        owner["USER"],
        app["USER"],
    ):
        admin.execute(
            sql.SQL("REVOKE {} FROM {}").format(
                sql.Identifier(owner["USER"]), sql.Identifier(app["USER"])
            )
        )
    if one(admin, "SELECT 1 FROM pg_database WHERE datname = %s", name) is None:
        print(f"Creating database {name}")
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner["USER"])
            )
        )
    give_database(admin, name, owner["USER"])
    give_database(admin, f"test_{name}", owner["USER"])

database_url = urlsplit(admin_url)._replace(path=f"/{name}").geturl()
with psycopg.connect(database_url, autocommit=True) as conn:
    conn.execute(sql.SQL(TRANSFER).format(owner=sql.Literal(owner["USER"])))
    conn.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(name), sql.Identifier(app["USER"])
        )
    )
