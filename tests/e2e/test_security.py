"""In a real browser: two-factor set-up with the inline QR code, and no CSP violation anywhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.conftest import current_otp_code, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_director_sets_up_two_factor_sign_in_and_no_page_breaks_the_csp(geo, page, screenshot):
    UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill("director")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_test_id("otp-enrol-title")).to_be_visible()
    qr = page.get_by_test_id("otp-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100
    screenshot(page, "otp-set-up")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("This code is wrong")).to_be_visible()
    # django-otp throttles after a failure (1 s, doubling): a code typed at once is refused.
    page.wait_for_timeout(1500)
    page.get_by_label("Code from your authenticator app").fill(
        current_otp_code("director", confirmed=False)
    )
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_test_id("home-title")).to_have_text("HQ director")
    page.get_by_test_id("nav").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_test_id("audit-title")).to_be_visible()
    expect(page.get_by_test_id("audit-table")).to_contain_text("Two-factor sign-in set up")
    screenshot(page, "audit-trail")
    assert violations == []


def test_a_clerk_with_a_device_types_the_code_after_the_password(geo, page):
    from accounts.otp import ensure_confirmed_device

    clerk = UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    ensure_confirmed_device(clerk)

    sign_in(page, "clerk", PASSWORD)

    expect(page.get_by_test_id("home-title")).to_have_text("Card clerk")
