"""Gunicorn as `make run` starts it, on a free port of 127.0.0.1, for the benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    log: Path, settings: str = "gdi_ims.settings.base", start_seconds: float = 60
) -> Iterator[tuple[str, int]]:
    """Serve the IMS (DEBUG off) until the block ends; yields its base URL and the master's pid.

    The database is the benchmark's (DATABASE_URL as bench._common set it for this process).
    """
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DJANGO_DEBUG": "false",
        "PORT": str(port),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "gdi_ims.wsgi:application",
        "--config",
        "python:gdi_ims.gunicorn",
    ]
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        # Workers import the whole IMS before they answer: on a busy shared machine, minutes.
        deadline = time.monotonic() + float(
            os.environ.get("BENCH_SERVE_START_SECONDS", str(max(start_seconds, 240)))
        )
        while True:
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=30):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"gunicorn did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.5)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
