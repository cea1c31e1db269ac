"""The production web server `make run` starts: gunicorn with the IMS's own settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, _database_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_sign_in_page_and_logs_paths_without_their_query(tmp_path: Path):
    # given gunicorn started exactly as the Procfile starts it, on a free port
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gdi_ims.settings.test",
        "DATABASE_URL": _database_url(),
        "PORT": str(port),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [str(gunicorn), "gdi_ims.wsgi:application", "--config", "python:gdi_ims.gunicorn"]
    with log.open("wb") as out:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/accounts/login/?passport=EB7712345"
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    status, body = response.status, response.read().decode()
            except OSError:
                time.sleep(0.3)
        # when a page is requested with a passport number in its query string
        # then it is served, and the access log names the path but never the number
        assert status == 200
        assert 'name="password"' in body
        time.sleep(0.5)
        logged = log.read_text()
        assert '"GET /accounts/login/ HTTP/1.1" 200' in logged
        assert "EB7712345" not in logged
    finally:
        server.terminate()
        server.wait(timeout=20)
