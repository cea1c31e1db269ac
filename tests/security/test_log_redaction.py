"""Logs never contain passwords, passport numbers or session keys (sentinel values)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from gdi_ims.logredact import RedactingFilter, redact

pytestmark = pytest.mark.django_db

SENTINEL_PASSWORD = "Sentinel-Pw-7731-zq"
SENTINEL_PASSPORT = "EK7731902"


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler writes, captured after its filters ran."""
    handler = next(
        h for h in logging.getLogger().handlers
        if any(isinstance(f, RedactingFilter) for f in h.filters)
    )  # fmt: skip
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def test_a_failed_sign_in_and_careless_log_calls_leave_no_password_in_the_log(officer, console_log):
    Client().post("/accounts/login/", {"username": "officer_pp", "password": SENTINEL_PASSWORD})
    logger = logging.getLogger("gdi_ims.test")
    logger.warning(
        "sign-in failed with %s", {"username": "officer_pp", "password": SENTINEL_PASSWORD}
    )
    logger.warning("POST body: username=officer_pp&password=%s&next=/", SENTINEL_PASSWORD)

    output = console_log.getvalue()

    assert "sign-in failed with" in output and "POST body" in output
    assert SENTINEL_PASSWORD not in output
    assert "[redacted]" in output


def test_a_request_carrying_a_passport_number_leaves_no_number_in_the_log(
    officer_client, console_log
):
    officer_client.get(f"/no-such-page/{SENTINEL_PASSPORT}/?passport={SENTINEL_PASSPORT}")
    logging.getLogger("gdi_ims.test").info("looked up passport_number=%s", SENTINEL_PASSPORT)

    output = console_log.getvalue()

    assert "Not Found: /no-such-page/" in output
    assert SENTINEL_PASSPORT not in output


def test_session_keys_never_reach_the_log(officer_client, console_log):
    key = officer_client.session.session_key
    logging.getLogger("gdi_ims.test").info("session %s and sessionid=%s", key, key)

    output = console_log.getvalue()

    assert "session [redacted]" in output
    assert key not in output


def test_a_traceback_is_redacted_too(console_log):
    try:
        raise ValueError(f"bad password={SENTINEL_PASSWORD}")
    except ValueError:
        logging.getLogger("gdi_ims.test").exception("import failed")

    output = console_log.getvalue()

    assert "ValueError" in output
    assert SENTINEL_PASSWORD not in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=hunter2 user=bob", "password=[redacted] user=bob"),
        ("{'password': 'x y'}", "{'password': [redacted]}"),
        ('{"otp_token": "123456"}', '{"otp_token": [redacted]}'),
        ("GET /r/?passport=E1234567&page=2", "GET /r/?passport=[redacted]&page=2"),
        ("found EA1234567 twice", "found [redacted] twice"),
        ("card 120000012 checked", "card 120000012 checked"),
    ],
)
def test_redaction_rules(text, expected):
    assert redact(text) == expected
