"""Each role signs in, sees its own home page and menu, and reads it in Khmer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [
    ("officer_pp", User.Role.OFFICER, "12", "Provincial officer · Phnom Penh", "មន្ត្រីខេត្ត"),
    (
        "verifier_pp",
        User.Role.VERIFIER,
        "12",
        "Provincial verifier · Phnom Penh",
        "អ្នកផ្ទៀងផ្ទាត់ខេត្ត",
    ),
    ("officer_sr", User.Role.OFFICER, "17", "Provincial officer · Siemreap", "មន្ត្រីខេត្ត"),
    ("director", User.Role.DIRECTOR, None, "HQ director", "នាយកនៅទីស្នាក់ការកណ្តាល"),
    ("clerk", User.Role.CLERK, None, "Card clerk", "មន្ត្រីបោះពុម្ពប័ណ្ណ"),
    ("admin", User.Role.ADMIN, None, "Administrator", "អ្នកគ្រប់គ្រងប្រព័ន្ធ"),
]


@pytest.mark.parametrize(
    ("username", "role", "province", "heading", "khmer_heading"), ROLES, ids=[r[0] for r in ROLES]
)
def test_each_role_signs_in_sees_its_home_and_switches_to_khmer(
    geo, page, screenshot, username, role, province, heading, khmer_heading
):
    UserFactory(
        username=username, role=role, province_id=province, is_staff=role == User.Role.ADMIN
    )

    sign_in(page, username, PASSWORD)

    expect(page.get_by_test_id("home-title")).to_have_text(heading)
    nav = page.get_by_test_id("nav")
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Administration")).to_have_count(
        1 if role == User.Role.ADMIN else 0
    )
    screenshot(page, "home-en")

    page.get_by_role("button", name="ភាសាខ្មែរ").click()

    expect(page.locator("html")).to_have_attribute("lang", "km")
    expect(page.get_by_test_id("home-title")).to_contain_text(khmer_heading)
    expect(page.get_by_role("button", name="ចាកចេញ")).to_be_visible()
    screenshot(page, "home-km")


def test_a_wrong_password_shows_a_clear_error(geo, page, screenshot):
    UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")

    sign_in(page, "officer_pp", "not-the-password")

    expect(page.get_by_text("The user name or password is wrong")).to_be_visible()
    expect(page).to_have_url(page.url)
    assert "/accounts/login/" in page.url
    screenshot(page, "wrong-password")
