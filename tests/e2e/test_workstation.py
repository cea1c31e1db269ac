"""A verifier clears a filtered batch from the keyboard on the review screen, documents shown in
the page; a second verifier never gets the record the first one holds."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from residents.models import Declaration
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)
Status = Declaration.Status


def queued(maker: User, surname: str, days_ago: int) -> Declaration:
    declaration = make_resident(maker=maker, surname=surname).declarations.get()
    Declaration.objects.filter(pk=declaration.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return declaration


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_verifier_clears_a_filtered_batch_from_the_keyboard(geo, page, screenshot):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    other_maker = UserFactory(username="officer2_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    first = queued(officer, "ALPHA", days_ago=9)
    queued(other_maker, "OUTSIDE", days_ago=8)
    second = queued(officer, "BRAVO", days_ago=7)
    third = queued(officer, "CHARLIE", days_ago=6)
    first.documents.create(
        file=ContentFile(png(), name="passport.png"), original_name="passport.png",
        content_type="image/png", size=1, uploaded_by=officer,
    )  # fmt: skip

    sign_in(page, "verifier_pp", PASSWORD)
    page.goto("/residents/verification/")
    expect(page.get_by_test_id("queue-total")).to_contain_text("4")
    # The maker's count is a link to exactly their records; the filter stays in the URL.
    page.get_by_test_id("count-makers").get_by_role("link", name=re.compile("officer_pp")).click()
    expect(page.get_by_test_id("queue-row")).to_have_count(3)
    assert f"maker={officer.pk}" in page.url
    screenshot(page, "queue")
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.get_by_test_id("queue-row")).to_have_count(3)
    screenshot(page, "queue-km")
    page.get_by_role("button", name="English").click()

    page.get_by_test_id("start-reviewing").click()
    expect(page).to_have_url(re.compile(rf"/declarations/{first.pk}/review/\?.*maker={officer.pk}"))
    image = page.get_by_test_id("review-document").locator("img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 320
    screenshot(page, "review")
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.get_by_test_id("review-form")).to_be_visible()
    screenshot(page, "review-km")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Verify")).to_be_visible()
    page.wait_for_load_state()

    # V verifies; the next record of the same filter opens by itself.
    page.keyboard.press("v")
    expect(page).to_have_url(re.compile(rf"/declarations/{second.pk}/review/"))
    expect(page.get_by_text("Declaration verified.")).to_be_visible()
    page.wait_for_load_state()  # the keys' script runs once the page has loaded
    # R asks for the reason first; Enter in the reason returns it.
    page.keyboard.press("r")
    expect(page.get_by_label("Reason (required to return or reject)")).to_be_focused()
    page.keyboard.type("The passport copy is cut off")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/declarations/{third.pk}/review/"))
    page.wait_for_load_state()
    page.keyboard.press("v")
    expect(page.get_by_text("Nothing else to verify in this queue.")).to_be_visible()

    statuses = dict(
        Declaration.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list(
            "resident__surname", "status"
        )
    )
    assert statuses == {"ALPHA": Status.VERIFIED, "BRAVO": Status.RETURNED,
                        "CHARLIE": Status.VERIFIED}  # fmt: skip
    assert Declaration.objects.get(resident__surname="OUTSIDE").status == Status.SUBMITTED


def test_a_second_verifier_never_gets_the_record_the_first_one_holds(
    geo, browser, live_server, page, screenshot
):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    UserFactory(username="verifier2_pp", role=User.Role.VERIFIER, province_id="12")
    held = queued(officer, "HELD", days_ago=5)
    free = queued(officer, "FREE", days_ago=4)

    sign_in(page, "verifier_pp", PASSWORD)
    page.goto("/residents/verification/")
    page.get_by_test_id("start-reviewing").click()
    expect(page).to_have_url(re.compile(rf"/declarations/{held.pk}/review/"))

    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    second = context.new_page()
    try:
        sign_in(second, "verifier2_pp", PASSWORD)
        second.goto(f"/residents/declarations/{held.pk}/review/")
        expect(second.get_by_test_id("held-by-other")).to_contain_text("is reviewing")
        expect(second.get_by_test_id("review-form")).to_have_count(0)
        screenshot(second, "held")
        second.goto("/residents/verification/")
        expect(second.get_by_test_id("held-badge")).to_have_count(1)
        second.get_by_test_id("start-reviewing").click()
        expect(second).to_have_url(re.compile(rf"/declarations/{free.pk}/review/"))
    finally:
        context.close()
    assert set(Declaration.objects.values_list("resident__surname", "claimed_by__username")) == {
        ("HELD", "verifier_pp"), ("FREE", "verifier2_pp"),
    }  # fmt: skip
