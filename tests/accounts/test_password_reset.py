"""Forgotten passwords: a link by e-mail, the same answer for any address, throttled; and the
strength check every new password passes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from accounts.passwords import StrengthValidator
from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
NEW_PASSWORD = "Kep-crab-market-at-dawn"


def reset_link(body: str) -> str:
    return re.search(r"http://\S+/accounts/password/reset/\S+/", body)[0]


def ask(client: Client, email: str):
    return client.post("/accounts/password/forgotten/", {"email": email})


def test_a_user_asks_for_a_link_follows_it_and_signs_in_with_the_new_password(
    officer, django_capture_on_commit_callbacks
):
    officer.email, officer.language = "officer@gdi.example", "en"
    officer.save(update_fields=["email", "language"])
    client = Client()

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "Officer@GDI.example")

    assert response["Location"] == "/accounts/password/forgotten/sent/"
    (message,) = mail.outbox
    assert message.to == ["officer@gdi.example"]
    assert message.subject == "Choose a new GDI IMS password"  # English only: their language
    assert "(officer_pp)" in message.body
    assert "for 60 minutes" in message.body
    link = reset_link(message.body)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done["Location"] == "/accounts/password/reset/done/"
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.filter(action=Action.USER_CHANGED).latest("id")
    assert event.detail == {"fields": ["password"], "own": True, "reset_by_email": True}
    signed_in = Client().post(
        "/accounts/login/", {"username": "officer_pp", "password": NEW_PASSWORD}
    )
    assert signed_in["Location"] == "/"
    # The link works once.
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(
    geo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(Client(), "nobody@gdi.example")

    assert response["Location"] == "/accounts/password/forgotten/sent/"
    assert mail.outbox == []
    event = AuditEvent.objects.get(action=Action.PASSWORD_RESET_REQUESTED)
    assert event.detail == {"matched": 0, "throttled": False, "ip": "127.0.0.1"}


def test_the_e_mail_is_in_both_languages_when_the_users_language_is_unknown(
    officer, django_capture_on_commit_callbacks
):
    officer.email = "officer@gdi.example"
    officer.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        ask(Client(), "officer@gdi.example")

    (message,) = mail.outbox
    assert message.subject == "ជ្រើសរើសពាក្យសម្ងាត់ GDI IMS ថ្មី / Choose a new GDI IMS password"
    assert "មាននរណាម្នាក់បានស្នើឱ្យជ្រើសរើសពាក្យសម្ងាត់ថ្មី" in message.body
    assert "Someone asked to choose a new password" in message.body


def test_requests_for_one_address_are_throttled_with_the_same_answer(
    officer, django_capture_on_commit_callbacks
):
    officer.email = "officer@gdi.example"
    officer.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        answers = [ask(Client(), "officer@gdi.example")["Location"] for _ in range(5)]

    assert answers == ["/accounts/password/forgotten/sent/"] * 5
    assert len(mail.outbox) == 3
    throttled = AuditEvent.objects.filter(
        action=Action.PASSWORD_RESET_REQUESTED, detail__throttled=True
    )
    assert throttled.count() == 2


def test_a_tampered_reset_link_is_refused_and_changes_nothing(officer):
    password = officer.password

    response = Client().get("/accounts/password/reset/MTI/set-password-xyz/", follow=True)
    posted = Client().post(
        "/accounts/password/reset/MTI/abc-123/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.context["validlink"] is False
    assert "This link is not valid" in response.content.decode()
    assert posted.context["validlink"] is False
    officer.refresh_from_db()
    assert officer.password == password


def test_an_expired_reset_link_is_refused(
    officer, django_capture_on_commit_callbacks, time_machine
):
    officer.email = "officer@gdi.example"
    officer.save(update_fields=["email"])
    # Both ends under the same clock (a travelled clock reads local time differently).
    asked_at = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(asked_at)
    with django_capture_on_commit_callbacks(execute=True):
        ask(Client(), "officer@gdi.example")
    link = reset_link(mail.outbox[0].body)
    time_machine.move_to(asked_at + dt.timedelta(seconds=3601))

    response = Client().get(link, follow=True)

    assert response.context["validlink"] is False
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_invited_users_without_a_password_are_not_sent_a_reset_link(
    officer, django_capture_on_commit_callbacks
):
    officer.email = "officer@gdi.example"
    officer.set_unusable_password()
    officer.save(update_fields=["email", "password"])

    with django_capture_on_commit_callbacks(execute=True):
        ask(Client(), "officer@gdi.example")

    assert mail.outbox == []


def test_the_forgotten_password_page_speaks_khmer(geo):
    response = Client(headers={"accept-language": "km"}).get("/accounts/password/forgotten/")

    assert "ភ្លេចពាក្យសម្ងាត់" in response.content.decode()


def test_the_sign_in_page_links_to_the_forgotten_password_page(geo):
    response = Client().get("/accounts/login/")

    assert 'href="/accounts/password/forgotten/"' in response.content.decode()


# --- The strength check ---------------------------------------------------------------------
def test_a_predictable_password_that_djangos_validators_allow_is_refused_with_advice(officer):
    with pytest.raises(ValidationError) as refused:
        StrengthValidator().validate("Passw0rd2026!", officer)

    assert refused.value.messages == [
        "This password is too easy to guess. This is similar to a commonly used password. "
        "Add another word or two. Uncommon words are better. Capitalization doesn't help very "
        "much. Predictable substitutions like '@' instead of 'a' don't help very much."
    ]


def test_the_strength_advice_is_in_khmer(officer):
    with translation.override("km"), pytest.raises(ValidationError) as refused:
        StrengthValidator().validate("aaaaaaaaaaaa12", officer)

    assert refused.value.messages == [
        'ពាក្យសម្ងាត់នេះងាយទាយពេក។ ការដដែលៗដូចជា "aaa" ងាយទាយណាស់។ '
        "បន្ថែមពាក្យមួយ ឬពីរទៀត។ ពាក្យដែលមិនសូវប្រើគឺល្អជាង។ "
        "ជៀសវាងពាក្យ និងតួអក្សរដដែលៗ។"
    ]


def test_a_few_uncommon_words_pass(officer):
    StrengthValidator().validate(NEW_PASSWORD, officer)


def test_the_change_password_page_refuses_a_guessable_password_and_keeps_the_old(
    officer_client, officer
):
    response = officer_client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Passw0rd2026!",
         "new_password2": "Passw0rd2026!"},
    )  # fmt: skip

    assert response.status_code == 200
    assert (
        response.context["form"]
        .errors["new_password2"][0]
        .startswith("This password is too easy to guess.")
    )
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)
