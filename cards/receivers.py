"""What cards answer when residents call their hooks (residents.hooks), registered in ready().

Each receiver adapts a hook's plain values to a cards service or selector; the rules are there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Subquery

from accounts import access
from accounts.access import Capability
from accounts.models import User
from cards import expiry, numbers, services
from cards.models import ResidenceCard
from cards.templatetags import expiry_badges
from residents import hooks
from residents.models import Resident


def revoke_cards_of_ended_residence(
    *, resident_id: int, actor: User, reason: str, ending_id: int
) -> list[str]:
    return services.cards_revoke_for_ended_residence(
        resident_id=resident_id, actor=actor, reason=reason, ending_id=ending_id
    )


def replace_card_after_correction(
    *, resident: Resident, actor: User, reason: str, correction_id: int, today: dt.date | None
) -> tuple[str, str] | None:
    replaced = services.card_replace_after_correction(
        resident=resident, actor=actor, reason=reason, today=today, correction_id=correction_id
    )
    return None if replaced is None else (replaced[0].number, replaced[1].number)


def move_cards_to_survivor(
    *, survivor_id: int, merged_id: int, actor: User, now: dt.datetime, reason: str
) -> dict[str, int]:
    moved = services.cards_follow_merge(
        survivor_id=survivor_id, merged_id=merged_id, actor=actor, now=now, reason=reason
    )
    return {"cards": moved}


def card_number_typed(*, number: str) -> str:
    try:
        return numbers.normalise(number)
    except numbers.InvalidCardNumber:
        return ""


def cards_numbered(*, number: str, resident_ref: str) -> Exists:
    return Exists(ResidenceCard.objects.filter(resident=OuterRef(resident_ref), number=number))


def card_annotations(*, resident_ref: str) -> dict[str, Subquery]:
    return {"card_expiry_date": expiry.card_expiry_subquery(resident_ref)}


def resident_page_cards(*, user: User, resident: Resident, cards: list[Any]) -> dict[str, Any]:
    # A transferred resident's card, still the sending office's: the new one may reprint it.
    reprintable = (
        [c for c in cards if services.card_reprint_offered(c, resident)]
        if access.can(user, Capability.CARD_WRITE)
        else []
    )
    return {"reprintable_cards": reprintable}


def register() -> None:
    hooks.residence_ended.register(revoke_cards_of_ended_residence)
    hooks.printed_fields_corrected.register(replace_card_after_correction)
    hooks.residents_merged.register(move_cards_to_survivor)
    hooks.merge_handles.add(("cards", "residencecard", "resident"))
    hooks.card_number_typed.register(card_number_typed)
    hooks.cards_numbered.register(cards_numbered)
    hooks.resident_card_annotations.register(card_annotations)
    hooks.resident_page.register(resident_page_cards)
    hooks.card_expiry_badge.register(card_expiry_badge)


def card_expiry_badge(*, expiry_date: dt.date | None) -> str:
    """The expiring or expired badge of the card of record's last valid day (no query)."""
    return expiry_badges.expiry_badge(expiry_date)
