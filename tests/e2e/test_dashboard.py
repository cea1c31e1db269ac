"""HQ's director follows the 25 provinces, opens one, signs its list off; the headline follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from compilation import services
from compilation.models import ProvinceCompilation
from provinces.models import Province
from tests.compilation.conftest import make_record
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_director_sees_25_provinces_opens_one_and_signs_it_off(geo, page, screenshot):
    director = UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    officer = UserFactory(username="officer_sr", role=User.Role.OFFICER, province_id="17")
    chief = UserFactory(username="verifier_sr", role=User.Role.VERIFIER, province_id="17")
    for nationality in ("CN", "CN", "VN"):
        make_record(
            province="17", status="verified", maker=officer, checker=chief, nationality=nationality
        )
    siem_reap = Province.objects.get(code="17")
    services.province_estimate_set(province=siem_reap, estimated_residents=4, actor=director)
    services.province_list_submit(province=siem_reap, actor=chief)
    services.province_summary_refresh()

    sign_in(page, "director", PASSWORD)
    expect(page.get_by_test_id("headline-finished")).to_have_text("0 / 25")
    page.get_by_test_id("nav").get_by_role("link", name="Dashboard").click()

    expect(page.get_by_test_id("province-row")).to_have_count(25)
    expect(page.get_by_test_id("headline-finished")).to_have_text("0 / 25")
    expect(page.get_by_test_id("headline-compiled")).to_have_text("3 / 4")
    row = page.locator('[data-testid="province-row"][data-code="17"]')
    expect(row.get_by_test_id("list-status")).to_have_text("Submitted to HQ")
    expect(row.get_by_test_id("progress")).to_have_text("75%")
    expect(page.get_by_test_id("chart-nationality").locator("svg")).to_be_visible()
    screenshot(page, "dashboard")

    row.get_by_role("link", name="Siemreap").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Siemreap")
    expect(page.get_by_test_id("figure-verified")).to_have_text("3")
    page.get_by_role("button", name="Sign off the list").click()

    expect(
        page.get_by_text("The province list is signed off: the province is finished.")
    ).to_be_visible()
    expect(page.get_by_test_id("list-status")).to_have_text("Finished")
    expect(page.get_by_test_id("list-history")).to_contain_text("Signed off")
    screenshot(page, "signed-off")
    assert ProvinceCompilation.objects.get(province_id="17").signed_off_by == director

    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_test_id("headline-finished")).to_have_text("1 / 25")
    expect(
        page.locator('[data-testid="province-row"][data-code="17"]').get_by_test_id("list-status")
    ).to_have_text("Finished")

    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.get_by_test_id("page-title")).to_have_text("ការចងក្រងបញ្ជីខេត្ត")
    expect(page.get_by_test_id("province-row")).to_have_count(25)
    screenshot(page, "dashboard-km")
