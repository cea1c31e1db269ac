"""The database roles: the owner migrates and owns every table; the application's role reads and
writes them, except the audit trail, which it may only read and append to.

`scripts/create-db.sh` creates both roles and hands the database to the owner; `manage.py
migrate` connects as the owner (audit/management/commands/migrate.py) and, once done, grants the
application's role its privileges here, so every migrated database (the test databases too) has
them. A role that owns neither the table nor is a superuser cannot disable the audit trail's
triggers, alter the table, or switch `session_replication_role`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

AUDIT_TABLE = "audit_auditevent"
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def application_role() -> str:
    """The role DATABASE_URL connects as: the one web, workers and beat use."""
    return settings.DATABASE_APPLICATION["USER"]


def owner_credentials() -> dict[str, Any]:
    return {key: settings.DATABASE_OWNER[key] for key in CREDENTIALS}


def grant_application_role(*, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Grant the application's role its privileges on what the connected owner owns.

    Every table and sequence of the schema, and those later migrations create (default
    privileges); on the audit table SELECT and INSERT only. Returns the role granted to, or None
    when there is no separate application role (it does not exist, or it is the connected one).
    """
    connection = connections[using]
    role = application_role()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, current_schema(), "
            "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
            [role],
        )
        me, schema, exists = cursor.fetchone()
        if not exists or role == me:
            return None
        app, owner, schema = (connection.ops.quote_name(n) for n in (role, me, schema))
        for statement in (
            f"GRANT USAGE ON SCHEMA {schema} TO {app}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
            # nextval() needs USAGE; setval() (UPDATE) is for migrations only.
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
            f"REVOKE ALL ON SEQUENCES FROM {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
            # The trail: read and append, nothing else, for the application and for anyone.
            f"REVOKE ALL ON {AUDIT_TABLE} FROM {app}, PUBLIC",
            f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {app}",
        ):
            cursor.execute(statement)
    return role


def granted_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver: every migrate ends with the application role's grants."""
    grant_application_role(using=using)
