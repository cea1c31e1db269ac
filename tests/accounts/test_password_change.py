"""The user's own password change, and the change forced after an administrator set a password."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import User
from audit.models import AuditEvent
from tests.accounts.test_two_factor import code_for
from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
PAGE = "/accounts/password/"
NEW = "Mekong-river-lantern-7"


def forced(user: User) -> User:
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    user.refresh_from_db()
    return user


def test_a_user_who_must_change_their_password_is_sent_to_the_page_from_everywhere(officer):
    client = client_for(forced(officer))

    home = client.get("/")
    residents = client.get("/residents/")
    fragment = client.get("/residents/", HTTP_HX_REQUEST="true")
    page = client.get(PAGE)

    assert home["Location"] == f"{PAGE}?next=/"
    assert residents["Location"] == f"{PAGE}?next=/residents/"
    assert fragment["HX-Redirect"] == PAGE
    assert page.status_code == 200
    assert 'data-testid="password-change-forced"' in page.content.decode()
    assert 'data-testid="nav"' not in page.content.decode()  # no menu leading nowhere
    assert client.post("/accounts/logout/").status_code == 302  # signing out still works


def test_the_second_factor_comes_before_the_forced_password_change(director):
    forced(director)
    client = Client()
    client.post("/accounts/login/", {"username": "director", "password": PASSWORD})

    assert client.get("/")["Location"] == "/accounts/two-factor/set-up/?next=/"
    assert client.get(PAGE)["Location"].startswith("/accounts/two-factor/set-up/")


def test_changing_the_password_lifts_the_forced_change_and_keeps_this_session_only(officer):
    client = client_for(forced(officer))
    elsewhere = client_for(officer)

    data = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}

    response = client.post(PAGE, {**data, "next": "/residents/"})

    assert response["Location"] == "/residents/"
    officer = User.objects.get(pk=officer.pk)
    assert officer.check_password(NEW) and officer.must_change_password is False
    assert client.get("/").status_code == 200
    assert elsewhere.get("/")["Location"] == "/accounts/login/?next=/"
    event = AuditEvent.objects.filter(action="user_changed").latest("id")
    assert (event.username, event.detail) == (
        "officer_pp",
        {"fields": ["password"], "own": True, "was_forced": True},
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"old_password": "wrong-old-password", "new_password1": NEW, "new_password2": NEW},
         "Your old password was entered incorrectly"),
        ({"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"},
         "The two password fields didn’t match."),
        ({"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
         "This password is too short."),
    ],
)  # fmt: skip
def test_a_refused_change_keeps_the_old_password_and_the_forced_change(officer, data, error):
    client = client_for(forced(officer))
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = client.post(PAGE, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    officer = User.objects.get(pk=officer.pk)
    assert officer.check_password(PASSWORD) and officer.must_change_password is True
    assert not AuditEvent.objects.filter(id__gt=mark, action="user_changed").exists()


def test_the_password_page_speaks_khmer(officer):
    client = client_for(forced(officer))
    client.cookies["django_language"] = "km"

    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="km").content.decode()
    refused = client.post(
        PAGE,
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
        HTTP_ACCEPT_LANGUAGE="km",
    ).content.decode()

    assert "ប្ដូរពាក្យសម្ងាត់របស់អ្នក" in page
    assert "អ្នកគ្រប់គ្រងប្រព័ន្ធបានកំណត់ពាក្យសម្ងាត់របស់អ្នក" in page
    assert "ពាក្យសម្ងាត់ចាស់" in page and "បញ្ជាក់ពាក្យសម្ងាត់ថ្មី" in page
    assert "ពាក្យសម្ងាត់របស់អ្នកត្រូវមានយ៉ាងហោចណាស់ 12 តួអក្សរ។" in page
    assert "ពាក្យសម្ងាត់នេះខ្លីពេក។" in refused and "ពាក្យសម្ងាត់នេះមានតែលេខសុទ្ធ។" in refused


def test_the_password_page_needs_sign_in():
    assert Client().get(PAGE)["Location"] == f"/accounts/login/?next={PAGE}"


def test_a_password_set_by_an_administrator_must_be_changed_at_the_next_sign_in(
    administrator, director
):
    device = otp.ensure_confirmed_device(director)
    client_for(administrator).post(
        f"/admin/accounts/user/{director.pk}/password/",
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
    )
    client = Client()

    client.post("/accounts/login/", {"username": "director", "password": NEW})
    client.post("/accounts/two-factor/", {"code": code_for(device), "next": "/"})

    assert client.get("/")["Location"] == f"{PAGE}?next=/"
    client.post(PAGE, {"old_password": NEW, "new_password1": NEW + "!", "new_password2": NEW + "!"})
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.filter(user=director).count() == 1
