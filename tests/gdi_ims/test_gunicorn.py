"""The production web server `make run` starts: gunicorn with the IMS's own settings."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from tests.gdi_ims.servers import gunicorn


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_sign_in_page_and_logs_paths_without_their_query(tmp_path: Path):
    # given gunicorn started exactly as the Procfile starts it
    log = tmp_path / "gunicorn.log"
    with gunicorn(log, GUNICORN_WORKERS="1", GUNICORN_THREADS="2") as base:
        # when a page is requested with a passport number in its query string
        url = f"{base}/accounts/login/?passport=EB7712345"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (127.0.0.1)
            status, body = response.status, response.read().decode()
        # then it is served, and the access log names the path but never the number
        assert status == 200
        assert 'name="password"' in body
        time.sleep(0.5)
        logged = log.read_text()
        assert '"GET /accounts/login/ HTTP/1.1" 200' in logged
        assert "EB7712345" not in logged
