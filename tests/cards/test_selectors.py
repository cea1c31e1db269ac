"""Reads other apps use: residents by card number, the resident's current card."""

from __future__ import annotations

import pytest

from cards import selectors
from cards.models import ResidenceCard

pytestmark = pytest.mark.django_db


def test_residents_are_found_by_a_card_number_typed_loosely(issue):
    card = issue()

    assert selectors.resident_ids_for_card_number(card.number) == [card.resident_id]
    assert selectors.resident_ids_for_card_number(card.number.replace("-", "").lower()) == [
        card.resident_id
    ]


def test_a_mistyped_card_number_finds_nobody(issue):
    card = issue()
    typo = card.number[:-1] + str((int(card.number[-1]) + 3) % 10)

    assert selectors.resident_ids_for_card_number(typo) == []
    assert selectors.resident_ids_for_card_number("WANG") == []


def test_the_current_card_of_a_resident_ignores_replaced_ones(issue):
    old = issue(status=ResidenceCard.Status.REPLACED)

    assert selectors.current_card_for_resident(resident_id=old.resident_id) is None
