"""Notifications of returns and failures: one in-app entry per recipient, one e-mail through SMTP
in the recipient's language, queued after the commit, and never twice."""

from __future__ import annotations

import pytest

from cards import services as card_services
from cards.models import PrintRun, PrintRunCard
from compilation import services as province_services
from compilation.models import ProvinceCompilation
from imports import services as import_services
from jobs import notifications, tasks
from jobs.models import Notification
from provinces.models import Province
from residents import services as resident_services
from tests import smtp
from tests.cards.conftest import acknowledged
from tests.conftest import client_for
from tests.imports.conftest import csv_bytes, person, upload
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db
smtp_inbox = smtp.smtp_inbox


def give_email(user, address: str, language: str = "") -> None:
    user.email, user.language = address, language
    user.save(update_fields=["email", "language"])


def test_a_returned_declaration_tells_its_maker_in_the_app_and_by_email_in_khmer(
    officer, verifier, smtp_inbox, django_capture_on_commit_callbacks, settings
):
    settings.JOBS_SITE_URL = "https://ims.example.gov.kh"
    give_email(officer, "officer@gdi.example", "km")
    resident = make_resident(maker=officer, surname="WANG", given_names="LI NA")
    declaration = resident.declarations.get()

    with django_capture_on_commit_callbacks(execute=True):
        resident_services.declaration_return(
            declaration=declaration, actor=verifier, reason="Passport copy unreadable"
        )

    (notification,) = Notification.objects.filter(recipient=officer)
    assert (notification.kind, notification.target, notification.province_id) == (
        "declaration_returned",
        declaration.pk,
        "12",
    )
    assert notification.text == (
        f"Declaration {declaration.pk} of WANG LI NA was returned to you: Passport copy unreadable"
    )
    assert notification.link == f"/residents/{resident.pk}/"
    assert notification.emailed_at is not None
    (message,) = smtp_inbox.wait_for(1)
    assert smtp_inbox.envelopes == [("no-reply@localhost", ["officer@gdi.example"])]
    body = message.get_content()
    assert f"https://ims.example.gov.kh/residents/{resident.pk}/" in body
    assert "Passport copy unreadable" in body
    assert "Dear" not in body  # Khmer only: the officer reads Khmer
    assert message["Subject"].strip() == "បានបញ្ជូនសេចក្តីប្រកាសត្រឡប់វិញ"


def test_an_officer_without_a_language_gets_both_languages(
    officer, verifier, smtp_inbox, django_capture_on_commit_callbacks
):
    give_email(officer, "officer@gdi.example")
    declaration = make_resident(maker=officer).declarations.get()

    with django_capture_on_commit_callbacks(execute=True):
        resident_services.declaration_return(
            declaration=declaration, actor=verifier, reason="Photo missing"
        )

    (message,) = smtp_inbox.wait_for(1)
    assert message["Subject"].strip() == ("បានបញ្ជូនសេចក្តីប្រកាសត្រឡប់វិញ / Declaration returned")
    assert "Dear " in message.get_content()


def test_the_notification_task_delivered_twice_tells_the_maker_once(
    officer, verifier, smtp_inbox, django_capture_on_commit_callbacks
):
    give_email(officer, "officer@gdi.example", "en")
    declaration = make_resident(maker=officer).declarations.get()
    with django_capture_on_commit_callbacks(execute=True):
        returned = resident_services.declaration_return(
            declaration=declaration, actor=verifier, reason="Photo missing"
        )

    tasks.notify_declaration_returned_task(returned.pk, returned.version)

    smtp_inbox.wait_for(1)
    assert Notification.objects.filter(recipient=officer).count() == 1
    assert len(smtp_inbox.messages) == 1


def test_a_declaration_verified_is_nobodys_notification(
    officer, verifier, django_capture_on_commit_callbacks
):
    declaration = make_resident(maker=officer).declarations.get()

    with django_capture_on_commit_callbacks(execute=True):
        resident_services.declaration_verify(declaration=declaration, actor=verifier)

    assert Notification.objects.count() == 0


def test_a_returned_list_tells_the_provinces_officers_and_verifiers_only(
    officer,
    officer2,
    verifier,
    other_officer,
    director,
    smtp_inbox,
    django_capture_on_commit_callbacks,
):
    for user, address in (
        (officer, "o1@gdi.example"),
        (officer2, "o2@gdi.example"),
        (verifier, "v@gdi.example"),
        (other_officer, "sr@gdi.example"),
    ):
        give_email(user, address, "en")
    ProvinceCompilation.objects.create(province_id="12", status="submitted")

    with django_capture_on_commit_callbacks(execute=True):
        province_services.province_list_return(
            province=Province.objects.get(code="12"), actor=director, reason="Count Khan 7 Makara"
        )

    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("officer2_pp", "list_returned"),
        ("officer_pp", "list_returned"),
        ("verifier_pp", "list_returned"),
    ]
    smtp_inbox.wait_for(3)
    assert sorted(to for _sender, (to,) in smtp_inbox.envelopes) == [
        "o1@gdi.example",
        "o2@gdi.example",
        "v@gdi.example",
    ]
    notification = Notification.objects.filter(recipient=verifier).get()
    assert notification.text == "HQ returned the list of Phnom Penh: Count Khan 7 Makara"
    assert notification.link == "/provinces/12/"


def test_a_failed_print_run_tells_the_clerk_who_built_it(
    clerk, settings, smtp_inbox, django_capture_on_commit_callbacks
):
    give_email(clerk, "clerk@gdi.example", "en")
    card = card_services.card_issue(declaration=acknowledged(), actor=clerk)
    run = PrintRun.objects.create(created_by=clerk, selection=PrintRun.Selection.PICKED, total=1)
    PrintRunCard.objects.create(print_run=run, card=card, position=1)
    settings.KHMER_FONT_DIR = "/nonexistent-font-dir"  # the font is missing: rendering fails

    with django_capture_on_commit_callbacks(execute=True):
        card_services.print_run_render(print_run_id=run.pk)

    (notification,) = Notification.objects.filter(recipient=clerk)
    assert (notification.kind, notification.target) == ("print_run_failed", run.pk)
    assert notification.link == f"/cards/print-runs/{run.pk}/"
    (message,) = smtp_inbox.wait_for(1)
    assert f"Print run {run.pk} failed" in message.get_content()


def test_a_failed_import_tells_its_uploader(
    officer, settings, smtp_inbox, django_capture_on_commit_callbacks
):
    give_email(officer, "officer@gdi.example", "en")
    settings.IMPORTS_MAX_BYTES = 1000

    with django_capture_on_commit_callbacks(execute=True):
        batch = import_services.import_batch_create(
            actor=officer,
            province=Province.objects.get(code="12"),
            upload=upload(csv_bytes([person(n) for n in range(30)]), "pp-list.csv"),
        )

    assert batch.status == "failed"
    (notification,) = Notification.objects.filter(recipient=officer)
    assert notification.text == "The import of pp-list.csv failed: see why, then upload it again."
    assert notification.link == f"/imports/{batch.pk}/"
    (message,) = smtp_inbox.wait_for(1)
    assert message["Subject"].strip() == "Import failed"


# --- In the app ------------------------------------------------------------------------------
def test_the_list_shows_the_entry_and_opening_it_goes_to_the_record(
    officer, verifier, django_capture_on_commit_callbacks
):
    resident = make_resident(maker=officer)
    with django_capture_on_commit_callbacks(execute=True):
        resident_services.declaration_return(
            declaration=resident.declarations.get(), actor=verifier, reason="Photo missing"
        )
    notification = Notification.objects.get()
    client = client_for(officer)

    page = client.get("/jobs/notifications/")
    opened = client.post(
        f"/jobs/notifications/{notification.pk}/read/", {"next": notification.link}
    )

    assert "was returned to you: Photo missing" in page.content.decode()
    assert (opened.status_code, opened["Location"]) == (302, f"/residents/{resident.pk}/")
    assert client.get(opened["Location"]).status_code == 200
    notification.refresh_from_db()
    assert notification.is_read


def test_an_entry_about_another_province_is_not_shown_to_a_user_who_moved(officer):
    notifications.notify(
        kind="import_failed",
        recipients=[officer],
        event_key="7",
        target=7,
        province_id="17",
        detail={"file": "sr.csv"},
    )
    client = client_for(officer)

    page = client.get("/jobs/notifications/")
    opened = client.post(f"/jobs/notifications/{Notification.objects.get().pk}/read/")

    assert "sr.csv" not in page.content.decode()
    assert opened.status_code == 404


def test_nobody_opens_another_users_notification(officer, officer2):
    (mine,) = notifications.notify(
        kind="import_failed",
        recipients=[officer],
        event_key="8",
        target=8,
        province_id="12",
        detail={"file": "a.csv"},
    )

    response = client_for(officer2).post(f"/jobs/notifications/{mine.pk}/read/")

    assert response.status_code == 404
    mine.refresh_from_db()
    assert not mine.is_read


def test_an_inactive_user_is_not_notified(officer):
    officer.is_active = False
    officer.save(update_fields=["is_active"])

    made = notifications.notify(
        kind="import_failed",
        recipients=[officer],
        event_key="9",
        target=9,
        province_id="12",
        detail={},
    )

    assert made == []
    assert Notification.objects.count() == 0


def test_a_clerk_reads_their_notifications_page(clerk):
    response = client_for(clerk).get("/jobs/notifications/")

    assert response.status_code == 200
