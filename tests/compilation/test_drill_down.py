"""Every figure of the dashboard and the province page links to the list of exactly its records."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from cards import services as card_services
from cards.models import ResidenceCard
from compilation import services
from residents.models import Declaration
from tests.factories import DeclarationFactory, ResidentFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a href="([^"]+)" data-drill="(\w+)">\s*(\d+)')


@pytest.fixture
def cards_of_every_status(seeded, clerk):
    """Phnom Penh: one card in each status the figures count (its residents acknowledged)."""
    for status in ["issued", "printed", "active", "expiring", "expired"]:
        resident = ResidentFactory(province_id="12", address_province_id="12")
        declaration = DeclarationFactory(resident=resident, status="acknowledged")
        card = card_services.card_issue(declaration=declaration, actor=clerk)
        ResidenceCard.objects.filter(pk=card.pk).update(status=status)
    services.province_summary_refresh()


def listed(client, url: str) -> int:
    """How many records the linked list shows (every figure here fits on its first page)."""
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    if "cards" in context:
        assert not context["next_url"], url
        return len(context["cards"])
    page = context["page"]
    assert not page.next_cursor, url
    return len(page.items)


def links(body: str) -> list[tuple[str, str, int]]:
    return [(html.unescape(url), figure, int(n)) for url, figure, n in LINK.findall(body)]


def test_every_figure_of_the_dashboard_counts_the_records_of_its_list(
    cards_of_every_status, director_client
):
    body = director_client.get(reverse("provinces:dashboard")).content.decode()

    found = links(body)
    # The headline's "entered", and 11 figures in each of the 25 provinces' rows.
    assert len(found) == 1 + 25 * 11
    nonzero = [(url, figure, n) for url, figure, n in found if n]
    assert {figure for _url, figure, _n in nonzero} == {
        "residents", "submitted", "returned", "verified", "rejected", "acknowledged",
        "cards_issued", "cards_printed", "cards_active", "cards_expiring", "cards_expired",
    }  # fmt: skip
    for url, figure, number in found:
        if number or figure in ("residents", "submitted", "cards_issued"):
            assert listed(director_client, url) == number, (figure, url)


def test_every_figure_of_the_province_page_counts_the_records_of_its_list(
    cards_of_every_status, director_client, verifier_client
):
    for client in (director_client, verifier_client):
        body = client.get(reverse("provinces:detail", args=["12"])).content.decode()

        found = links(body)
        assert {figure for _u, figure, _n in found} >= {"draft", "residents", "cards_expired"}
        assert any("district=" in url for url, _f, _n in found)
        for url, figure, number in found:
            assert listed(client, url) == number, (figure, url)


def test_a_resident_with_two_declarations_counts_once_per_status(
    cards_of_every_status, seeded, director_client
):
    # An acknowledged resident re-declaring: one acknowledged and one draft declaration.
    resident = seeded.residents["12"][5]
    DeclarationFactory(resident=resident, status=Declaration.Status.DRAFT)
    services.province_summary_refresh()

    body = director_client.get(reverse("provinces:detail", args=["12"])).content.decode()

    for url, figure, number in links(body):
        if figure in ("draft", "acknowledged"):
            assert listed(director_client, url) == number, (figure, url)
