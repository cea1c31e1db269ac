"""Races on the real PostgreSQL: whatever happens at once, a resident has one valid card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from cards import services as card_services
from cards.models import ResidenceCard
from residents import corrections
from residents.models import Declaration
from tests.cards.test_concurrency import run_together
from tests.factories import DeclarationFactory, UserFactory
from tests.residents.conftest import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

Status = ResidenceCard.Status


def test_two_clerks_renewing_one_card_at_once_make_exactly_one_new_card(make_card, card_clerk):
    from accounts.models import User

    card = make_card(dt.date.today() + dt.timedelta(days=20), status=Status.EXPIRING)
    DeclarationFactory(resident=card.resident, status=Declaration.Status.ACKNOWLEDGED)
    director = UserFactory(username="director_race", role=User.Role.DIRECTOR, province=None)

    results = run_together(
        [
            lambda: card_services.card_renew(card=card, actor=card_clerk),
            lambda: card_services.card_renew(card=card, actor=director),
        ]
    )

    made = [r for r in results if isinstance(r, ResidenceCard)]
    assert len(made) == 1, results
    assert ResidenceCard.objects.current().filter(resident=card.resident).count() == 1
    assert ResidenceCard.objects.filter(replaces=card).count() == 1


def test_a_renewal_and_a_correction_replacing_the_card_at_once_leave_one_valid_card(
    make_card, card_clerk, officer, verifier
):
    card = make_card(
        dt.date.today() + dt.timedelta(days=20), status=Status.EXPIRING, created_by=officer
    )
    resident = card.resident
    DeclarationFactory(resident=resident, status=Declaration.Status.ACKNOWLEDGED)
    correction = corrections.correction_request(
        resident=resident,
        actor=officer,
        version=resident.version,
        fields={"surname": "CORRECTED"},
        reason="Misspelt",
        evidence=ContentFile(pdf_bytes(), name="proof.pdf"),
        evidence_type="application/pdf",
        evidence_name="proof.pdf",
    )

    results = run_together(
        [
            lambda: card_services.card_renew(card=card, actor=card_clerk),
            lambda: corrections.correction_approve(correction=correction, actor=verifier),
        ]
    )

    # Either may come second and find the card it meant to replace already replaced.
    assert sum(isinstance(r, Exception) for r in results) <= 1, results
    current = list(ResidenceCard.objects.current().filter(resident=resident))
    assert len(current) == 1
    resident.refresh_from_db()
    assert resident.surname == "CORRECTED"
