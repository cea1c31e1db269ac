"""Production settings (from the environment only): cookies, HSTS, and `check --deploy` clean."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "gdi_ims.settings.base",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    "DJANGO_ALLOWED_HOSTS": "ims.example.gov.kh",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_COOKIES": "true",
    # As documented in .env.example for production (a developer's .env may say 0).
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "FIELD_ENCRYPTION_KEYS": "k1:dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LWs",
    "BLIND_INDEX_KEY": "dGVzdC1ibGluZC1pbmRleC1rZXktdGVzdC1ibGluZC1pbmRleA",
    "AUDIT_HMAC_KEY": "dGVzdC1hdWRpdC1obWFjLWtleS10ZXN0LWF1ZGl0LWhtYWMta2V5",
}
SHOW = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({k: getattr(s, k) for k in [
    "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_AGE",
    "SESSION_ABSOLUTE_SECONDS", "DEBUG"]}))
"""


def production_settings() -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=PRODUCTION_ENV, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_http_only_same_site_with_host_prefixed_names():
    s = production_settings()

    assert s["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert s["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert s["SESSION_COOKIE_SECURE"] is s["CSRF_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is s["CSRF_COOKIE_HTTPONLY"] is True
    assert s["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert s["DEBUG"] is False


def test_production_sends_one_year_of_hsts_and_limits_sessions():
    s = production_settings()

    assert s["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SESSION_COOKIE_AGE"] == 30 * 60
    assert s["SESSION_ABSOLUTE_SECONDS"] == 12 * 3600


def test_check_deploy_reports_nothing_under_the_production_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=PRODUCTION_ENV, capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
