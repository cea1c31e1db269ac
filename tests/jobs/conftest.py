"""Fixtures of the jobs tests: cards with chosen expiry dates, and a frozen clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from cards import services as card_services
from cards.models import ResidenceCard
from tests.cards.conftest import acknowledged
from tests.factories import UserFactory

PHNOM_PENH, SIEM_REAP = "12", "17"
ICT = ZoneInfo("Asia/Phnom_Penh")
Status = ResidenceCard.Status


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, 0, tzinfo=ICT)


@pytest.fixture
def freeze(time_machine) -> Callable[[dt.date], None]:
    """Stop the clock at noon, Phnom Penh time, on the given day."""

    def move(day: dt.date) -> None:
        time_machine.move_to(at_noon(day), tick=False)

    return move


@pytest.fixture
def card_clerk(geo: None) -> User:
    return UserFactory(username="card_clerk", role=User.Role.CLERK, province=None)


@pytest.fixture
def make_card(card_clerk: User) -> Callable[..., ResidenceCard]:
    """A card of a new acknowledged resident, with the given last valid day and status."""

    def make(
        expiry_date: dt.date | None = None,
        status: str = Status.ACTIVE,
        issue_date: dt.date | None = None,
        **resident: object,
    ) -> ResidenceCard:
        card = card_services.card_issue(
            declaration=acknowledged(**resident), actor=card_clerk, issue_date=issue_date
        )
        fields: dict[str, object] = {"status": status}
        if status == Status.REVOKED:
            fields["status_reason"] = "departed"
        if expiry_date is not None:
            fields["expiry_date"] = expiry_date
            fields["issue_date"] = min(card.issue_date, expiry_date)
        ResidenceCard.objects.filter(pk=card.pk).update(**fields)
        card.refresh_from_db()
        return card

    return make
