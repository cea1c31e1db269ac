"""Names in their own script on the resident page and the resident list, in both languages: each
drawn by the face the IMS ships for its script, never by a font of the machine (no tofu)."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.e2e.conftest import sign_in
from tests.e2e.test_new_user import in_khmer
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)

# (name in own script, the shipped faces that may draw it). Arabic is drawn by the shipped face
# even where the machine has a font of its own for it (DejaVu has Arabic).
NAMES = [
    ("王小丽", ("Noto Sans SC",)),
    ("陳大文", ("Noto Sans SC", "Noto Sans TC")),
    ("山田さくら", ("Noto Sans SC", "Noto Sans JP")),
    ("김민준", ("Noto Sans KR",)),
    ("สมชาย ใจดี", ("Noto Sans Thai",)),
    ("محمد علي", ("Noto Sans Arabic",)),
]


def fonts_of_each(page, selector: str) -> dict[str, set[str]]:
    """For every element matching `selector`: its text -> the font families drawing it."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    texts = page.locator(selector).all_inner_texts()
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
    return {
        text.strip(): {
            font["familyName"]
            for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        }
        for text, node in zip(texts, nodes, strict=True)
    }


def shipped(families: set[str], faces: tuple[str, ...]) -> bool:
    """The script's letters from one of `faces`, everything else (a space) from a shipped face.

    A face's files may name their instance ("Noto Sans SC Thin" for the 400 cut).
    """
    return any(f.startswith(faces) for f in families) and all(
        f.startswith("Noto Sans") for f in families
    )


@pytest.mark.parametrize("language", ["en", "km"])
def test_names_in_their_own_script_draw_with_shipped_fonts_on_the_resident_page_and_list(
    geo, page, live_server, screenshot, language
):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    residents = [make_resident(maker=officer, name_native=name) for name, _faces in NAMES]
    sign_in(page, "officer_pp", PASSWORD)
    if language == "km":
        in_khmer(page, live_server)

    on_pages = {}
    for resident in residents:
        page.goto(f"/residents/{resident.pk}/")
        on_pages.update(fonts_of_each(page, "[data-testid=name-native]"))
    screenshot(page, f"resident-{language}")
    page.goto("/residents/")
    in_list = fonts_of_each(page, "[data-testid=resident-row] [data-testid=name-native]")
    screenshot(page, f"list-{language}")

    assert {n: shipped(on_pages.get(n, set()), f) for n, f in NAMES} == dict.fromkeys(
        (n for n, _f in NAMES), True
    ), on_pages
    assert {n: shipped(in_list.get(n, set()), f) for n, f in NAMES} == dict.fromkeys(
        (n for n, _f in NAMES), True
    ), in_list
