"""An officer enters and submits a resident, a verifier verifies it and returns another one;
an officer of another province cannot find the passport."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from residents.models import Declaration, Resident
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)


def sign_out(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def test_entry_verification_scoping_and_return_journey(geo, page, screenshot):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    UserFactory(username="officer_sr", role=User.Role.OFFICER, province_id="17")
    other = make_resident(maker=officer, surname="TRAN", given_names="THI LAN")

    # Officer A enters a resident and a declaration, and submits them.
    sign_in(page, "officer_pp", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="New resident").click()
    page.get_by_label("Surname").fill("Chen")
    page.get_by_label("Given names").fill("Xiao Ming")
    page.get_by_label("Name in own script").fill("陈小明")
    page.get_by_label("Sex").select_option("M")
    page.get_by_label("Date of birth").fill("1972-08-30")
    page.get_by_label("Nationality").select_option("CN")
    page.get_by_label("District").select_option("1201")
    # The commune list follows the district (htmx).
    expect(page.locator("#id_address_commune option[value='120101']")).to_have_count(1)
    page.get_by_label("Commune").select_option("120101")
    page.get_by_label("Passport number").fill("EJ 765-4321")
    page.get_by_label("Issuing country").select_option("CN")
    page.get_by_label("Basis of residence").select_option(label="Investment")
    screenshot(page, "entry-form")
    page.get_by_role("button", name="Save and submit for verification").click()

    expect(page.get_by_text("Resident saved and submitted for verification.")).to_be_visible()
    expect(page.get_by_test_id("resident-name")).to_have_text("CHEN XIAO MING")
    expect(page.get_by_test_id("passport")).to_contain_text("••••••321")
    expect(page.get_by_test_id("declaration").get_by_test_id("status")).to_have_text("Submitted")
    screenshot(page, "entered")
    resident = Resident.objects.get(surname="CHEN")
    declaration = resident.declarations.get()

    # Officer A cannot verify their own declaration.
    response = page.goto(f"/residents/declarations/{declaration.pk}/review/")
    assert response.status == 403
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SUBMITTED
    page.goto("/")
    sign_out(page)

    # Verifier A verifies it from the queue...
    sign_in(page, "verifier_pp", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Verification queue").click()
    expect(page.get_by_test_id("queue-row")).to_have_count(2)
    screenshot(page, "queue")
    page.get_by_test_id("queue-row").filter(has_text="CHEN XIAO MING").get_by_role(
        "link", name="Review"
    ).click()
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Declaration verified.")).to_be_visible()

    # ... the next record of the queue opens by itself, and she returns it with a reason.
    expect(page.get_by_role("heading", name="Review: TRAN THI LAN")).to_be_visible()
    page.get_by_role("button", name="Return to officer").click()
    expect(page.get_by_text("Give the reason: the officer will read it.")).to_be_visible()
    page.get_by_label("Reason (required to return or reject)").fill(
        "The passport copy is unreadable; attach a clearer scan."
    )
    page.get_by_role("button", name="Return to officer").click()
    expect(page.get_by_text("Declaration returned to the officer.")).to_be_visible()
    expect(page.get_by_text("Nothing else to verify in this queue.")).to_be_visible()
    expect(page.get_by_text("Nothing to verify.")).to_be_visible()
    sign_out(page)
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.VERIFIED
    assert other.declarations.get().status == Declaration.Status.RETURNED

    # An officer of another province searching the passport finds nothing.
    sign_in(page, "officer_sr", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Residents").click()
    page.get_by_label("Passport number").fill("EJ7654321")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("no-results")).to_be_visible()
    expect(page.get_by_test_id("resident-row")).to_have_count(0)
    screenshot(page, "other-province-search")
    assert page.goto(f"/residents/{resident.pk}/").status == 404
    page.goto("/")
    sign_out(page)

    # Officer A sees the returned record and its reason.
    sign_in(page, "officer_pp", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Returned to me").click()
    expect(page.get_by_test_id("returned-reason")).to_have_text(
        "The passport copy is unreadable; attach a clearer scan."
    )
    page.get_by_role("link", name="TRAN THI LAN").click()
    expect(page.get_by_test_id("status-reason")).to_contain_text("attach a clearer scan")
    expect(page.get_by_test_id("history")).to_contain_text(re.compile("Returned to the officer"))
    screenshot(page, "returned-reason")
    # The same passport search finds the record in its own province.
    page.get_by_test_id("nav").get_by_role("link", name="Residents").click()
    page.get_by_label("Passport number").fill("ej765 4321")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("resident-row")).to_have_count(1)
    assert "passport_sealed=" in page.url and "7654321" not in page.url
    expect(page.get_by_label("Passport number")).to_have_value("ej765 4321")
    expect(page.get_by_test_id("resident-row")).to_contain_text("CHEN XIAO MING")
