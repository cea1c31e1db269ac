"""What a new user meets on their first day, in the browser at 1280 px, in English and Khmer."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import User
from provinces import services as province_services
from provinces.models import Province
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

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
