"""A real gunicorn, started exactly as the Procfile starts it, for the web server's tests."""

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

from tests.conftest import ROOT, _database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(log: Path, database_url: str = "", **env: str) -> Iterator[str]:
    """Serve the IMS on a free port until the block ends; yields the base URL once it answers."""
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gdi_ims.settings.test",
        "DATABASE_URL": database_url or _database_url(),
        "PORT": str(port),
        **env,
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
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=5):  # noqa: S310
                    break
            except OSError as error:
                if time.monotonic() > deadline or server.poll() is not None:
                    message = f"gunicorn did not start: {log.read_text()[-2000:]}"
                    raise RuntimeError(message) from error
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
