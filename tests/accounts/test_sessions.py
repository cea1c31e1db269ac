"""Sessions: a new key at sign-in, 12-hour absolute limit, server-side end at sign-out and on
deactivation."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.sessions import LOGIN_AT_SESSION_KEY
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

    client.post("/accounts/logout/")

    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action="sign_out", username="officer_pp").count() == 1


def test_deactivating_a_user_ends_all_their_sessions_but_not_others(officer, officer2):
    laptop, phone, colleague = client_for(officer), client_for(officer), client_for(officer2)

    officer.is_active = False
    officer.save()

    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert colleague.get("/").status_code == 200
    event = AuditEvent.objects.get(action="user_deactivated", object_id=str(officer.pk))
    assert event.detail == {"sessions_ended": 2}


def test_session_cookie_is_http_only_and_same_site(officer):
    client = Client()

    client.post("/accounts/login/", {"username": "officer_pp", "password": PASSWORD})

    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
