"""An administrator runs the expiry job now; an officer follows the notice to the renewals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from cards import services as card_services
from cards.models import ResidenceCard
from jobs.models import JobRun
from tests.cards.conftest import acknowledged
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def handed_over_card(surname: str, expiry_date: dt.date, clerk: User, maker: User) -> ResidenceCard:
    card = card_services.card_issue(
        declaration=acknowledged(surname=surname, created_by=maker), actor=clerk
    )
    ResidenceCard.objects.filter(pk=card.pk).update(
        status=ResidenceCard.Status.ACTIVE,
        issue_date=min(card.issue_date, expiry_date),
        expiry_date=expiry_date,
    )
    return card


def test_an_administrator_runs_the_job_and_an_officer_follows_the_notice_to_the_renewals(
    geo, page, browser, live_server, screenshot, tmp_path
):
    UserFactory(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    clerk = UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    today = timezone.localdate()
    handed_over_card("SOON", today + dt.timedelta(days=20), clerk, officer)
    handed_over_card("GONE", today - dt.timedelta(days=3), clerk, officer)
    handed_over_card("LATER", today + dt.timedelta(days=300), clerk, officer)

    # The administrator opens the jobs page and runs the expiry job now.
    sign_in(page, "admin", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Jobs").click()
    expect(page.get_by_test_id("job-flag_card_expiry")).to_contain_text("never")
    page.get_by_test_id("run-now").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("count-expired")).to_have_text("1")
    expect(page.get_by_test_id("count-expiring")).to_have_text("1")
    expect(page.get_by_test_id("count-notices")).to_have_text("2")
    screenshot(page, "run")
    page.get_by_role("link", name="Jobs").first.click()
    expect(page.get_by_test_id("runs").get_by_test_id("run-row")).to_have_count(1)
    run = JobRun.objects.get()
    assert (run.status, run.triggered_by.username) == ("succeeded", "admin")

    # The officer finds the notices, follows one to the renewals due, exports them.
    officer_page = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    sign_in(officer_page, "officer_pp", PASSWORD)
    officer_page.get_by_test_id("nav").get_by_role("link", name="Notifications").click()
    notices = officer_page.get_by_test_id("notification")
    expect(notices).to_have_count(2)
    soon = notices.filter(has_text="The card of 1 resident expires within 30 days: renew it.")
    soon.get_by_test_id("open-notification").click()
    rows = officer_page.get_by_test_id("renewal-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("SOON")
    expect(rows.first.get_by_test_id("expiry-badge")).to_have_text("Card expires in 20 days")
    screenshot(officer_page, "renewals")
    officer_page.get_by_test_id("nav").get_by_role("link", name="Renewals due").click()
    expect(officer_page.get_by_test_id("renewal-row")).to_have_count(2)
    with officer_page.expect_download() as download:
        officer_page.get_by_test_id("export-csv").click()
    exported = tmp_path / "renewals.csv"
    download.value.save_as(exported)
    lines = exported.read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ["GONE LI", "SOON LI"]

    # The residents list shows which cards are expiring or expired.
    officer_page.get_by_test_id("nav").get_by_role("link", name="Residents").click()
    badges = officer_page.get_by_test_id("expiry-badge")
    expect(badges).to_have_count(2)
    expect(officer_page.locator('[data-alert="expired"]')).to_have_text("Card expired 3 days ago")
    officer_page.get_by_test_id("nav").get_by_role("link", name="Notifications").click()
    expect(officer_page.locator('[data-testid="notification"][data-read="yes"]')).to_have_count(1)
