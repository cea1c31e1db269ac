"""HQ's director reads the forecast and follows a figure of the dashboard to exactly its records."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from compilation import services
from provinces.models import Province
from tests.compilation.conftest import make_record
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_director_reads_the_forecast_and_drills_down_to_the_records(geo, page, screenshot):
    director = UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    officer = UserFactory(username="officer_sr", role=User.Role.OFFICER, province_id="17")
    chief = UserFactory(username="verifier_sr", role=User.Role.VERIFIER, province_id="17")
    for status in ("submitted", "submitted", "submitted", "verified"):
        make_record(province="17", status=status, maker=officer, checker=chief)
    make_record(province="12", status="submitted", maker=officer, checker=chief)
    siem_reap = Province.objects.get(code="17")
    services.province_estimate_set(province=siem_reap, estimated_residents=10, actor=director)
    for _ in range(7):  # one a day over the last 7 days
        audit_record(actor=chief, action=AuditEvent.Action.DECLARATION_VERIFIED)
    services.province_summary_refresh()

    sign_in(page, "director", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Dashboard").click()
    forecast = page.get_by_test_id("forecast")
    expect(forecast.get_by_test_id("forecast-rate")).to_have_text("1.0")
    expect(forecast.get_by_test_id("chart-burndown").locator("svg")).to_be_visible()
    screenshot(page, "forecast")
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.get_by_test_id("forecast")).to_contain_text("ការព្យាករ")
    screenshot(page, "forecast-km")
    page.get_by_role("button", name="English").click()

    row = page.locator('[data-testid="province-row"][data-code="17"]')
    link = row.locator('a[data-drill="submitted"]')
    expect(link).to_have_text("3")
    link.click()

    expect(page.get_by_test_id("resident-row")).to_have_count(3)
    assert "status=submitted" in page.url
    assert "province=17" in page.url
    screenshot(page, "drilled-down")

    page.go_back()
    page.locator('[data-testid="province-row"][data-code="17"]').get_by_role(
        "link", name="Siemreap"
    ).click()
    expect(page.get_by_test_id("forecast")).to_be_visible()
    # 10 expected, 1 verified: 9 to decide at 1 a day, from tomorrow.
    expect(page.get_by_test_id("forecast-remaining")).to_have_text("9")
    page.locator('[data-testid="province-figures"] a[data-drill="verified"]').click()
    expect(page.get_by_test_id("resident-row")).to_have_count(1)
    screenshot(page, "province-drilled-down")
