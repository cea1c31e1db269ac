"""What the audit trail records by itself: sign-in, failures, lockout, user and role changes,
and the search page for administrators and HQ directors."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def test_a_sign_in_is_recorded_with_user_role_province_and_address(officer):
    Client(REMOTE_ADDR="10.0.0.7").post(LOGIN, {"username": "officer_pp", "password": PASSWORD})

    event = AuditEvent.objects.get(action="sign_in")
    assert (event.user_id, event.username, event.role, event.province_code, event.ip) == (
        officer.pk, "officer_pp", "officer", "12", "10.0.0.7",
    )  # fmt: skip


def test_a_failed_sign_in_records_the_name_tried_and_never_the_password(officer):
    Client().post(LOGIN, {"username": "officer_pp", "password": "Wrong-Password-42"})

    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.user_id is None
    assert event.detail == {"username": "officer_pp"}
    assert "Wrong-Password-42" not in str(event.detail)


def test_a_lockout_is_recorded(officer):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "officer_pp", "password": "wrong-password-000"})

    assert AuditEvent.objects.filter(action="sign_in_failed").count() == 5
    assert AuditEvent.objects.get(action="locked_out").detail == {"username": "officer_pp"}


def test_an_administrator_changing_a_role_in_the_admin_is_recorded_as_the_author(
    administrator, officer
):
    client = client_for(administrator)
    data = {
        "username": "officer_pp", "first_name": "Test", "last_name": officer.last_name,
        "email": "", "role": "verifier", "province": "12", "is_active": "on",
        "date_joined_0": "01-01-2026", "date_joined_1": "00:00:00",
        "last_login_0": "", "last_login_1": "",
    }  # fmt: skip

    response = client.post(f"/admin/accounts/user/{officer.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="role_changed")
    assert (event.username, event.object_id) == ("admin", str(officer.pk))
    assert event.detail == {"role": ["officer", "verifier"]}
    assert User.objects.get(pk=officer.pk).role == "verifier"


def test_creating_a_user_is_recorded(geo):
    user = User.objects.create_user("newclerk", password=PASSWORD, role="clerk")

    event = AuditEvent.objects.get(action="user_created")
    assert (event.object_id, event.detail) == (str(user.pk), {"role": "clerk", "province": None})


@pytest.mark.parametrize("persona", ["administrator", "director"])
def test_administrators_and_hq_directors_can_search_the_trail(request, persona, officer):
    audit_record(actor=officer, action=AuditEvent.Action.RESIDENT_VIEWED, obj=officer)
    client = client_for(request.getfixturevalue(persona))

    response = client.get("/audit/", {"action": "resident_viewed", "username": "officer_pp"})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Resident record viewed") == 2  # the filter's option and the one row
    assert AuditEvent.objects.filter(action="audit_searched").count() == 1


@pytest.mark.parametrize("persona", ["officer", "verifier", "clerk", "other_officer"])
def test_other_roles_cannot_read_the_trail(request, persona):
    client = client_for(request.getfixturevalue(persona))

    assert client.get("/audit/").status_code == 403


def test_anonymous_visitor_of_the_trail_is_sent_to_sign_in(geo):
    response = Client().get("/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/audit/"


def test_the_trail_pages_backwards_by_id(admin_client_):
    for _ in range(55):
        audit_record(actor=None, action=AuditEvent.Action.OTHER)
    newest = AuditEvent.objects.order_by("-id").first()

    first = admin_client_.get("/audit/")
    second = admin_client_.get("/audit/", {"before": first.context["events"][-1].pk})

    assert first.context["events"][0].pk == newest.pk
    assert len(first.context["events"]) == 50
    assert first.context["next_query"] is not None
    assert second.context["events"][0].pk == first.context["events"][-1].pk - 1
