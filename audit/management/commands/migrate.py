"""`migrate` as the owner role (DATABASE_OWNER_URL) instead of the application's (DATABASE_URL).

The application's role owns nothing and cannot create or alter a table; the owner does that here,
and the post_migrate receiver (audit.roles) grants the application's role its privileges. Only
the credentials change: the database stays the connection's own (a test database included).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections

from audit.roles import owner_credentials


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Connects as the owner role (DATABASE_OWNER_URL)."

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.alias != DEFAULT_DB_ALIAS:
            super().handle(*args, **options)
            return
        owner = owner_credentials()
        saved = {key: connection.settings_dict.get(key) for key in owner}
        if saved == owner:
            super().handle(*args, **options)
            return
        connection.close()
        connection.settings_dict.update(owner)
        try:
            super().handle(*args, **options)
        finally:
            connection.close()
            connection.settings_dict.update(saved)
