"""HQ's director follows the figures that are not plain counts to the records they stand for."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cards import services as card_services
from compilation import services
from provinces.models import District, Province
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, DeclarationFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_director_clicks_the_estimate_the_percentage_and_a_district_card_figure(
    geo, page, screenshot
):
    director = UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    clerk = UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    officer = UserFactory(username="officer_sr", role=User.Role.OFFICER, province_id="17")
    chief = UserFactory(username="verifier_sr", role=User.Role.VERIFIER, province_id="17")
    district = District.objects.filter(province_id="17").order_by("code").first()
    for status in ("submitted", "verified", "acknowledged", "acknowledged"):
        resident = ResidentFactory(
            province_id="17", address_province_id="17", address_district=district,
            created_by=officer,
        )  # fmt: skip
        reviewer = None if status == "submitted" else chief
        declaration = DeclarationFactory(
            resident=resident, status=status, created_by=officer, reviewed_by=reviewer
        )
        if status == "acknowledged":
            card_services.card_issue(declaration=declaration, actor=clerk)
    services.province_estimate_set(
        province=Province.objects.get(code="17"), estimated_residents=10, actor=director
    )
    services.province_summary_refresh()

    sign_in(page, "director", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Dashboard").click()
    row = page.locator('[data-testid="province-row"][data-code="17"]')

    # The estimate is not records: it opens the 4 records entered.
    estimate = row.locator('a[data-figure="estimate"]')
    expect(estimate).to_have_text("10")
    estimate.click()
    expect(page.get_by_test_id("resident-row")).to_have_count(4)
    assert "province=17" in page.url
    page.go_back()

    # 30% compiled: the 3 records verified or acknowledged.
    percent = page.locator('[data-testid="province-row"][data-code="17"] a[data-figure="percent"]')
    expect(percent).to_have_text("30%")
    percent.click()
    expect(page.get_by_test_id("resident-row")).to_have_count(3)
    assert "status=compiled" in page.url
    screenshot(page, "percentage-drilled-down")
    page.go_back()

    page.locator('[data-testid="province-row"][data-code="17"]').get_by_role(
        "link", name="Siemreap"
    ).click()
    cards = page.locator(
        f'[data-testid="district-row"][data-code="{district.code}"] a[data-drill="cards_issued"]'
    )
    expect(cards).to_have_text("2")
    cards.click()
    expect(page.get_by_test_id("card-table").locator("tbody tr")).to_have_count(2)
    assert f"district={district.code}" in page.url
    screenshot(page, "district-cards-drilled-down")
    page.go_back()

    # The list panel's "records not verified yet": the one record still submitted.
    pending = page.get_by_test_id("figure-pending")
    expect(pending).to_have_text("1")
    pending.click()
    expect(page.get_by_test_id("resident-row")).to_have_count(1)
    assert "status=pending" in page.url
