"""Every figure of the dashboard and the province page links to the list of exactly its records."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from cards import services as card_services
from cards.models import ResidenceCard
from compilation import services
from provinces.models import District, Province
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


# The figures that are not a plain count of their list: an estimate (not records: it links to the
# records entered), a percentage (it links to the records it counts) and the compiled figure.
FIGURE_LINK = re.compile(
    r'<a href="([^"]+)" data-drill="(\w+)" data-figure="(\w+)"[^>]*>\s*([\d,]+)%?</a>'
)


def figure_links(body: str) -> list[tuple[str, str, str, int]]:
    return [
        (html.unescape(url), drill, figure, int(n.replace(",", "")))
        for url, drill, figure, n in FIGURE_LINK.findall(body)
    ]


@pytest.fixture
def estimates(cards_of_every_status, director):
    """Phnom Penh expects 20 (12 entered, 7 compiled); Siem Reap 4 (3 entered, 2 compiled)."""
    for code, estimate in (("12", 20), ("17", 4)):
        services.province_estimate_set(
            province=Province.objects.get(code=code), estimated_residents=estimate, actor=director
        )
    services.province_summary_refresh()


def test_each_provinces_estimate_and_percentage_link_to_the_records_they_stand_for(
    estimates, director_client
):
    body = director_client.get(reverse("provinces:dashboard")).content.decode()
    rows = dict(re.findall(r'data-testid="province-row" data-code="(\d+)">(.*?)</tr>', body, re.S))

    for code, estimate, entered, compiled, percent in (
        ("12", 20, 12, 7, 35),
        ("17", 4, 3, 2, 50),
    ):
        found = {figure: (url, drill, n) for url, drill, figure, n in figure_links(rows[code])}
        url, drill, shown = found["estimate"]
        assert (drill, shown) == ("residents", estimate)
        assert listed(director_client, url) == entered
        url, drill, shown = found["percent"]
        assert (drill, shown) == ("compiled", percent)
        assert listed(director_client, url) == compiled
        assert round(100 * compiled / estimate) == percent


def test_the_headlines_compiled_estimate_and_percentage_link_to_their_records(
    estimates, director_client
):
    body = director_client.get(reverse("provinces:dashboard")).content.decode()
    start, end = body.index('data-testid="headline"'), body.index('data-testid="province-table"')
    headline = body[start:end]

    found = {figure: (url, n) for url, _drill, figure, n in figure_links(headline)}
    assert set(found) == {"compiled", "estimate", "percent"}
    assert found["compiled"][1] == 9
    assert listed(director_client, found["compiled"][0]) == 9
    assert found["estimate"][1] == 24
    assert listed(director_client, found["estimate"][0]) == 15  # the records entered
    assert found["percent"][1] == 38  # 9 of 24
    assert listed(director_client, found["percent"][0]) == 9


def test_the_province_pages_estimate_percentage_and_district_cards_link_to_their_records(
    estimates, director_client, verifier_client
):
    for client in (director_client, verifier_client):
        body = client.get(reverse("provinces:detail", args=["12"])).content.decode()

        found = {figure: (url, n) for url, _drill, figure, n in figure_links(body)}
        assert found["estimate"][1] == 20
        assert listed(client, found["estimate"][0]) == 12
        assert found["percent"][1] == 35
        assert listed(client, found["percent"][0]) == 7
        district_cards = [
            (url, figure, n)
            for url, figure, n in links(body)
            if figure.startswith("cards_") and "district=" in url
        ]
        assert sum(n for _url, _figure, n in district_cards) == 5
        for url, figure, number in district_cards:
            assert listed(client, url) == number, (figure, url)


def test_a_district_card_figure_lists_only_the_cards_of_that_districts_residents(
    seeded, clerk, director_client
):
    first, second = District.objects.filter(province_id="12").order_by("code")[:2]
    cards = {}
    for district in (first, second):
        resident = ResidentFactory(
            province_id="12", address_province_id="12", address_district=district
        )
        declaration = DeclarationFactory(resident=resident, status="acknowledged")
        cards[district.code] = card_services.card_issue(declaration=declaration, actor=clerk)

    url = f"{reverse('cards:card-list')}?status=issued&province=12&district={first.code}"
    listed_cards = director_client.get(url).context["cards"]

    assert [c.pk for c in listed_cards] == [cards[first.code].pk]


def test_pending_backlog_and_renewals_of_the_province_page_count_the_records_of_their_lists(
    cards_of_every_status, director_client, verifier_client
):
    """The list panel's "not verified yet", the backlog's age buckets and the renewals due."""
    import datetime as dt

    from django.utils import timezone

    for days in (1, 10, 20, 40):  # one declaration waiting in each bucket of the backlog
        resident = ResidentFactory(province_id="12", address_province_id="12")
        DeclarationFactory(
            resident=resident,
            status="submitted",
            submitted_at=timezone.now() - dt.timedelta(days=days),
        )
    ResidentFactory(province_id="12", address_province_id="12")  # no declaration yet
    pattern = re.compile(
        r'<a href="([^"]+)" data-drill="(pending|backlog|renewals_due)"[^>]*>(\d+)'
    )
    for client in (director_client, verifier_client):
        body = client.get(reverse("provinces:detail", args=["12"])).content.decode()
        found = [(html.unescape(u), f, int(n)) for u, f, n in pattern.findall(body)]
        figures = {f for _u, f, _n in found}
        assert {"pending"} <= figures
        # Each list is linked for those who may open it: the queue for a verifier.
        if client is verifier_client:
            assert [n for _u, f, n in found if f == "backlog"] == [1, 1, 1, 1]
        assert next(n for _u, f, n in found if f == "pending") >= 5
        assert "renewals_due" in figures or client is verifier_client
        for url, figure, number in found:
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.context["page"]
            shown = page.total if figure == "backlog" else len(page.items)
            assert shown == number, (figure, url)
