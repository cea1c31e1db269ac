"""Onboarding and self-service in the browser, with e-mail through a real SMTP server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests import smtp
from tests.e2e.conftest import current_otp_code, sign_in
from tests.factories import PASSWORD, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
smtp_inbox = smtp.smtp_inbox

NEW_PASSWORD = "Bayon-faces-smile-at-dusk"


def link_in(body: str, path: str) -> str:
    return re.search(rf"https?://\S+{re.escape(path)}\S+/", body)[0]


def test_an_administrator_onboards_a_siem_reap_officer_who_signs_in_with_a_recovery_code(
    geo, page, browser, live_server, smtp_inbox, settings, screenshot
):
    settings.JOBS_SITE_URL = live_server.url
    UserFactory(username="admin", role=User.Role.ADMIN, province=None, is_staff=True)
    ResidentFactory(surname="SOK", given_names="SIEM REAP ONE", province_id="17")
    ResidentFactory(surname="LIM", given_names="PHNOM PENH ONE", province_id="12")

    # The administrator creates the officer.
    sign_in(page, "admin", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Users").click()
    page.get_by_test_id("user-create").click()
    page.fill("[name=username]", "dara_sr")
    page.fill("[name=email]", "dara@gdi.example")
    page.fill("[name=first_name]", "Dara")
    page.fill("[name=last_name]", "Keo")
    page.select_option("[name=role]", "officer")
    page.select_option("[name=province]", "17")
    page.select_option("select[name=language]", "en")
    screenshot(page, "create-user")
    page.get_by_role("button", name="Create and invite").click()
    expect(page.get_by_text("The invitation was e-mailed to dara@gdi.example.")).to_be_visible()
    expect(page.get_by_test_id("user-password-state")).to_have_text("Not set yet (invited)")

    # The invitation arrives at the SMTP server.
    (message,) = smtp_inbox.wait_for(1)
    assert message["To"] == "dara@gdi.example"
    link = link_in(message.get_content(), "/accounts/invitation/")

    # The officer follows it in their own browser.
    officer_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    officer_page = officer_context.new_page()
    officer_page.goto(link)
    expect(officer_page.get_by_text("Your user name is dara_sr.")).to_be_visible()
    officer_page.fill("[name=new_password1]", NEW_PASSWORD)
    officer_page.fill("[name=new_password2]", NEW_PASSWORD)
    officer_page.get_by_role("button", name="Set my password").click()
    expect(officer_page.get_by_test_id("otp-enrol-title")).to_be_visible()
    officer_page.get_by_label("Code from your authenticator app").fill(
        current_otp_code("dara_sr", confirmed=False)
    )
    officer_page.get_by_role("button", name="Confirm").click()
    expect(officer_page.get_by_test_id("recovery-title")).to_be_visible()
    officer_page.get_by_test_id("recovery-generate").click()
    codes = officer_page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    screenshot(officer_page, "recovery-codes")
    officer_page.get_by_test_id("recovery-saved").click()
    expect(officer_page.get_by_test_id("whoami")).to_contain_text("dara_sr")

    # Phone lost: next time, a recovery code instead of the app.
    officer_page.get_by_role("button", name="Sign out").click()
    officer_page.goto("/accounts/login/")
    officer_page.get_by_label("User name").fill("dara_sr")
    officer_page.get_by_label("Password").fill(NEW_PASSWORD)
    officer_page.get_by_role("button", name="Sign in").click()
    officer_page.get_by_text("Lost your phone? Use a recovery code").click()
    officer_page.get_by_label("Recovery code").fill(codes[0])
    screenshot(officer_page, "recovery-code-step")
    officer_page.get_by_role("button", name="Use this recovery code").click()
    left = officer_page.get_by_text("You signed in with a recovery code: 9 are left.")
    expect(left).to_be_visible()

    # They see Siem Reap only.
    expect(officer_page.get_by_test_id("whoami")).to_contain_text("Siemreap")
    officer_page.get_by_test_id("nav").get_by_role("link", name="Residents").click()
    rows = officer_page.get_by_test_id("resident-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("SOK")
    officer_context.close()

    # The administrator sees the officer's second factor set up.
    page.goto("/accounts/users/?q=dara")
    expect(page.get_by_test_id("user-row")).to_contain_text("Set up")
    screenshot(page, "users-list")


def test_a_forgotten_password_round_trip_in_the_browser(
    geo, page, live_server, smtp_inbox, settings, screenshot
):
    settings.JOBS_SITE_URL = live_server.url
    UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12",
                email="officer@gdi.example", language="km")  # fmt: skip

    page.goto("/accounts/login/")
    page.get_by_test_id("forgotten-password").click()
    page.get_by_label("Your e-mail address").fill("officer@gdi.example")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_test_id("reset-sent")).to_be_visible()

    (message,) = smtp_inbox.wait_for(1)
    page.goto(link_in(message.get_content(), "/accounts/password/reset/"))
    page.fill("[name=new_password1]", NEW_PASSWORD)
    page.fill("[name=new_password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_test_id("reset-complete")).to_be_visible()

    sign_in(page, "officer_pp", NEW_PASSWORD)
    expect(page.get_by_test_id("whoami")).to_contain_text("officer_pp")


def test_the_users_and_security_pages_read_in_both_languages(geo, page, screenshot):
    UserFactory(username="admin", role=User.Role.ADMIN, province=None, is_staff=True)
    UserFactory(username="officer_sr", role=User.Role.OFFICER, province_id="17")
    sign_in(page, "admin", PASSWORD)

    page.goto("/accounts/users/")
    expect(page.get_by_test_id("users-title")).to_have_text("Users")
    screenshot(page, "users-en")
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.locator("html")).to_have_attribute("lang", "km")
    expect(page.get_by_test_id("users-title")).to_have_text("អ្នកប្រើ")
    screenshot(page, "users-km")
    page.get_by_test_id("user-row").filter(has_text="officer_sr").get_by_role("link").click()
    expect(page.get_by_text("ព័ត៌មានលម្អិត តួនាទី និងខេត្ត")).to_be_visible()
    screenshot(page, "user-detail-km")
    page.goto("/accounts/security/")
    expect(page.get_by_text("កន្លែងដែលអ្នកបានចូលប្រើ")).to_be_visible()
    screenshot(page, "security-km")


def test_an_onboarding_file_with_bad_rows_is_reported_row_by_row(geo, page, tmp_path, screenshot):
    UserFactory(username="admin", role=User.Role.ADMIN, province=None, is_staff=True)
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "username,name,email,role,province\n"
        "sokha_sr,Sokha Chan,sokha@gdi.example,officer,17\n"
        "dara_sr,Dara Keo,dara@gdi.example,chief,17\n"
        "vannak,Vannak Ly,vannak@gdi.example,officer,\n"
    )
    sign_in(page, "admin", PASSWORD)

    page.goto("/accounts/users/")
    page.get_by_test_id("user-import").click()
    page.set_input_files("[name=file]", str(staff))
    page.get_by_role("button", name="Send the file").click()

    expect(page.get_by_test_id("import-errors")).to_contain_text("2 rows have problems")
    expect(page.get_by_test_id("import-error-row")).to_have_count(2)
    screenshot(page, "import-errors-en")
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.locator("h1")).to_have_text("នាំចូលអ្នកប្រើ")
    screenshot(page, "import-km")
    page.goto("/accounts/confirm/?next=/")
    expect(page.get_by_test_id("reauth-title")).to_have_text("សូមបញ្ជាក់ថាជាអ្នក")
    screenshot(page, "confirm-km")
    assert not User.objects.filter(username="sokha_sr").exists()
