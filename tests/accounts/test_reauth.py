"""Sensitive actions ask again for the password and code once the last proof is minutes old."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import User
from audit.models import AuditEvent
from cards import services as card_services
from cards.models import ResidenceCard
from residents.models import Declaration
from tests.cards.conftest import acknowledged
from tests.conftest import client_for
from tests.factories import PASSWORD
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(minutes=6)


def code_for(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def later(time_machine):
    """Six minutes after the personas signed in (their clients are made before moving)."""

    def move() -> None:
        time_machine.move_to(timezone.now() + LATER)

    return move


def test_a_stale_bulk_acknowledgement_asks_to_confirm_and_changes_nothing(
    director_client, officer, later
):
    make_resident(maker=officer, status=Declaration.Status.VERIFIED)
    director_client.get("/")
    later()

    response = director_client.post(
        "/residents/acknowledgements/12/",
        {"confirmed": "1"},  # the director confirmed the count shown (1)
        headers={"referer": "http://testserver/residents/acknowledgements/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm/?next=%2Fresidents%2Facknowledgements%2F"
    assert Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).count() == 0


def test_after_confirming_with_password_and_code_the_action_goes_through(
    director_client, director, officer, later
):
    make_resident(maker=officer, status=Declaration.Status.VERIFIED)
    later()

    confirmed = director_client.post(
        "/accounts/confirm/", {"password": PASSWORD, "code": code_for(director), "next": "/x/"}
    )
    response = director_client.post("/residents/acknowledgements/12/", {"confirmed": "1"})

    assert confirmed["Location"] == "/x/"
    assert response.status_code == 302
    assert Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).count() == 1
    event = AuditEvent.objects.filter(action=AuditEvent.Action.OTP_VERIFIED).latest("id")
    assert event.detail == {"reauthentication": True}


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"password": "wrong-password", "code": "000000"}, "password", "This password is wrong."),
        ({"password": PASSWORD, "code": "000000"}, "code",
         "This code is wrong or was already used."),
    ],
)  # fmt: skip
def test_a_wrong_password_or_code_does_not_confirm(
    director_client, officer, later, data, field, error
):
    make_resident(maker=officer, status=Declaration.Status.VERIFIED)
    later()

    refused = director_client.post("/accounts/confirm/", data)
    director_client.post("/residents/acknowledgements/12/", {"confirmed": "1"})

    assert refused.context["form"].errors[field] == [error]
    assert Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).count() == 0


def test_a_user_without_an_authenticator_confirms_with_the_password_alone(officer, later):
    client = client_for(officer)
    TOTPDevice.objects.filter(user=officer).delete()
    later()

    page = client.get("/accounts/confirm/")
    confirmed = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "/"})

    assert list(page.context["form"].fields) == ["password"]
    assert confirmed["Location"] == "/"


def test_a_stale_revocation_and_bulk_issue_ask_to_confirm_first(clerk_client, clerk, later):
    card = card_services.card_issue(declaration=acknowledged(), actor=clerk, issue_date=None)
    acknowledged()
    later()

    form = clerk_client.get(f"/cards/{card.pk}/revoke/")
    revoked = clerk_client.post(f"/cards/{card.pk}/revoke/", {"ground": "fraud", "reason": "x"})
    issued = clerk_client.post("/cards/issue/province/", {"province": "12"})

    assert form["Location"] == f"/accounts/confirm/?next=%2Fcards%2F{card.pk}%2Frevoke%2F"
    assert revoked["Location"].startswith("/accounts/confirm/")
    assert issued["Location"].startswith("/accounts/confirm/")
    card.refresh_from_db()
    assert card.status == ResidenceCard.Status.ISSUED
    assert ResidenceCard.objects.count() == 1


def test_a_stale_role_change_or_second_factor_reset_asks_to_confirm(admin_client_, officer, later):
    otp.ensure_confirmed_device(officer)
    later()

    role = admin_client_.post(
        f"/accounts/users/{officer.pk}/",
        {"first_name": "Test", "last_name": officer.last_name, "email": "", "phone": "",
         "language": "", "role": "verifier", "province": "12"},
    )  # fmt: skip
    reset = admin_client_.post(f"/accounts/users/{officer.pk}/two-factor-reset/")
    details = admin_client_.post(
        f"/accounts/users/{officer.pk}/",
        {"first_name": "Bopha", "last_name": officer.last_name, "email": "", "phone": "",
         "language": "", "role": "officer", "province": "12"},
    )  # fmt: skip

    assert role["Location"].startswith("/accounts/confirm/")
    assert reset["Location"].startswith("/accounts/confirm/")
    officer.refresh_from_db()
    assert officer.role == "officer"
    assert TOTPDevice.objects.filter(user=officer).exists()
    # A change of name alone is not sensitive: it goes through.
    assert details["Location"] == f"/accounts/users/{officer.pk}/"
    assert officer.first_name == "Bopha"


def test_within_the_window_nothing_more_is_asked(director_client, officer):
    make_resident(maker=officer, status=Declaration.Status.VERIFIED)

    director_client.post("/residents/acknowledgements/12/", {"confirmed": "1"})

    assert Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).count() == 1


def test_the_confirm_page_sends_anonymous_visitors_to_sign_in(geo):
    response = Client().get("/accounts/confirm/")

    assert response["Location"].startswith("/accounts/login/")


def test_the_confirm_page_speaks_khmer(director_client):
    response = director_client.get("/accounts/confirm/", headers={"accept-language": "km"})

    assert "សូមបញ្ជាក់ថាជាអ្នក" in response.content.decode()
