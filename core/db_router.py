"""The standby database: HQ's reports read from it when it is close enough behind the primary.

Only reads that ask for it (the HQ dashboard, the director's headline, exports) go to the
standby, through `.using(database_for_reports())`; everything else reads the primary, and every
write goes to the primary whatever a model instance was read from. A standby that does not
answer, is no longer in recovery (promoted, or a primary by mistake) or has replayed nothing for
more than DATABASE_REPLICA_MAX_LAG_SECONDS while WAL is waiting is skipped: the report then reads
the primary, slower for it but never wrong by more than the limit.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"

# Nothing waits to be replayed: the standby is as fresh as the primary however long ago its last
# transaction came in (an idle primary). Otherwise: seconds since the last replayed commit, and
# infinitely behind when it has replayed none since it started or is not yet receiving.
LAG_QUERY = """
    SELECT pg_is_in_recovery(),
           CASE WHEN NOT pg_is_in_recovery()
                  OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
                              'infinity'::float8)
           END
"""


class PrimaryReplicaRouter:
    """Writes and migrations on the primary; a read goes where its queryset or instance says."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return None

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: object, obj2: object, **hints: Any) -> bool:
        return True  # the standby holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


# Per process: until when a standby that did not answer is left alone, so that a standby whose
# machine is unreachable costs one connect timeout per DATABASE_REPLICA_RETRY_SECONDS, not one per
# report.
_down_until = 0.0


def retry_replica_now() -> None:
    """Forget that the standby did not answer (a new connection to it, in tests)."""
    global _down_until
    _down_until = 0.0


def replica_lag(alias: str = REPLICA) -> float | None:
    """Seconds the standby's replay is behind; None when it does not answer or is no standby."""
    global _down_until
    if time.monotonic() < _down_until:
        return None
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_QUERY)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError:
        connection.close()  # a new connection next time: the standby may be back
        _down_until = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
        return None
    return float(lag) if in_recovery else None


def database_for_reports() -> str:
    """The alias a report reads from: the standby when configured, answering and fresh enough."""
    if not settings.DATABASE_REPLICA_URL:
        return DEFAULT_DB_ALIAS
    lag = replica_lag(REPLICA)
    if lag is None or lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        return DEFAULT_DB_ALIAS
    return REPLICA
