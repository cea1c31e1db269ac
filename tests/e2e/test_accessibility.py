"""Every main page of every role, in English and in Khmer, has no serious or critical
accessibility violation as axe-core (from npm) finds them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import User
from cards import services as card_services
from gdi_ims.navigation import NAV_ITEMS
from residents.models import Declaration
from tests.cards.conftest import acknowledged
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}
ROLES = [
    ("officer_pp", User.Role.OFFICER, "12"),
    ("verifier_pp", User.Role.VERIFIER, "12"),
    ("director", User.Role.DIRECTOR, None),
    ("clerk", User.Role.CLERK, None),
    ("admin", User.Role.ADMIN, None),
]


def serious_violations(page: object) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element."""
    # Evaluated through the browser's debugging protocol: the page's Content-Security-Policy,
    # which allows no inline script, stays as users get it.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    found = []
    for violation in json.loads(result)["violations"]:
        if violation["impact"] in SERIOUS:
            for node in violation["nodes"]:
                found.append(f"{violation['id']}: {node['target']} {node['failureSummary']}")
    return found


def main_pages(role: str, records: dict[str, str]) -> list[str]:
    """The role's menu entries, and the record pages the role reaches from them."""
    from django.urls import reverse

    pages = [reverse(item.url_name) for item in NAV_ITEMS if item.shown_to(role)]
    pages += [records["resident"], records["card"]]
    if role == User.Role.OFFICER:
        pages.append(records["edit"])
    if role == User.Role.DIRECTOR:
        pages += [records["acknowledge"], records["province"]]
    if role == User.Role.CLERK:
        pages.append(records["due"])
    return pages


@pytest.mark.parametrize(("username", "role", "province"), ROLES, ids=[r[0] for r in ROLES])
def test_every_main_page_of_a_role_has_no_serious_accessibility_violation_in_either_language(
    geo, page, live_server, username, role, province
):
    user = UserFactory(
        username=username, role=role, province_id=province, is_staff=role == User.Role.ADMIN
    )
    maker = user if role == User.Role.OFFICER else UserFactory(username="maker_pp")
    resident = make_resident(maker=maker, status=Declaration.Status.SUBMITTED, name_native="陈小明")
    make_resident(maker=maker, status=Declaration.Status.VERIFIED, surname="LE")
    declaration = acknowledged(surname="NGUYEN")
    card = card_services.card_issue(
        declaration=declaration, actor=UserFactory(username="clerk_issuer", role="clerk")
    )
    acknowledged(surname="PARK", nationality="KR")
    records = {
        "resident": f"/residents/{resident.pk}/",
        "edit": f"/residents/{resident.pk}/edit/",
        "card": f"/cards/{card.pk}/",
        "acknowledge": "/residents/acknowledgements/?province=12",
        "province": "/provinces/12/",
        "due": "/cards/due/?province=12",
    }

    sign_in(page, username, PASSWORD)
    found = {}
    for language in ("en", "km"):
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        for url in main_pages(role, records):
            response = page.goto(url)
            assert response.status == 200, url
            assert page.locator("html").get_attribute("lang") == language
            violations = serious_violations(page)
            if violations:
                found[f"{language} {url}"] = violations

    assert found == {}
