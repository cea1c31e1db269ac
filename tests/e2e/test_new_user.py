"""What a new user meets on their first day, in the browser at 1280 px, in English and Khmer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from cards import services as card_services
from cards.models import ResidenceCard
from compilation import services as province_services
from provinces.models import Province
from residents.models import Declaration, ResidenceBasis, Resident
from tests.cards.conftest import acknowledged
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [
    ("officer_pp", User.Role.OFFICER, "12"),
    ("verifier_pp", User.Role.VERIFIER, "12"),
    ("director", User.Role.DIRECTOR, None),
    ("clerk", User.Role.CLERK, None),
    ("admin", User.Role.ADMIN, None),
]


def in_khmer(page, live_server) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "km", "url": live_server.url}]
    )


def menu_lines(page) -> int:
    """On how many lines the section menu's entries lie."""
    return page.evaluate(
        "() => new Set([...document.querySelectorAll('[data-testid=nav] .nav-item')]"
        ".map(item => item.getBoundingClientRect().top)).size"
    )


@pytest.mark.parametrize(("username", "role", "province"), ROLES, ids=[r[0] for r in ROLES])
def test_the_menu_holds_on_one_line_at_1280_px_in_both_languages(
    geo, page, live_server, screenshot, username, role, province
):
    UserFactory(
        username=username, role=role, province_id=province, is_staff=role == User.Role.ADMIN
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, username, PASSWORD)

    screenshot(page, "menu-en")
    assert menu_lines(page) == 1
    in_khmer(page, live_server)
    page.goto("/")
    screenshot(page, "menu-km")
    assert menu_lines(page) == 1


@pytest.mark.parametrize("language", ["en", "km"])
def test_the_dashboard_table_shows_its_last_columns_at_1280_px(
    geo, page, live_server, screenshot, language
):
    director = UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    for province in Province.objects.all():
        province_services.province_estimate_set(
            province=province, estimated_residents=120_000, actor=director
        )
    province_services.province_summary_refresh()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "director", PASSWORD)
    if language == "km":
        in_khmer(page, live_server)
    page.goto("/provinces/")

    table = page.get_by_test_id("province-table")
    wrapper = page.locator(".table-responsive").filter(has=table)
    assert wrapper.evaluate("el => el.scrollWidth <= el.clientWidth")
    row = page.locator('[data-testid="province-row"][data-code="12"]')
    for cell in (row.get_by_test_id("list-status"), row.locator("td").last):
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280
    screenshot(page, f"dashboard-{language}")


def fill_new_resident(page, *, surname: str = "Chen", passport: str = "EJ 765-4321") -> None:
    """The new-resident form, with day-first dates typed in Khmer digits."""
    page.locator("#id_surname").fill(surname)
    page.locator("#id_given_names").fill("Xiao Ming")
    page.locator("#id_sex").select_option("M")
    page.locator("#id_date_of_birth").fill("៣០-០៨-១៩៧២")
    page.locator("#id_nationality").select_option("CN")
    page.locator("#id_address_district").select_option("1201")
    expect(page.locator("#id_address_commune option[value='120101']")).to_have_count(1)
    page.locator("#id_address_commune").select_option("120101")
    page.locator("#id_passport_number").fill(passport)
    page.locator("#id_passport_country").select_option("CN")
    page.locator("#id_passport_issue_date").fill("1/2/2020")
    page.locator("#id_basis").select_option(str(ResidenceBasis.objects.get(code="investment").pk))


def test_the_new_resident_form_has_capitalised_labels_and_day_first_date_boxes(geo, page):
    UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    sign_in(page, "officer_pp", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="New resident", exact=True).click()

    labels = {
        "photo_upload": "Photo",
        "passport_number": "Passport number*",
        "passport_country": "Issuing country*",
        "passport_issue_date": "Passport issue date",
        "passport_expiry_date": "Passport expiry date",
        "declared_on": "Date of declaration*",
        "basis": "Basis of residence*",
        "notes": "Notes",
    }
    for name, label in labels.items():
        expect(page.locator(f"label[for=id_{name}]")).to_have_text(label)
    for name in ("date_of_birth", "arrival_date", "passport_issue_date", "declared_on"):
        box = page.locator(f"#id_{name}")
        expect(box).to_have_attribute("type", "text")
        expect(box).to_have_attribute("placeholder", "DD-MM-YYYY")


def test_an_officer_types_khmer_digits_and_reads_countries_in_khmer(
    geo, page, live_server, screenshot
):
    UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    sign_in(page, "officer_pp", PASSWORD)
    in_khmer(page, live_server)
    page.goto("/residents/new/")

    expect(page.locator("#id_nationality option[value=FR]")).to_have_text("បារាំង")
    expect(page.locator("#id_passport_country option[value=KR]")).to_have_text(
        "កូរ៉េ\u200bខាង\u200bត្បូង"
    )
    expect(page.locator("#id_date_of_birth")).to_have_attribute(
        "placeholder", "ថ្ងៃ-ខែ-ឆ្នាំ (DD-MM-YYYY)"
    )
    fill_new_resident(page)
    screenshot(page, "entry-km")
    page.locator("button[name=submit]").click()

    expect(page.get_by_test_id("resident-name")).to_have_text("CHEN XIAO MING")
    expect(page.get_by_test_id("passport")).to_contain_text("ចិន")
    expect(page.get_by_text("30-08-1972")).to_be_visible()
    screenshot(page, "entered-km")
    resident = Resident.objects.get()
    assert resident.date_of_birth == dt.date(1972, 8, 30)
    assert resident.documents.get().issue_date == dt.date(2020, 2, 1)


def test_a_photo_attached_to_a_form_that_comes_back_is_kept(geo, page, tmp_path, screenshot):
    UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (60, 80), (200, 120, 40)).save(photo, "JPEG")
    sign_in(page, "officer_pp", PASSWORD)
    page.goto("/residents/new/")
    fill_new_resident(page, surname="")
    page.locator("#id_photo_upload").set_input_files(str(photo))

    page.locator("button[name=submit]").click()

    expect(page.get_by_test_id("form-errors")).to_have_text(
        "Please correct the fields marked below. Nothing you typed was lost. Your photo is kept."
    )
    screenshot(page, "photo-kept")
    page.locator("#id_surname").fill("Chen")
    page.locator("button[name=submit]").click()
    expect(page.get_by_test_id("photo")).to_be_visible()
    assert Resident.objects.get().photo


def test_a_duplicate_passport_links_to_the_record_the_officer_may_see(geo, page):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    holder = make_resident(maker=officer, number="EJ7654321", surname="WANG", nationality="CN")
    sign_in(page, "officer_pp", PASSWORD)
    page.goto("/residents/new/")
    fill_new_resident(page, passport="EJ 765 4321")

    page.locator("button[name=submit]").click()
    page.get_by_test_id("passport-holder").get_by_role(
        "link", name="Open the existing record"
    ).click()

    expect(page).to_have_url(f"{page.url.split('/residents/')[0]}/residents/{holder.pk}/")
    expect(page.get_by_test_id("resident-name")).to_contain_text("WANG")


def test_after_acknowledging_the_director_issues_the_card_from_the_resident_page(
    geo, page, screenshot
):
    UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    resident = make_resident(maker=officer, status=Declaration.Status.VERIFIED)
    sign_in(page, "director", PASSWORD)
    page.goto(f"/residents/{resident.pk}/")

    page.get_by_test_id("declaration").get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("next-step")).to_contain_text("Next step")
    screenshot(page, "next-step")
    page.get_by_test_id("next-step").get_by_role("button", name="Issue card").click()

    card = ResidenceCard.objects.get(resident=resident)
    expect(page.get_by_text(f"Card {card.number} issued.")).to_be_visible()
    page.goto(f"/residents/{resident.pk}/")
    page.get_by_test_id("resident-cards").get_by_role("link", name=card.number).click()
    expect(page).to_have_url(re.compile(rf"/cards/{card.pk}/$"))


def test_acknowledging_a_whole_province_is_confirmed_with_its_count(geo, page, screenshot):
    UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    for surname in ("CHEN", "LE"):
        make_resident(maker=officer, status=Declaration.Status.VERIFIED, surname=surname)
    sign_in(page, "director", PASSWORD)
    page.goto("/residents/acknowledgements/?province=12")

    page.get_by_test_id("acknowledge-all").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Acknowledge 2 verified declarations of Phnom Penh?")
    expect(dialog).to_contain_text("This cannot be undone.")
    screenshot(page, "confirm")
    dialog.get_by_role("button", name="Cancel", exact=True).click()
    expect(dialog).to_be_hidden()
    assert Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).count() == 0

    page.get_by_test_id("acknowledge-all").click()
    dialog.get_by_role("button", name="Acknowledge 2 declarations").click()
    expect(page.get_by_text("2 verified declarations of Phnom Penh acknowledged.")).to_be_visible()
    assert Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).count() == 2


def test_issuing_a_whole_province_is_confirmed_with_its_count(geo, page):
    UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    for surname in ("CHEN", "NGUYEN", "PARK"):
        acknowledged(surname=surname)
    sign_in(page, "clerk", PASSWORD)
    page.goto("/cards/due/?province=12")

    page.get_by_test_id("issue-province").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Issue 3 cards in Phnom Penh?")
    expect(dialog).to_contain_text("an issued card can only be revoked or replaced")
    dialog.get_by_role("button", name="Cancel", exact=True).click()
    assert ResidenceCard.objects.count() == 0
    page.get_by_test_id("issue-province").click()
    dialog.get_by_role("button", name="Issue 3 cards").click()

    expect(page.get_by_text("3 cards issued.")).to_be_visible()
    assert ResidenceCard.objects.count() == 3


def test_the_card_list_pick_column_has_a_header_and_the_filter_reads_all_provinces(
    geo, page, screenshot
):
    UserFactory(username="clerk", role=User.Role.CLERK, province=None)
    clerk = User.objects.get(username="clerk")
    card_services.card_issue(declaration=acknowledged(surname="CHEN"), actor=clerk)
    sign_in(page, "clerk", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="Cards", exact=True).click()

    table = page.get_by_test_id("card-table")
    expect(table.get_by_role("columnheader").first).to_have_text("Pick")
    box = table.get_by_role("checkbox").first
    assert box.evaluate("el => getComputedStyle(el).borderTopWidth") == "2px"
    expect(page.locator("#id_province option").first).to_have_text("All provinces")
    screenshot(page, "card-list")


def test_menu_entries_are_announced_by_their_label_alone(geo, page):
    UserFactory(username="director", role=User.Role.DIRECTOR, province=None)
    sign_in(page, "director", PASSWORD)

    nav = page.get_by_test_id("nav")
    for label in ("Home", "Residents", "Dashboard", "Cards", "Jobs"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(1)
    assert nav.locator(".bi:not([aria-hidden=true])").count() == 0


def fonts_drawing(page, selector: str) -> set[str]:
    """The font families the browser draws an element's text with (after web fonts loaded)."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {font["familyName"] for font in fonts}


# Scripts a browser with DejaVu alone has no font for (DejaVu draws Hebrew, Arabic, Lao, Georgian
# and Armenian itself): each must come from the faces the IMS ships. Kana are drawn by the Chinese
# face, which has them and comes first (Chinese names are the most common).
NAMES_IN_THEIR_SCRIPT = [
    ("陈小明", ("Noto Sans SC",)),
    ("김민준", ("Noto Sans KR",)),
    ("さとう はると", ("Noto Sans SC", "Noto Sans JP")),
    ("สมชาย ใจดี", ("Noto Sans Thai",)),
    ("အောင်ကျော်", ("Noto Sans Myanmar",)),
    ("राहुल शर्मा", ("Noto Sans Devanagari",)),
    ("বিশ্বাস", ("Noto Sans Bengali",)),
    ("முருகன்", ("Noto Sans Tamil",)),
]


def test_names_in_their_own_script_and_the_khmer_passport_line_draw_with_shipped_fonts(
    geo, page, live_server, screenshot
):
    # The browser has no font of its own for these scripts: every glyph comes from the IMS's.
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    residents = [
        (make_resident(maker=officer, name_native=name), faces)
        for name, faces in NAMES_IN_THEIR_SCRIPT
    ]
    sign_in(page, "officer_pp", PASSWORD)
    in_khmer(page, live_server)

    drawn = {}
    for resident, faces in residents:
        page.goto(f"/residents/{resident.pk}/")
        families = fonts_drawing(page, "[data-testid=name-native]")
        # A face's files may name their instance ("Noto Sans SC Thin" for the 400 cut).
        drawn[resident.name_native] = any(family.startswith(faces) for family in families)
    passport_fonts = fonts_drawing(page, "[data-testid=passport]")
    screenshot(page, "names-km")

    assert drawn == {name: True for name, _faces in NAMES_IN_THEIR_SCRIPT}
    assert "Noto Sans Khmer" in passport_fonts
