"""Finding a resident by the number of their residence card."""

from __future__ import annotations

import pytest

from cards import services as card_services
from residents.models import Declaration
from tests.factories import DeclarationFactory, ResidentFactory

pytestmark = pytest.mark.django_db
LIST = "/residents/"


@pytest.fixture
def card(clerk, officer):
    resident = ResidentFactory(surname="CHEN", created_by=officer, province_id="12")
    declaration = DeclarationFactory(
        resident=resident, created_by=officer, status=Declaration.Status.ACKNOWLEDGED
    )
    ResidentFactory(surname="OTHER", created_by=officer, province_id="12")
    return card_services.card_issue(declaration=declaration, actor=clerk)


def _names(response) -> list[str]:
    return [r.surname for r in response.context["page"].items]


def test_an_officer_finds_the_resident_by_card_number_typed_loosely(officer_client, card):
    typed = card.number.replace("-", " ").lower()

    response = officer_client.get(LIST, {"card": typed})

    assert response.status_code == 200
    assert _names(response) == ["CHEN"]


def test_an_officer_of_another_province_finds_nobody_by_that_card_number(
    other_officer_client, card
):
    response = other_officer_client.get(LIST, {"card": card.number})

    assert response.status_code == 200
    assert _names(response) == []


def test_a_mistyped_card_number_is_refused_with_a_message(officer_client, card):
    digits = card.number[-1]
    wrong = card.number[:-1] + str((int(digits) + 1) % 10)

    response = officer_client.get(LIST, {"card": wrong})

    assert "This card number is mistyped" in response.content.decode()
    assert response.context["form"].errors["card"] == [
        "This card number is mistyped: check it against the card."
    ]
