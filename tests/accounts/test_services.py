"""Account services: resetting a second factor, passwords set by an administrator or changed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp, services
from accounts.models import User
from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def last_event_id() -> int:
    """Where the trail stands: creating the personas already wrote to it."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(mark: int, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark, action=action).order_by("id"))


def test_resetting_a_second_factor_removes_the_devices_ends_the_sessions_audits_and_tells(
    administrator, director, django_capture_on_commit_callbacks
):
    director.email = "director@gdi.example"
    director.save(update_fields=["email"])
    signed_in = client_for(director)  # a confirmed device, and a live session
    assert signed_in.get("/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        removed = services.otp_reset(actor=administrator, user=director)

    assert removed == 1
    assert not TOTPDevice.objects.filter(user=director).exists()
    assert signed_in.get("/")["Location"] == "/accounts/login/?next=/"
    event = AuditEvent.objects.get(action=Action.OTP_RESET)
    assert (event.username, event.object_id) == ("admin", str(director.pk))
    assert event.detail == {"devices": 1, "sessions_ended": 1}
    (message,) = mail.outbox
    assert message.to == ["director@gdi.example"]
    assert message.subject == (
        "ការចូលប្រើពីរជំហានរបស់អ្នកត្រូវបានកំណត់ឡើងវិញ / Your two-factor sign-in was reset"
    )
    assert "អ្នកគ្រប់គ្រងប្រព័ន្ធបានកំណត់ការចូលប្រើពីរជំហាននៃគណនី GDI IMS" in message.body
    assert "An administrator has reset the two-factor sign-in of your GDI IMS account" in (
        message.body
    )
    assert "(director)" in message.body
    assert device_secret_absent(message.body)


def device_secret_absent(text: str) -> bool:
    return not any(device.key in text for device in TOTPDevice.objects.all())


@pytest.mark.parametrize("persona", ["director", "clerk", "officer"])
def test_only_an_administrator_resets_a_second_factor_and_a_refusal_changes_nothing(
    request, clerk, persona, django_capture_on_commit_callbacks
):
    clerk.email = "clerk@gdi.example"
    clerk.save(update_fields=["email"])
    device = otp.ensure_confirmed_device(clerk)
    signed_in = client_for(clerk)
    actor = request.getfixturevalue(persona)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.otp_reset(actor=actor, user=clerk)

    assert list(TOTPDevice.objects.filter(user=clerk)) == [device]
    assert signed_in.get("/").status_code == 200
    assert not AuditEvent.objects.filter(action=Action.OTP_RESET).exists()
    assert mail.outbox == []


def test_an_administrator_cannot_reset_their_own_second_factor(
    administrator, django_capture_on_commit_callbacks
):
    device = otp.ensure_confirmed_device(administrator)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.otp_reset(actor=administrator, user=administrator)

    assert list(TOTPDevice.objects.filter(user=administrator)) == [device]
    assert not AuditEvent.objects.filter(action=Action.OTP_RESET).exists()


def test_a_user_without_an_e_mail_address_is_reset_without_a_message(
    administrator, clerk, django_capture_on_commit_callbacks
):
    otp.ensure_confirmed_device(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        services.otp_reset(actor=administrator, user=clerk)

    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert mail.outbox == []


def test_a_password_set_by_an_administrator_is_audited_and_must_be_changed(administrator, clerk):
    mark = last_event_id()

    services.password_set_by_administrator(
        actor=administrator, user=clerk, raw_password="Kampot-lantern-2026"
    )

    clerk = User.objects.get(pk=clerk.pk)
    assert clerk.check_password("Kampot-lantern-2026")
    assert clerk.must_change_password is True
    (event,) = events_since(mark, Action.USER_CHANGED)
    assert (event.username, event.object_id) == ("admin", str(clerk.pk))
    assert event.detail == {
        "fields": ["password"],
        "set_by_administrator": True,
        "usable": True,
        "must_change_password": True,
    }
    assert "Kampot-lantern-2026" not in str(event.detail)


def test_disabling_a_password_is_audited_and_forces_no_change(administrator, clerk):
    mark = last_event_id()

    services.password_set_by_administrator(actor=administrator, user=clerk, raw_password=None)

    clerk = User.objects.get(pk=clerk.pk)
    assert clerk.has_usable_password() is False
    assert clerk.must_change_password is False
    (event,) = events_since(mark, Action.USER_CHANGED)
    assert event.detail["usable"] is False


@pytest.mark.parametrize("persona", ["director", "clerk"])
def test_only_an_administrator_sets_another_users_password(request, officer, persona):
    actor = request.getfixturevalue(persona)
    mark = last_event_id()

    with pytest.raises(PermissionDenied):
        services.password_set_by_administrator(
            actor=actor, user=officer, raw_password="Kampot-lantern-2026"
        )

    officer = User.objects.get(pk=officer.pk)
    assert officer.check_password(PASSWORD)
    assert officer.must_change_password is False
    assert events_since(mark, Action.USER_CHANGED) == []


def test_changing_ones_own_password_lifts_a_forced_change_and_is_audited(clerk):
    User.objects.filter(pk=clerk.pk).update(must_change_password=True)
    clerk.refresh_from_db()
    mark = last_event_id()

    services.password_change_own(user=clerk, raw_password="Mekong-river-lantern-7")

    clerk = User.objects.get(pk=clerk.pk)
    assert clerk.check_password("Mekong-river-lantern-7")
    assert clerk.must_change_password is False
    (event,) = events_since(mark, Action.USER_CHANGED)
    assert (event.username, event.detail) == (
        "clerk",
        {"fields": ["password"], "own": True, "was_forced": True},
    )
