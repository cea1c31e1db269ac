"""The Django admin's user pages, kept for superusers; second factors shown without secrets."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import User
from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import PASSWORD

ADD = "/admin/accounts/user/add/"


def _add_data(**overrides: str) -> dict[str, str]:
    data = {
        "username": "officer_kt",
        "password1": "Sv9-kampot-lantern-42", "password2": "Sv9-kampot-lantern-42",
        "usable_password": "true", "role": "officer", "province": "07",
    }  # fmt: skip
    return {**data, **overrides}


def test_a_superuser_opens_the_add_user_page(administrator):
    response = client_for(administrator).get(ADD)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body
    assert 'name="role"' in body
    assert 'name="province"' in body


def test_a_superuser_creates_a_provincial_officer_in_the_admin(administrator):
    response = client_for(administrator).post(ADD, _add_data())

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="officer_kt")
    assert (user.role, user.province_id) == ("officer", "07")
    assert user.check_password("Sv9-kampot-lantern-42")
    assert user.must_change_password is True  # the administrator knows the first password
    event = AuditEvent.objects.get(action="user_created", object_id=str(user.pk))
    assert event.detail == {"role": "officer", "province": "07"}


def test_a_provincial_role_without_a_province_is_refused_and_nothing_is_created(administrator):
    before = User.objects.count()

    response = client_for(administrator).post(ADD, _add_data(province=""))

    assert response.status_code == 200
    assert User.objects.count() == before
    assert not User.objects.filter(username="officer_kt").exists()


def test_a_provincial_officer_cannot_open_the_add_user_page(officer):
    response = client_for(officer).get(ADD)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- Second factors: never shown, reset deliberately -----------------------------------------
DEVICES = "/admin/otp_totp/totpdevice/"
USERS = "/admin/accounts/user/"


def _secrets(device: TOTPDevice) -> list[str]:
    """Every form a device's secret could be shown in: hex, base32, the otpauth address."""
    return [device.key, otp.secret_base32(device).replace(" ", ""), "otpauth://"]


def test_the_admin_never_shows_a_second_factors_secret_or_qr_code(administrator, director):
    device = otp.ensure_confirmed_device(director)
    admin = client_for(administrator)

    pages = [admin.get(DEVICES), admin.get(f"{DEVICES}{device.pk}/change/")]

    assert [page.status_code for page in pages] == [200, 200]
    for page in pages:
        body = page.content.decode()
        assert str(director) in body
        assert [secret for secret in _secrets(device) if secret in body] == []
        assert "qrcode" not in body and "/config/" not in body
    with pytest.raises(NoReverseMatch):  # django-otp's QR code view is gone with its admin
        reverse("admin:otp_totp_totpdevice_config", args=[device.pk])
    config = admin.get(f"{DEVICES}{device.pk}/config/", follow=True)
    assert config["Content-Type"].startswith("text/html")
    assert [secret for secret in _secrets(device) if secret in config.content.decode()] == []
    change_page = admin.get(f"{USERS}{director.pk}/change/").content.decode()
    assert [secret for secret in _secrets(device) if secret in change_page] == []


def test_the_admin_cannot_add_change_or_delete_a_device(administrator, director):
    device = otp.ensure_confirmed_device(director)
    key = device.key
    admin = client_for(administrator)

    added = admin.post(f"{DEVICES}add/", {"user": director.pk, "name": "mine", "key": "00" * 20})
    changed = admin.post(f"{DEVICES}{device.pk}/change/", {"key": "00" * 20})
    deleted = admin.post(f"{DEVICES}{device.pk}/delete/", {"post": "yes"})

    assert (added.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert list(TOTPDevice.objects.filter(user=director).values_list("key", flat=True)) == [key]
    assert not AuditEvent.objects.filter(action="otp_reset").exists()


def test_resetting_a_second_factor_in_the_admin_asks_first_and_changes_nothing_until_confirmed(
    administrator, director
):
    otp.ensure_confirmed_device(director)
    action = {"action": "reset_second_factor", "_selected_action": [director.pk]}

    response = client_for(administrator).post(USERS, action)

    assert response.status_code == 200
    assert str(director.username) in response.content.decode()
    assert "Yes, reset their two-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=director).count() == 1
    assert not AuditEvent.objects.filter(action="otp_reset").exists()


def test_an_administrator_resets_a_directors_second_factor_from_the_user_list(
    administrator, director, django_capture_on_commit_callbacks
):
    director.email = "director@gdi.example"
    director.save(update_fields=["email"])
    otp.ensure_confirmed_device(director)
    action = {"action": "reset_second_factor", "_selected_action": [director.pk], "confirm": "yes"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(administrator).post(USERS, action, follow=True)

    assert "Two-factor sign-in reset for 1 user" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=director).exists()
    event = AuditEvent.objects.get(action="otp_reset")
    assert (event.username, event.object_id) == ("admin", str(director.pk))
    assert [m.to for m in mail.outbox] == [["director@gdi.example"]]


# --- Passwords set by an administrator -------------------------------------------------------
NEW_PASSWORD = "Tonle-Sap-lantern-2026"


def _set_password(client, user: User) -> object:
    return client.post(
        f"{USERS}{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )


def test_a_password_an_administrator_sets_is_audited_with_who_and_forces_a_change(
    administrator, director
):
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = _set_password(client_for(administrator), director)

    assert response.status_code == 302
    director = User.objects.get(pk=director.pk)
    assert director.check_password(NEW_PASSWORD)
    assert director.must_change_password is True
    (event,) = AuditEvent.objects.filter(id__gt=mark, action="user_changed")
    assert (event.username, event.object_id) == ("admin", str(director.pk))
    assert event.detail["set_by_administrator"] is True
    assert NEW_PASSWORD not in str(event.detail)


def test_an_administrator_setting_their_own_password_is_not_forced_to_change_it(administrator):
    admin = client_for(administrator)

    response = _set_password(admin, administrator)

    assert response.status_code == 302
    administrator = User.objects.get(pk=administrator.pk)
    assert administrator.check_password(NEW_PASSWORD)
    assert administrator.must_change_password is False
    assert admin.get("/").status_code == 200  # still signed in


def test_a_password_that_fails_the_rules_is_refused_and_nothing_changes(administrator, director):
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = client_for(administrator).post(
        f"{USERS}{director.pk}/password/",
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )

    assert response.status_code == 200
    director = User.objects.get(pk=director.pk)
    assert director.check_password(PASSWORD)
    assert director.must_change_password is False
    assert not AuditEvent.objects.filter(id__gt=mark, action="user_changed").exists()


def test_the_user_list_says_who_has_two_factor_sign_in_without_a_query_per_user(
    administrator, director, clerk, django_assert_max_num_queries
):
    otp.ensure_confirmed_device(director)
    admin = client_for(administrator)

    with django_assert_max_num_queries(12):
        response = admin.get(USERS)

    rows = {user.username: user._has_second_factor for user in response.context["cl"].result_list}
    assert rows == {"admin": True, "director": True, "clerk": False}


def test_a_new_province_set_in_the_admin_ends_the_users_sessions(administrator, officer):
    signed_in = client_for(officer)
    admin = client_for(administrator)
    data = {
        "username": officer.username, "first_name": officer.first_name,
        "last_name": officer.last_name, "email": "", "is_active": "on",
        "date_joined_0": officer.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": officer.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "", "last_login_1": "", "role": "officer", "province": "17",
    }  # fmt: skip

    response = admin.post(f"{USERS}{officer.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    officer.refresh_from_db()
    assert officer.province_id == "17"
    assert signed_in.get("/")["Location"] == "/accounts/login/?next=/"
    event = AuditEvent.objects.filter(action="role_changed", object_id=str(officer.pk)).get()
    assert event.detail == {"province_id": ["12", "17"]}


def test_deactivating_in_the_admin_ends_the_users_sessions(administrator, officer):
    signed_in = client_for(officer)
    admin = client_for(administrator)
    data = {
        "username": officer.username, "first_name": officer.first_name,
        "last_name": officer.last_name, "email": "",
        "date_joined_0": officer.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": officer.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "", "last_login_1": "", "role": "officer", "province": "12",
    }  # fmt: skip

    response = admin.post(f"{USERS}{officer.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    officer.refresh_from_db()
    assert officer.is_active is False
    assert signed_in.get("/")["Location"] == "/accounts/login/?next=/"
    event = AuditEvent.objects.filter(action="user_deactivated", object_id=str(officer.pk)).get()
    assert (event.username, event.detail) == ("admin", {"sessions_ended": 1})


def test_a_bare_save_that_deactivates_is_recorded_and_ends_no_session(officer):
    signed_in = client_for(officer)
    key = signed_in.session.session_key

    officer.is_active = False
    officer.save()

    event = AuditEvent.objects.filter(action="user_deactivated", object_id=str(officer.pk)).get()
    assert event.detail == {"sessions_ended": 0}
    assert Session.objects.filter(session_key=key).exists()
    # The sign-in backend refuses an inactive user's session all the same.
    assert signed_in.get("/")["Location"] == "/accounts/login/?next=/"
