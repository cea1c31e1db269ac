"""Fixtures of the cards tests: acknowledged residents and their cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from accounts.models import User
from cards import services
from cards.models import ResidenceCard
from residents.models import Declaration
from tests.factories import DeclarationFactory, ResidentFactory, UserFactory

PHNOM_PENH, SIEM_REAP = "12", "17"


def acknowledged(**resident: object) -> Declaration:
    """An acknowledged declaration of a new resident (Phnom Penh unless told otherwise)."""
    province = resident.pop("province_id", PHNOM_PENH)
    person = ResidentFactory(province_id=province, address_province_id=province, **resident)
    return DeclarationFactory(resident=person, status=Declaration.Status.ACKNOWLEDGED)


def renewal_declaration(card: ResidenceCard, **fields: object) -> Declaration:
    """The resident's new declaration since `card`, acknowledged: what a renewal rests on."""
    return DeclarationFactory(
        resident=card.resident, status=Declaration.Status.ACKNOWLEDGED, **fields
    )


@pytest.fixture
def clerk_sr(geo: None) -> User:
    """A card clerk scoped to Siem Reap: must never see Phnom Penh's cards or runs."""
    return UserFactory(username="clerk_sr", role=User.Role.CLERK, province_id=SIEM_REAP)


@pytest.fixture
def issue(clerk: User) -> Callable[..., ResidenceCard]:
    def make(
        status: str = ResidenceCard.Status.ISSUED,
        issue_date: dt.date | None = None,
        **resident: object,
    ) -> ResidenceCard:
        card = services.card_issue(
            declaration=acknowledged(**resident), actor=clerk, issue_date=issue_date
        )
        if status != ResidenceCard.Status.ISSUED:
            # Straight to the wanted status for tests about later stages.
            reason = "fraud" if status == ResidenceCard.Status.REVOKED else ""
            ResidenceCard.objects.filter(pk=card.pk).update(status=status, status_reason=reason)
            card.refresh_from_db()
        return card

    return make
