from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_officer_signs_in_and_lands_on_their_home_page(officer):
    client = Client()

    response = sign_in(client, "officer_pp", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert "Provincial officer · Phnom Penh" in home.content.decode()


def test_wrong_password_shows_a_clear_error_and_does_not_sign_in(officer):
    client = Client()

    response = sign_in(client, "officer_pp", "not-the-password")

    assert response.status_code == 200
    assert "The user name or password is wrong" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_user_gets_the_same_message_as_a_wrong_password(geo):
    response = sign_in(Client(), "ghost", "whatever-password")

    assert response.status_code == 200
    assert "The user name or password is wrong" in response.content.decode()


def test_inactive_user_is_told_the_account_is_inactive(officer):
    officer.is_active = False
    officer.save()
    client = Client()

    response = sign_in(client, "officer_pp", PASSWORD)

    assert "This account is inactive" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_user_name_out_even_with_the_right_password(officer):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "officer_pp", "wrong-password-000")

    response = sign_in(client, "officer_pp", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "blocked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_keyed_on_user_name_and_address_so_colleagues_still_sign_in(officer, officer2):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "officer_pp", "wrong-password-000")

    response = sign_in(client, "officer2_pp", PASSWORD)

    assert response.status_code == 302


def test_lockout_settings_match_the_policy():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_session_expires_after_thirty_idle_minutes(officer, time_machine):
    time_machine.move_to("2026-11-24 09:00 +07:00", tick=False)
    client = Client()
    sign_in(client, "officer_pp", PASSWORD)
    assert client.get("/").status_code == 200
    assert client.session.get_expiry_age() == 30 * 60

    time_machine.move_to("2026-11-24 09:30:01 +07:00", tick=False)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert "_auth_user_id" not in client.session


def test_sign_out_by_get_is_refused_with_a_clear_page_and_keeps_the_session(officer):
    client = Client()
    sign_in(client, "officer_pp", PASSWORD)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert "This address does not accept that kind of request" in response.content.decode()
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_sign_out_by_post_ends_the_session(officer):
    client = Client()
    sign_in(client, "officer_pp", PASSWORD)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_sign_in_without_csrf_token_is_refused_with_a_clear_page(officer):
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, "officer_pp", PASSWORD)

    assert response.status_code == 403
    assert "Its security token is missing or out of date" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signed_in_user_visiting_login_goes_home(officer_client):
    response = officer_client.get(LOGIN)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_page_reads_the_user_with_their_province_in_one_query(
    officer_client, django_assert_num_queries
):
    officer_client.get("/")  # writes the session's activity

    with django_assert_num_queries(3):  # the session, the user with their province, the device
        page = officer_client.get("/").content.decode()

    assert "Provincial officer · Phnom Penh" in page
