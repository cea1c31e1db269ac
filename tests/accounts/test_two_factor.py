"""Two-factor sign-in: who must use it, enrolment with a QR code, wrong and replayed codes."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
VERIFY, ENROL = "/accounts/two-factor/", "/accounts/two-factor/set-up/"


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def signed_in_with_password(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_director_without_a_device_is_sent_to_set_up_two_factor_sign_in(director):
    client = signed_in_with_password("director")

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=/"


def test_set_up_page_shows_an_inline_qr_code_and_the_key_without_external_fetches(director):
    client = signed_in_with_password("director")

    response = client.get(ENROL)

    page = response.content.decode()
    device = TOTPDevice.objects.get(user=director)
    assert response.status_code == 200
    assert device.confirmed is False
    assert 'src="data:image/svg+xml' in page
    assert otp.secret_base32(device) in page
    assert "http://" not in page and "https://" not in page


def test_a_correct_code_confirms_the_device_and_lets_the_director_in(director):
    client = signed_in_with_password("director")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=director)

    response = client.post(ENROL, {"code": code_for(device), "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed is True
    assert AuditEvent.objects.filter(action="otp_enrolled", username="director").count() == 1


def test_a_wrong_code_at_set_up_is_refused_and_the_device_stays_unconfirmed(director):
    client = signed_in_with_password("director")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=director)

    response = client.post(ENROL, {"code": code_for(device, offset_steps=10)})

    assert response.status_code == 200
    assert "This code is wrong" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get("/").status_code == 302


def test_an_enrolled_clerk_must_enter_a_code_after_the_password(clerk):
    device = otp.ensure_confirmed_device(clerk)
    client = signed_in_with_password("clerk")
    assert client.get("/")["Location"] == f"{VERIFY}?next=/"
    key_after_password = client.session.session_key

    response = client.post(VERIFY, {"code": code_for(device), "next": "/"})

    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.session.session_key != key_after_password
    assert AuditEvent.objects.filter(action="otp_verified", username="clerk").count() == 1


def test_a_wrong_code_is_refused_and_recorded(clerk):
    device = otp.ensure_confirmed_device(clerk)
    client = signed_in_with_password("clerk")

    response = client.post(VERIFY, {"code": code_for(device, offset_steps=-10)})

    assert response.status_code == 200
    assert "This code is wrong or was already used" in response.content.decode()
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="otp_failed", username="clerk").count() == 1


def test_a_replayed_code_is_refused(clerk):
    device = otp.ensure_confirmed_device(clerk)
    code = code_for(device)
    first = signed_in_with_password("clerk")
    assert first.post(VERIFY, {"code": code})["Location"] == "/"
    second = signed_in_with_password("clerk")

    response = second.post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert "already used" in response.content.decode()
    assert second.get("/").status_code == 302


def test_a_code_that_is_not_six_digits_is_refused_with_a_clear_message(clerk):
    otp.ensure_confirmed_device(clerk)
    client = signed_in_with_password("clerk")

    response = client.post(VERIFY, {"code": "12a456"})

    assert "The code has six digits" in response.content.decode()


def test_provincial_officer_without_a_device_is_not_asked_for_a_code(officer):
    client = signed_in_with_password("officer_pp")

    assert client.get("/").status_code == 200


def test_provincial_officer_who_set_up_a_device_must_use_it(officer):
    otp.ensure_confirmed_device(officer)
    client = signed_in_with_password("officer_pp")

    assert client.get("/")["Location"] == f"{VERIFY}?next=/"


def test_the_setting_can_require_two_factor_sign_in_of_everyone(officer, settings):
    settings.OTP_REQUIRED_FOR_ALL = True
    client = signed_in_with_password("officer_pp")

    assert client.get("/")["Location"] == f"{ENROL}?next=/"


def test_the_admin_site_requires_a_verified_second_factor(administrator):
    from django.contrib import admin
    from django_otp.admin import OTPAdminSite

    client = signed_in_with_password("admin")

    response = client.get("/admin/accounts/user/")

    assert isinstance(admin.site, OTPAdminSite)
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL)


def test_a_user_owing_a_code_can_still_sign_out_and_switch_language(director):
    client = signed_in_with_password("director")

    assert client.post("/i18n/setlang/", {"language": "km", "next": "/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_htmx_request_owing_a_code_gets_a_client_side_redirect(director):
    client = signed_in_with_password("director")

    response = client.get("/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == ENROL


def test_anonymous_visitor_of_the_code_pages_is_sent_to_sign_in(geo):
    for url in (VERIFY, ENROL):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_seed_demo_gives_national_demo_users_a_device_and_prints_its_address(capsys):
    from django.core.management import call_command

    call_command("seed_demo", "--password", "demo-password-123")

    out = capsys.readouterr().out
    assert TOTPDevice.objects.filter(confirmed=True).count() == 3
    assert out.count("otpauth://totp/GDI%20IMS%3A") == 3


def test_the_menu_stays_empty_until_the_code_is_entered(director):
    client = signed_in_with_password("director")

    page = client.get(ENROL).content.decode()

    assert 'href="/audit/"' not in page


# --- The secret: shown to the user alone, while they set up, never again --------------------
def test_a_secret_shown_in_another_session_is_voided_and_never_confirms_a_device(director):
    first = signed_in_with_password("director")
    first.get(ENROL)
    shown_first = TOTPDevice.objects.get(user=director)
    second = signed_in_with_password("director")

    page = second.get(ENROL).content.decode()
    shown_second = TOTPDevice.objects.get(user=director)
    refused = first.post(ENROL, {"code": code_for(shown_first), "next": "/"})

    assert shown_second.pk == shown_first.pk and shown_second.key != shown_first.key
    assert otp.secret_base32(shown_second) in page
    assert otp.secret_base32(shown_first) not in page
    assert refused.status_code == 200
    assert "This code is wrong" in refused.content.decode()
    assert TOTPDevice.objects.get(user=director).confirmed is False
    assert not AuditEvent.objects.filter(action="otp_enrolled").exists()


def test_reloading_the_set_up_page_in_the_same_session_keeps_the_secret(director):
    client = signed_in_with_password("director")
    client.get(ENROL)
    key = TOTPDevice.objects.get(user=director).key

    client.get(ENROL)
    response = client.post(ENROL, {"code": code_for(TOTPDevice.objects.get(user=director))})

    assert TOTPDevice.objects.get(user=director).key == key
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=director).confirmed is True


def test_once_set_up_the_secret_is_never_shown_again(director):
    client = signed_in_with_password("director")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=director)
    client.post(ENROL, {"code": code_for(device), "next": "/"})

    pages = [client.get(ENROL), client.get(ENROL, follow=True), client.get(VERIFY)]

    assert pages[0]["Location"].startswith(VERIFY)
    device.refresh_from_db()
    for page in pages:
        body = page.content.decode()
        assert otp.secret_base32(device) not in body and device.key not in body
        assert "otpauth://" not in body and "data:image/svg+xml" not in body
