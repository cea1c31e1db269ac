"""A PostgreSQL primary of the tests' own, for the standby, failover and recovery drills.

It runs on a free port of 127.0.0.1 with WAL archiving on, its data under var/drills/ (the
server runs as the postgres user, who cannot enter pytest's temporary directories); every server
started in it is stopped and its files removed when the block ends, even after a failure. The
drill steps themselves are the operators' scripts (scripts/standby.sh, scripts/pitr.sh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

from core import db_router
from tests.conftest import ROOT
from tests.gdi_ims.servers import free_port

BINDIR = Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip())


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: the suite, run as root, runs it as postgres."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Server:
    port: int
    data: Path

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres"

    def sql(self, query: str) -> str:
        """Run one statement (as postgres, database postgres) and return psql's unaligned rows."""
        completed = subprocess.run(
            [str(BINDIR / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             f"{self.conninfo} dbname=postgres", "-c", query],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        return completed.stdout.strip()

    def wait_for(self, query: str, expected: str, timeout: float = 15.0) -> None:
        """Poll until the query returns the expected value (replication is asynchronous)."""
        deadline = time.monotonic() + timeout
        while (value := self.sql(query)) != expected:
            if time.monotonic() > deadline:
                message = f"{query!r} returned {value!r}, not {expected!r}, after {timeout} s"
                raise AssertionError(message)
            time.sleep(0.05)


@dataclass
class Drill:
    base: Path
    primary: Server
    archive: Path

    def run(self, *command: str, **env: str) -> str:
        """Run one of the project's scripts against this drill's primary; return its output."""
        environment = {
            **os.environ,
            "STANDBY_PRIMARY": self.primary.conninfo,
            "PITR_PRIMARY": self.primary.conninfo,
            **env,
        }
        completed = subprocess.run(
            [str(ROOT / "scripts" / command[0]), *command[1:]],
            capture_output=True, text=True, timeout=180, env=environment, cwd=ROOT, check=False,
        )  # fmt: skip
        if completed.returncode != 0:
            raise AssertionError(f"{command} failed: {completed.stdout}{completed.stderr}")
        return completed.stdout.strip()

    def start_standby(self) -> Server:
        standby = Server(port=free_port(), data=self.base / "standby")
        self.run("standby.sh", "start", **self.standby_env(standby))
        return standby

    def standby_env(self, standby: Server) -> dict[str, str]:
        return {"STANDBY_PORT": str(standby.port), "STANDBY_DIR": str(standby.data)}


def _owned_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    path.chmod(0o700)


@contextmanager
def drill_primary() -> Iterator[Drill]:
    """A small primary (wal_level replica, archive_mode on) until the block ends."""
    base = ROOT / "var" / "drills" / uuid.uuid4().hex[:12]
    _owned_dir(base)
    primary = Server(port=free_port(), data=base / "primary")
    archive = base / "wal-archive"
    _owned_dir(archive)
    try:
        subprocess.run(
            as_postgres([str(BINDIR / "initdb"), "-D", str(primary.data), "-U", "postgres",
                         "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
        settings = {
            "port": str(primary.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{primary.data}'",
            "wal_level": "replica",
            "max_wal_senders": "5",
            "archive_mode": "on",
            "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
            "fsync": "off",
        }
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        subprocess.run(
            as_postgres([str(BINDIR / "pg_ctl"), "-D", str(primary.data),
                         "-l", str(base / "primary.log"), "-w", "-t", "60", "start"]),
            capture_output=True, timeout=90, check=True,
        )  # fmt: skip
        yield Drill(base=base, primary=primary, archive=archive)
    finally:
        for pid_file in base.glob("*/postmaster.pid"):
            subprocess.run(
                as_postgres([str(BINDIR / "pg_ctl"), "-D", str(pid_file.parent),
                             "-m", "immediate", "-w", "-t", "60", "stop"]),
                capture_output=True, timeout=90, check=False,
            )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def django_alias(alias: str, port: int) -> Iterator[None]:
    """A Django connection `alias` to 127.0.0.1:port (database postgres) until the block ends.

    Made as Django makes one from settings, but kept out of settings.DATABASES: Django's test
    cases refuse connections to configured aliases a test did not declare, and would open a
    transaction on each declared one (a standby that is down could not take one).
    """
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "OPTIONS": {"connect_timeout": 2},
    }
    config = connections.configure_settings({DEFAULT_DB_ALIAS: {}, alias: config})[alias]
    connections[alias] = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)
    db_router.retry_replica_now()
    try:
        yield
    finally:
        connections[alias].close()
        del connections[alias]
        db_router.retry_replica_now()
