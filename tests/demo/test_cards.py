"""Demo cards for the demo residents."""

from __future__ import annotations

import pytest

from cards.models import CardEvent, ResidenceCard
from demo.cards import seed_cards
from tests.cards.conftest import SIEM_REAP, acknowledged

pytestmark = pytest.mark.django_db

Status = ResidenceCard.Status


def test_demo_cards_card_every_acknowledged_resident_once_with_a_mix_of_statuses(clerk):
    for i in range(30):
        acknowledged(province_id=SIEM_REAP if i % 3 == 0 else "12")

    issued = seed_cards()

    assert issued == 30
    assert ResidenceCard.objects.values("resident").distinct().count() == 30
    statuses = set(ResidenceCard.objects.values_list("status", flat=True))
    assert statuses == {Status.ISSUED, Status.PRINTED, Status.ACTIVE}
    active = ResidenceCard.objects.filter(status=Status.ACTIVE)
    assert CardEvent.objects.filter(kind=CardEvent.Kind.HANDED_OVER).count() == active.count()
    assert ResidenceCard.objects.filter(province_id=SIEM_REAP).count() == 10
    assert seed_cards() == 0


def test_demo_cards_do_nothing_without_a_clerk_or_acknowledged_residents(geo):
    acknowledged()

    assert seed_cards() == 0
    assert ResidenceCard.objects.count() == 0
