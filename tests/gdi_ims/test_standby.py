"""The standby: streaming replication, the reports' lag guard and the failover drill, for real.

Each test starts its own primary and a standby copied from it by scripts/standby.sh (the shared
development server is never touched) and stops both when it ends, failed or not.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import environ
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from compilation import selectors
from core import db_router
from tests.gdi_ims.pg_drill import BINDIR, Drill, django_alias, drill_primary

REPLAY_BEHIND = "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"


@pytest.fixture
def drill() -> Iterator[Drill]:
    with drill_primary() as drill:
        drill.primary.sql("CREATE TABLE entry (id int PRIMARY KEY, note text NOT NULL)")
        yield drill


@pytest.fixture
def unblocked(django_db_blocker: Any) -> Iterator[None]:
    """Django connections to the drill's servers (these tests use no test database)."""
    with django_db_blocker.unblock():
        yield


def rows_via(alias: str) -> list[tuple[int, str]]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT id, note FROM entry ORDER BY id")
        return list(cursor.fetchall())


def test_a_row_written_on_the_primary_is_read_on_the_standby(drill: Drill) -> None:
    standby = drill.start_standby()

    drill.primary.sql("INSERT INTO entry VALUES (1, 'written on the primary')")

    standby.wait_for("SELECT note FROM entry WHERE id = 1", "written on the primary")
    assert standby.sql("SELECT pg_is_in_recovery()") == "t"
    assert drill.run("standby.sh", "status", **drill.standby_env(standby)) == "standby|0"


def test_starting_the_standby_again_when_it_runs_changes_nothing(drill: Drill) -> None:
    standby = drill.start_standby()
    started = standby.sql("SELECT pg_postmaster_start_time()")

    drill.run("standby.sh", "start", **drill.standby_env(standby))

    assert standby.sql("SELECT pg_postmaster_start_time()") == started
    assert standby.sql("SELECT pg_is_in_recovery()") == "t"


def test_the_standby_holds_a_slot_on_the_primary_until_it_is_removed(drill: Drill) -> None:
    standby = drill.start_standby()
    slots = "SELECT string_agg(slot_name || ':' || active, ',') FROM pg_replication_slots"
    assert drill.primary.sql(slots) == "ims_standby:true"

    drill.run("standby.sh", "remove", **drill.standby_env(standby))

    assert drill.primary.sql(slots) == ""
    assert not standby.data.exists()


def test_reports_read_the_standby_while_it_keeps_up_and_the_primary_when_it_is_behind_or_down(
    drill: Drill, unblocked: None, settings: Any
) -> None:
    settings.DATABASE_REPLICA_URL = "postgres://postgres@127.0.0.1/postgres"  # the alias below
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1.0
    settings.DATABASE_REPLICA_RETRY_SECONDS = 2.0
    standby = drill.start_standby()
    drill.primary.sql("INSERT INTO entry VALUES (1, 'before')")
    standby.wait_for("SELECT count(*) FROM entry", "1")

    with django_alias(db_router.REPLICA, standby.port):
        # Caught up: reports read the standby, and find the primary's row there.
        assert db_router.database_for_reports() == db_router.REPLICA
        assert rows_via(db_router.REPLICA) == [(1, "before")]

        # Replay paused while WAL keeps arriving: after more than the limit, the primary.
        standby.sql("SELECT pg_wal_replay_pause()")
        drill.primary.sql("INSERT INTO entry VALUES (2, 'while paused')")
        standby.wait_for(REPLAY_BEHIND, "t")
        time.sleep(1.2)
        lag = db_router.replica_lag()
        assert lag is not None
        assert lag > 1.0
        assert db_router.database_for_reports() == DEFAULT_DB_ALIAS
        assert rows_via(db_router.REPLICA) == [(1, "before")]  # what a report would have shown

        # Replay resumed: the standby again, with the new row.
        standby.sql("SELECT pg_wal_replay_resume()")
        standby.wait_for("SELECT count(*) FROM entry", "2")
        assert db_router.database_for_reports() == db_router.REPLICA

        # Standby down: the primary, at once; left alone for the retry time even once it is
        # back; then the standby again once it is streaming.
        drill.run("standby.sh", "stop", **drill.standby_env(standby))
        assert db_router.replica_lag() is None
        assert db_router.database_for_reports() == DEFAULT_DB_ALIAS
        drill.run("standby.sh", "start", **drill.standby_env(standby))
        standby.wait_for("SELECT pg_is_in_recovery()", "t")
        assert db_router.database_for_reports() == DEFAULT_DB_ALIAS  # within the retry time
        time.sleep(settings.DATABASE_REPLICA_RETRY_SECONDS)
        drill.primary.sql("INSERT INTO entry VALUES (3, 'after the restart')")
        standby.wait_for("SELECT count(*) FROM entry", "3")
        standby.wait_for(REPLAY_BEHIND, "f")
        assert db_router.database_for_reports() == db_router.REPLICA


def test_a_promoted_standby_is_no_longer_used_for_reports(
    drill: Drill, unblocked: None, settings: Any
) -> None:
    settings.DATABASE_REPLICA_URL = "postgres://postgres@127.0.0.1/postgres"  # the alias below
    standby = drill.start_standby()
    drill.run("standby.sh", "promote", **drill.standby_env(standby))

    with django_alias(db_router.REPLICA, standby.port):
        assert db_router.replica_lag() is None
        assert db_router.database_for_reports() == DEFAULT_DB_ALIAS


def test_failover_drill_promotes_the_standby_and_points_the_app_at_it_which_keeps_writing(
    drill: Drill, unblocked: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    standby = drill.start_standby()
    drill.primary.sql("INSERT INTO entry VALUES (1, 'before the failover')")
    standby.wait_for("SELECT count(*) FROM entry", "1")
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"DJANGO_DEBUG=false\n"
        f"DATABASE_URL=postgres://postgres@127.0.0.1:{drill.primary.port}/postgres\n"
        f"DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:{standby.port}/postgres\n"
    )

    output = drill.run(
        "failover.sh",
        FAILOVER_ENV_FILE=str(env_file),
        FAILOVER_OLD_PRIMARY_DIR=str(drill.primary.data),
        STANDBY_DIR=str(standby.data),
    )

    assert re.fullmatch(
        r"failed over in \d+ ms; .* points at port \d+: restart web, worker and beat", output
    )
    assert env_file.read_text() == (
        f"DJANGO_DEBUG=false\n"
        f"DATABASE_URL=postgres://postgres@127.0.0.1:{standby.port}/postgres\n"
        f"DATABASE_REPLICA_URL=\n"
    )
    assert not (drill.primary.data / "postmaster.pid").exists()  # the old primary is gone
    app_database = environ.Env.db_url_config(env_file.read_text().splitlines()[1].split("=", 1)[1])
    with django_alias("promoted", int(app_database["PORT"])):
        with connections["promoted"].cursor() as cursor:
            cursor.execute("INSERT INTO entry VALUES (2, 'after the failover')")
        assert rows_via("promoted") == [(1, "before the failover"), (2, "after the failover")]
    with capsys.disabled():
        print(f"\nfailover drill: {output.split(';')[0]}")


def copy_of_the_test_database(drill: Drill) -> None:
    """The IMS's tables and provinces on the drill's primary, from the suite's test database."""
    source = connection.settings_dict
    dump = subprocess.run(
        [str(BINDIR / "pg_dump"), "--no-owner", "--no-privileges", "-h", source["HOST"],
         "-p", str(source["PORT"]), "-U", source["USER"], "-d", source["NAME"],
         "--schema-only", "--no-publications", "--no-subscriptions"],
        capture_output=True, timeout=60, check=True,
        env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
    ).stdout  # fmt: skip
    subprocess.run(
        [str(BINDIR / "psql"), "-X", "-q", f"{drill.primary.conninfo} dbname=postgres"],
        input=dump, capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    drill.primary.sql(
        "INSERT INTO provinces_province (code, name_en, name_km) "
        "VALUES ('12', 'Phnom Penh, as the standby has it', 'ភ្នំពេញ')"
    )


@pytest.mark.django_db
def test_the_hq_dashboard_reads_the_standby_while_it_keeps_up_and_the_primary_once_behind(
    drill: Drill, director: Any, settings: Any
) -> None:
    settings.DATABASE_REPLICA_URL = "postgres://postgres@127.0.0.1/postgres"  # the alias below
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1.0
    copy_of_the_test_database(drill)
    standby = drill.start_standby()
    standby.wait_for("SELECT count(*) FROM provinces_province", "1")

    with django_alias(db_router.REPLICA, standby.port):
        board = selectors.dashboard_for(user=director)
        names = [row.province.name_en for row in board.rows]
        assert (board.using, names) == (db_router.REPLICA, ["Phnom Penh, as the standby has it"])

        standby.sql("SELECT pg_wal_replay_pause()")
        drill.primary.sql("UPDATE provinces_province SET name_km = name_km")
        standby.wait_for(REPLAY_BEHIND, "t")
        time.sleep(1.2)
        board = selectors.dashboard_for(user=director)

        assert board.using == DEFAULT_DB_ALIAS
        assert len(board.rows) == 25  # the suite's own database, every province
