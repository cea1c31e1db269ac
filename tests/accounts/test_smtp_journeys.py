"""Invitations and reset links through a real SMTP server: template, headers and link proved."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import User
from tests import smtp
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
smtp_inbox = smtp.smtp_inbox

NEW_PASSWORD = "Angkor-sunrise-over-moats"


def link_in(body: str, path: str) -> str:
    return re.search(rf"https?://\S+{re.escape(path)}\S+/", body)[0]


def test_an_invitation_goes_through_smtp_and_its_link_lets_the_officer_in(
    admin_client_, smtp_inbox, django_capture_on_commit_callbacks, settings
):
    settings.JOBS_SITE_URL = "https://ims.example.gov.kh"
    data = {"username": "dara_sr", "first_name": "Dara", "last_name": "Keo",
            "email": "dara@gdi.example", "phone": "", "language": "", "role": "officer",
            "province": "17"}  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        created = admin_client_.post("/accounts/users/new/", data)

    assert created.status_code == 302
    (message,) = smtp_inbox.wait_for(1)
    assert smtp_inbox.envelopes == [("no-reply@localhost", ["dara@gdi.example"])]
    assert message["To"] == "dara@gdi.example"
    assert message["From"] == "GDI IMS <no-reply@localhost>"
    # (A long encoded subject is folded after "Subject:"; readers drop the fold's space.)
    assert message["Subject"].strip() == "គណនី GDI IMS របស់អ្នក / Your GDI IMS account"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Your user name is: dara_sr" in body
    assert "ឈ្មោះអ្នកប្រើរបស់អ្នកគឺ៖ dara_sr" in body
    link = link_in(body, "/accounts/invitation/")
    assert link.startswith("https://ims.example.gov.kh/accounts/invitation/")
    client = Client()
    path = link.removeprefix("https://ims.example.gov.kh")
    accepted = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert accepted.status_code == 302
    assert User.objects.get(username="dara_sr").check_password(NEW_PASSWORD)


def test_a_forgotten_password_round_trip_through_smtp(
    officer, smtp_inbox, django_capture_on_commit_callbacks
):
    officer.email, officer.language = "officer@gdi.example", "km"
    officer.save(update_fields=["email", "language"])
    client = Client()

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/forgotten/", {"email": "officer@gdi.example"})

    (message,) = smtp_inbox.wait_for(1)
    assert message["Subject"].strip() == "ជ្រើសរើសពាក្យសម្ងាត់ GDI IMS ថ្មី"
    link = link_in(message.get_content(), "/accounts/password/reset/")
    form = client.get(link.removeprefix("http://127.0.0.1:8000"), follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == "/accounts/password/reset/done/"
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    assert not officer.check_password(PASSWORD)
