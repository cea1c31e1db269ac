"""After the first card: a correction that replaces a printed card, a renewal to a new card."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from cards import services as card_services
from cards.models import ResidenceCard
from residents.models import Declaration
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def carded_resident(officer: User, clerk: User, **card: object) -> ResidenceCard:
    """An acknowledged Phnom Penh resident whose card was printed and handed over."""
    resident = make_resident(
        maker=officer,
        status=Declaration.Status.ACKNOWLEDGED,
        surname="WANG",
        given_names="LI NA",
        number="E24681357",
    )
    new = card_services.card_issue(declaration=resident.declarations.get(), actor=clerk)
    ResidenceCard.objects.filter(pk=new.pk).update(
        **{"status": ResidenceCard.Status.ACTIVE, **card}
    )
    new.refresh_from_db()
    return new


def khmer_then_english(page, screenshot, name: str) -> None:
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    page.wait_for_load_state()
    screenshot(page, f"{name}-km")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()


def test_a_correction_of_a_printed_name_replaces_the_card(
    geo, page, browser, live_server, screenshot, tmp_path
):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    clerk = UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    card = carded_resident(officer, clerk)
    evidence = tmp_path / "passport-page.pdf"
    evidence.write_bytes(pdf_bytes())

    # The officer's edit of the acknowledged record becomes a correction request.
    sign_in(page, "officer_pp", PASSWORD)
    page.goto(f"/residents/{card.resident_id}/")
    page.get_by_test_id("ask-correction").click()
    page.get_by_label("Surname").fill("WONG")
    page.get_by_label("Reason for the correction").fill(
        "Misspelt at entry; the passport reads WONG"
    )
    page.get_by_label("Evidence").set_input_files(str(evidence))
    screenshot(page, "request")
    page.get_by_test_id("request-correction").click()
    expect(page.get_by_test_id("correction-status")).to_have_text("Correction requested")
    expect(page.get_by_test_id("correction-changes")).to_contain_text("WANG")
    expect(page.get_by_test_id("correction-changes")).to_contain_text("WONG")
    expect(page.get_by_test_id("decision-form")).to_have_count(0)

    # Another verifier of the province approves it: the printed card is replaced.
    verifier_page = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    sign_in(verifier_page, "verifier_pp", PASSWORD)
    verifier_page.goto("/residents/corrections/")
    verifier_page.get_by_test_id("correction-row").get_by_role("link").click()
    screenshot(verifier_page, "decide")
    khmer_then_english(verifier_page, screenshot, "decide")
    verifier_page.get_by_label("Decision").select_option("approve")
    verifier_page.get_by_role("button", name="Record the decision").click()
    new = ResidenceCard.objects.get(replaces=card)
    expect(verifier_page.get_by_test_id("correction-status")).to_have_text("Correction approved")
    expect(verifier_page.get_by_test_id("correction-effect")).to_have_text(
        f"Card {card.number} replaced by {new.number}"
    )
    screenshot(verifier_page, "approved")

    card.refresh_from_db()
    assert card.status == ResidenceCard.Status.REPLACED
    assert (new.status, new.expiry_date) == (ResidenceCard.Status.ISSUED, card.expiry_date)
    assert ResidenceCard.objects.current().filter(resident=card.resident).get() == new

    # The old card's QR code now answers "not valid"; the record's history tells the whole story.
    page.goto(f"/cards/v/{card.token}/")
    expect(page.get_by_test_id("validity-result")).to_have_attribute("data-validity", "not_valid")
    page.goto(f"/residents/{card.resident_id}/")
    expect(page.get_by_test_id("resident-name")).to_have_text("WONG LI NA")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Correction requested")
    expect(history).to_contain_text("Correction approved")
    expect(history).to_contain_text(new.number)
    screenshot(page, "history")
    khmer_then_english(page, screenshot, "history")


def test_a_renewal_goes_from_expiring_to_a_new_card(geo, page, browser, live_server, screenshot):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    clerk = UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    today = timezone.localdate()
    card = carded_resident(
        officer,
        clerk,
        status=ResidenceCard.Status.EXPIRING,
        issue_date=today - dt.timedelta(days=700),
        expiry_date=today + dt.timedelta(days=30),
    )

    def open_in(username: str):
        other = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
        sign_in(other, username, PASSWORD)
        return other

    # The officer starts the renewal from the renewals page and submits the new declaration.
    sign_in(page, "officer_pp", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Renewals due").click()
    row = page.get_by_test_id("renewal-row")
    expect(row).to_have_attribute("data-state", "not_started")
    screenshot(page, "expiring")
    row.get_by_test_id("start-renewal").click()
    expect(page).to_have_url(re.compile(rf"/residents/{card.resident_id}/"))
    draft = page.locator(f"#declaration-{card.resident.declarations.latest('id').pk}")
    draft.get_by_role("button", name="Submit for verification").click()
    page.get_by_test_id("nav").get_by_role("link", name="Renewals due").click()
    expect(page.get_by_test_id("renewal-row")).to_contain_text("Renewal started")
    screenshot(page, "started")
    khmer_then_english(page, screenshot, "started")
    assert ResidenceCard.objects.current().filter(resident=card.resident).count() == 1

    # The verifier verifies it, the director acknowledges it.
    renewal = Declaration.objects.filter(resident=card.resident).latest("id")
    verifier = open_in("verifier_pp")
    verifier.goto(f"/residents/declarations/{renewal.pk}/review/")
    verifier.get_by_role("button", name="Verify").click()
    expect(verifier.locator("body")).to_contain_text("verified")
    director = open_in("director")
    director.goto(f"/residents/{card.resident_id}/")
    director.locator(f"#declaration-{renewal.pk}").get_by_role("button", name="Acknowledge").click()
    renewal.refresh_from_db()
    assert renewal.status == Declaration.Status.ACKNOWLEDGED
    assert ResidenceCard.objects.current().filter(resident=card.resident).count() == 1

    # The card office renews the card from the renewals page: the new card replaces the old.
    clerk_page = open_in("clerk")
    clerk_page.goto("/jobs/renewals/")
    expect(clerk_page.get_by_test_id("renewal-row")).to_have_attribute("data-state", "ready")
    screenshot(clerk_page, "ready")
    clerk_page.get_by_test_id("renew-card").click()
    clerk_page.get_by_label(re.compile("new declaration is verified and acknowledged")).check()
    clerk_page.get_by_role("button", name="Renew").click()
    new = ResidenceCard.objects.get(replaces=card)
    expect(clerk_page).to_have_url(re.compile(rf"/cards/{new.pk}/"))
    clerk_page.goto("/jobs/renewals/")
    expect(clerk_page.get_by_test_id("renewal-row")).to_have_attribute("data-state", "renewed")
    expect(clerk_page.get_by_test_id("renewal-row")).to_contain_text(new.number)
    screenshot(clerk_page, "renewed")
    khmer_then_english(clerk_page, screenshot, "renewed")

    card.refresh_from_db()
    assert card.status == ResidenceCard.Status.REPLACED
    assert new.declaration == renewal
    assert ResidenceCard.objects.current().filter(resident=card.resident).get() == new
