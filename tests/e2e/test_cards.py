"""A clerk issues cards, prints a run and downloads its PDF; a visitor scans a card's QR code."""

from __future__ import annotations

import subprocess

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from cards.models import PrintRun, ResidenceCard
from tests.cards.conftest import acknowledged
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_prints_a_run_and_a_scanned_card_is_valid_once_handed_over(
    geo, page, browser, live_server, screenshot, settings, tmp_path
):
    settings.CARDS_PUBLIC_BASE_URL = live_server.url
    UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    for surname in ("CHEN", "NGUYEN"):
        acknowledged(surname=surname)

    # The clerk issues cards to every acknowledged resident of Phnom Penh.
    sign_in(page, "clerk", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Cards due").click()
    page.get_by_label("Province").select_option("12")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("due-table")).to_contain_text("CHEN")
    page.get_by_test_id("issue-province").click()
    page.get_by_test_id("confirm-issue-province").get_by_role(
        "button", name="Issue 2 cards"
    ).click()
    expect(page.get_by_text("2 cards issued.")).to_be_visible()

    # ... creates a print run of the cards not yet printed, waits for it, downloads the PDF.
    page.get_by_test_id("nav").get_by_role("link", name="Print runs").click()
    page.get_by_role("link", name="New print run").click()
    page.get_by_label("All issued cards not yet printed").check()
    page.get_by_test_id("create-print-run").click()
    expect(page.get_by_test_id("run-progress")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("run-cards")).to_contain_text("CHEN")
    screenshot(page, "print-run")
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    pdf_file = tmp_path / "run.pdf"
    download.value.save_as(pdf_file)
    assert pdf_file.read_bytes().startswith(b"%PDF")
    run = PrintRun.objects.get()
    assert (run.status, run.total) == (PrintRun.Status.DONE, 2)
    assert set(ResidenceCard.objects.values_list("status", flat=True)) == {"printed"}

    # A visitor scans the QR code on the back of the first card (page 2 of the PDF).
    subprocess.run(
        ["pdftoppm", "-r", "300", "-f", "2", "-l", "2", "-png", str(pdf_file), str(tmp_path / "b")],
        check=True,
    )
    (code,) = zxingcpp.read_barcodes(Image.open(next(tmp_path.glob("b*.png"))))
    assert code.text.startswith(f"{live_server.url}/cards/v/")
    visitor = browser.new_context(locale="en-GB")
    try:
        scan = visitor.new_page()
        # Printed but still with GDI: not valid, and nothing about its holder.
        scan.goto(code.text)
        expect(scan.get_by_test_id("validity-result")).to_have_text("Not yet issued to its holder")
        expect(scan.get_by_test_id("validity-result")).to_have_attribute(
            "data-validity", "not_handed_over"
        )
        expect(scan.get_by_test_id("validity-name")).to_have_count(0)

        # The clerk hands the card over; the same QR code now says it is valid.
        card = ResidenceCard.objects.get(token=code.text.rstrip("/").rsplit("/", 1)[-1])
        page.goto(f"{live_server.url}/cards/{card.pk}/")
        page.get_by_role("link", name="Record hand-over").click()
        page.get_by_label("Handed over to").fill(card.resident.full_name)
        page.get_by_role("button", name="Record hand-over").click()
        expect(page.get_by_text(f"Hand-over of card {card.number} recorded.")).to_be_visible()

        scan.goto(code.text)
        expect(scan.get_by_test_id("validity-result")).to_have_text("Valid")
        expect(scan.get_by_test_id("validity-result")).to_have_attribute("data-validity", "valid")
        expect(scan.get_by_test_id("validity-name")).to_contain_text("LI")
        screenshot(scan, "validity")
    finally:
        visitor.close()
