"""A resident moves from Phnom Penh to Siem Reap; another leaves Cambodia and leaves the counts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cards import services as card_services
from cards.models import ResidenceCard
from compilation import services as province_services
from residents.models import Declaration, Resident
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def _session(browser, live_server, username: str):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    return context, page


def test_a_transfer_from_phnom_penh_to_siem_reap_moves_the_record(
    geo, browser, live_server, screenshot
):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_sr", role=User.Role.VERIFIER, province_id="17")
    resident = make_resident(
        maker=officer, status=Declaration.Status.ACKNOWLEDGED, surname="TRAN", given_names="VAN"
    )
    detail = f"/residents/{resident.pk}/"

    # Phnom Penh's officer proposes the move; the record stays in Phnom Penh meanwhile.
    sender_context, sender = _session(browser, live_server, "officer_pp")
    sender.goto(detail)
    sender.get_by_role("link", name="Transfer to another province").click()
    sender.get_by_label("Receiving province").select_option("17")
    sender.get_by_label("Reason for the move").fill("Moved to Siem Reap with her employer")
    sender.get_by_role("button", name="Propose the transfer").click()
    expect(sender.get_by_test_id("open-transfer")).to_contain_text("Transfer to Siemreap proposed")
    screenshot(sender, "proposed")

    # Siem Reap's verifier finds it in the incoming list, accepts it, and now holds the record.
    receiver_context, receiver = _session(browser, live_server, "verifier_sr")
    response = receiver.goto(detail)
    assert response.status == 404
    receiver.goto("/")
    receiver.get_by_test_id("nav").get_by_role("link", name="Transfers").click()
    expect(receiver.get_by_test_id("incoming-row")).to_have_count(1)
    receiver.get_by_test_id("incoming-row").get_by_role("link", name="TRAN VAN").click()
    expect(receiver.get_by_test_id("transfer-status")).to_have_text("Proposed")
    screenshot(receiver, "incoming")
    receiver.get_by_role("button", name="Accept the transfer").click()
    expect(
        receiver.get_by_text("Transfer accepted: the resident is now your province's.")
    ).to_be_visible()
    expect(receiver.get_by_test_id("resident-name")).to_have_text("TRAN VAN")
    expect(receiver.get_by_test_id("history")).to_contain_text("Transfer accepted")
    expect(receiver.get_by_test_id("history")).to_contain_text("Phnom Penh → Siemreap")
    screenshot(receiver, "accepted")
    receiver.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(receiver.get_by_test_id("history")).to_contain_text("ការផ្ទេរត្រូវបានទទួលយក")
    screenshot(receiver, "accepted-km")

    # Phnom Penh no longer finds it.
    response = sender.goto(detail)
    assert response.status == 404
    resident.refresh_from_db()
    assert resident.province_id == "17"
    sender_context.close()
    receiver_context.close()


def test_a_departure_revokes_the_card_and_moves_the_counts(
    geo, browser, live_server, screenshot, tmp_path
):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    clerk = UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    leaving = make_resident(
        maker=officer, status=Declaration.Status.ACKNOWLEDGED, surname="PARK", given_names="MINHO"
    )
    make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED, surname="KIM")
    card = card_services.card_issue(declaration=leaving.declarations.get(), actor=clerk)
    province_services.province_summary_refresh()
    evidence = tmp_path / "exit-record.pdf"
    evidence.write_bytes(pdf_bytes())

    # Before: two current residents in Phnom Penh, no ended residence.
    hq_context, hq = _session(browser, live_server, "director")
    hq.goto("/provinces/")
    phnom_penh = hq.locator('[data-testid="province-row"][data-code="12"]')
    expect(phnom_penh.get_by_test_id("entered")).to_have_text("2")
    expect(hq.get_by_test_id("ended-departure")).to_contain_text("0")
    screenshot(hq, "dashboard-before")

    # The officer records the departure with the exit record.
    officer_context, desk = _session(browser, live_server, "officer_pp")
    desk.goto(f"/residents/{leaving.pk}/")
    desk.get_by_role("link", name="End of residence").click()
    desk.get_by_label("Why the residence ends").select_option("departure")
    desk.get_by_label("Date residence ended").fill("30-11-2026")
    desk.get_by_label("Evidence document").set_input_files(str(evidence))
    desk.get_by_role("button", name="Send for review").click()
    expect(desk.get_by_test_id("open-ending")).to_be_visible()

    # Another verifier of the province approves it: the card is revoked.
    chief_context, chief = _session(browser, live_server, "verifier_pp")
    chief.goto("/")
    chief.get_by_test_id("nav").get_by_role("link", name="Ends of residence").click()
    chief.get_by_test_id("ending-row").get_by_role("link", name="PARK MINHO").click()
    screenshot(chief, "review")
    chief.get_by_role("button", name="Approve: end the residence and revoke the card").click()
    expect(chief.get_by_text("End of residence approved; the card is revoked.")).to_be_visible()
    expect(chief.get_by_test_id("residence-ended")).to_contain_text("30-11-2026")
    expect(chief.get_by_test_id("resident-cards")).to_contain_text("Revoked")
    screenshot(chief, "ended")
    chief.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(chief.get_by_test_id("residence-ended")).to_contain_text("30-11-2026")
    screenshot(chief, "ended-km")

    # After: one current resident, one departure, the card no longer valid.
    hq.goto("/provinces/")
    expect(phnom_penh.get_by_test_id("entered")).to_have_text("1")
    expect(hq.get_by_test_id("ended-departure")).to_contain_text("1")
    screenshot(hq, "dashboard-after")
    card.refresh_from_db()
    assert card.status == ResidenceCard.Status.REVOKED
    assert Resident.objects.current().filter(province_id="12").count() == 1
    # The resident list leaves them out by default.
    desk.goto("/residents/")
    expect(desk.get_by_text("PARK MINHO")).to_have_count(0)
    for context in (hq_context, officer_context, chief_context):
        context.close()
