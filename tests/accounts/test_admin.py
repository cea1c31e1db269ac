"""The Django admin's user pages, kept for superusers."""

from __future__ import annotations

from accounts.models import User
from audit.models import AuditEvent
from tests.conftest import client_for

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
