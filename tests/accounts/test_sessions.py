"""Sessions: a new key at sign-in, 30-minute idle limit (activity written at most once a minute),
12-hour absolute limit, server-side end at sign-out and on deactivation."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.sessions import LOGIN_AT_SESSION_KEY, SEEN_AT_SESSION_KEY
from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_signing_in_gives_a_new_session_key(officer):
    client = Client()
    client.get("/accounts/login/")
    session = client.session
    session["before"] = "sign-in"
    session.save()
    key_before = session.session_key

    client.post("/accounts/login/", {"username": "officer_pp", "password": PASSWORD})

    assert client.session.session_key != key_before
    assert not Session.objects.filter(session_key=key_before).exists()


START = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def at(time_machine, **after: float) -> None:
    time_machine.move_to(START + dt.timedelta(**after), tick=False)


def session_writes(client: Client, path: str = "/") -> int:
    """Requests `path`; returns how many statements wrote the session row."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return sum('UPDATE "django_session"' in q["sql"] for q in queries.captured_queries)


def test_a_request_every_few_minutes_keeps_a_session_alive_past_thirty_minutes(
    officer, time_machine
):
    at(time_machine)
    client = client_for(officer)

    for minute in range(0, 91, 10):
        at(time_machine, minutes=minute)
        assert client.get("/").status_code == 200


def test_a_session_ends_after_thirty_idle_minutes_and_is_gone_from_the_store(officer, time_machine):
    at(time_machine)
    client = client_for(officer)
    assert client.get("/").status_code == 200
    key = client.session.session_key

    at(time_machine, minutes=29, seconds=59)
    assert Session.objects.get(session_key=key).expire_date > START + dt.timedelta(minutes=29)
    at(time_machine, minutes=30, seconds=1)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert "_auth_user_id" not in client.session


def test_activity_is_written_at_most_once_a_minute(officer, time_machine):
    at(time_machine)
    client = client_for(officer)

    assert session_writes(client) == 1  # the first request after sign-in
    at(time_machine, seconds=30)
    assert session_writes(client) == 0
    at(time_machine, seconds=59)
    assert session_writes(client) == 0
    at(time_machine, seconds=60)
    assert session_writes(client) == 1
    assert client.session[SEEN_AT_SESSION_KEY] == (START + dt.timedelta(seconds=60)).timestamp()


def test_after_an_unwritten_request_the_session_ends_at_most_a_minute_early(officer, time_machine):
    at(time_machine)
    client = client_for(officer)
    assert session_writes(client) == 1
    at(time_machine, seconds=59)
    assert session_writes(client) == 0  # the last request

    at(time_machine, minutes=30, seconds=1)  # 29 minutes 2 seconds after it

    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_idle_limit_holds_even_when_the_store_keeps_the_session(officer):
    client = client_for(officer)
    session = client.session
    session[SEEN_AT_SESSION_KEY] = time.time() - 30 * 60 - 1
    session.save()  # the store's expiry starts again from now

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="session_expired", username="officer_pp")
    assert event.detail == {"reason": "idle"}


def test_a_session_ends_twelve_hours_after_sign_in_however_active(officer):
    client = client_for(officer)
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - 12 * 3600 - 1
    session.save()

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="session_expired", username="officer_pp").count() == 1


def test_a_session_younger_than_twelve_hours_goes_on(officer):
    client = client_for(officer)
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - 12 * 3600 + 60
    session.save()

    assert client.get("/").status_code == 200


def test_sign_in_records_the_time_the_absolute_limit_counts_from(officer):
    client = Client()
    before = time.time()

    client.post("/accounts/login/", {"username": "officer_pp", "password": PASSWORD})

    assert before <= client.session[LOGIN_AT_SESSION_KEY] <= time.time()


def test_sign_out_deletes_the_session_on_the_server(officer):
    client = client_for(officer)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    client.post("/accounts/logout/")

    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="sign_out", username="officer_pp").count() == 1


def test_deactivating_a_user_ends_all_their_sessions_but_not_others(
    administrator, officer, officer2
):
    laptop, phone, colleague = client_for(officer), client_for(officer), client_for(officer2)

    services.user_deactivate(actor=administrator, user=officer)

    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert colleague.get("/").status_code == 200
    event = AuditEvent.objects.get(action="user_deactivated", object_id=str(officer.pk))
    assert event.detail == {"sessions_ended": 2}


def test_a_reactivated_user_does_not_get_their_ended_sessions_back(administrator, officer):
    laptop = client_for(officer)
    key = laptop.session.session_key
    services.user_deactivate(actor=administrator, user=officer)

    services.user_reactivate(actor=administrator, user=officer)

    assert not Session.objects.filter(session_key=key).exists()
    assert laptop.get("/").status_code == 302
    assert not AuditEvent.objects.filter(action="session_expired").exists()


def test_session_cookie_is_http_only_and_same_site(officer):
    client = Client()

    client.post("/accounts/login/", {"username": "officer_pp", "password": PASSWORD})

    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# A cache nobody listens on: what the application meets when Redis is down.
UNREACHABLE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
}


def test_with_redis_down_pages_are_served_and_signing_out_ends_the_session(officer, settings):
    client = client_for(officer)
    key = client.session.session_key
    settings.CACHES = {**settings.CACHES, "default": UNREACHABLE}

    assert client.get("/").wsgi_request.user == officer
    client.post("/accounts/logout/")

    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302
