"""Renewal through a new declaration, driven from the renewals page; one valid card throughout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from cards import services as card_services
from cards.models import ResidenceCard
from jobs import selectors
from residents import services as resident_services
from residents.models import Declaration
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

Status = ResidenceCard.Status


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def valid_cards(resident_id: int) -> int:
    return ResidenceCard.objects.current().filter(resident_id=resident_id).count()


def row_state(client, card: ResidenceCard) -> str:
    page = client.get(reverse("jobs:renewals"))
    return next(c.renewal_state for c in page.context["page"].items if c.pk == card.pk)


@pytest.fixture
def expiring(make_card, officer) -> ResidenceCard:
    return make_card(dt.date.today() + days(30), status=Status.EXPIRING, created_by=officer)


def test_an_officer_starts_a_renewal_and_the_page_shows_it_started(officer_client, expiring):
    response = officer_client.post(reverse("jobs:renewal-start", args=[expiring.pk]))

    draft = Declaration.objects.get(resident=expiring.resident, status=Declaration.Status.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("residents:detail", args=[expiring.resident_id]) + f"#declaration-{draft.pk}"
    )
    assert draft.basis == expiring.declaration.basis
    assert draft.notes == f"Renewal of card {expiring.number}."
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DECLARATION_CREATED, object_id=str(draft.pk)
    ).exists()
    page = officer_client.get(reverse("jobs:renewals")).content.decode()
    assert "Renewal started (new declaration under way)" in page
    assert row_state(officer_client, expiring) == selectors.STATE_IN_PROGRESS


def test_a_renewal_started_twice_is_refused_the_second_time(officer_client, expiring):
    officer_client.post(reverse("jobs:renewal-start", args=[expiring.pk]))

    response = officer_client.post(reverse("jobs:renewal-start", args=[expiring.pk]), follow=True)

    assert "already has a declaration in progress" in response.content.decode()
    assert Declaration.objects.filter(resident=expiring.resident).count() == 2


def test_a_card_far_from_expiry_cannot_start_a_renewal(officer_client, make_card, officer):
    card = make_card(dt.date.today() + days(400), created_by=officer)

    response = officer_client.post(reverse("jobs:renewal-start", args=[card.pk]), follow=True)

    assert "within 90 days" in response.content.decode()
    assert Declaration.objects.filter(resident=card.resident).count() == 1


def test_another_provinces_officer_cannot_start_a_renewal(other_officer_client, expiring):
    response = other_officer_client.post(reverse("jobs:renewal-start", args=[expiring.pk]))

    assert response.status_code == 404
    assert Declaration.objects.filter(resident=expiring.resident).count() == 1


def test_a_clerk_cannot_start_a_renewal_and_an_anonymous_visitor_is_sent_to_sign_in(
    clerk_client, client, expiring
):
    refused = clerk_client.post(reverse("jobs:renewal-start", args=[expiring.pk]))
    anonymous = client.post(reverse("jobs:renewal-start", args=[expiring.pk]))

    assert refused.status_code == 403
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert Declaration.objects.filter(resident=expiring.resident).count() == 1


def test_a_renewal_goes_from_expiring_to_a_new_card_with_one_valid_card_at_every_step(
    officer_client, expiring, officer, verifier, director, card_clerk
):
    resident_id = expiring.resident_id
    clerk_client = client_for(card_clerk)
    officer_client.post(reverse("jobs:renewal-start", args=[expiring.pk]))
    draft = Declaration.objects.get(resident_id=resident_id, status=Declaration.Status.DRAFT)
    assert valid_cards(resident_id) == 1

    # The old card cannot be renewed on the declaration it was issued on, nor on a draft.
    refused = clerk_client.post(
        reverse("cards:card-renew", args=[expiring.pk]), {"reconfirmed": "on"}
    )
    assert "new declaration" in refused.content.decode()
    assert valid_cards(resident_id) == 1

    resident_services.declaration_submit(declaration=draft, actor=officer)
    assert valid_cards(resident_id) == 1
    resident_services.declaration_verify(declaration=draft, actor=verifier)
    assert valid_cards(resident_id) == 1
    assert row_state(officer_client, expiring) == selectors.STATE_IN_PROGRESS
    resident_services.declaration_acknowledge(declaration=draft, actor=director)
    assert valid_cards(resident_id) == 1
    assert row_state(officer_client, expiring) == selectors.STATE_READY
    assert b'data-testid="renew-card"' in clerk_client.get(reverse("jobs:renewals")).content

    response = clerk_client.post(
        reverse("cards:card-renew", args=[expiring.pk]), {"reconfirmed": "on"}
    )

    new = ResidenceCard.objects.get(replaces=expiring)
    expiring.refresh_from_db()
    assert response.status_code == 302
    assert expiring.status == Status.REPLACED
    assert new.declaration == draft
    assert new.status == Status.ISSUED
    assert valid_cards(resident_id) == 1
    assert row_state(officer_client, expiring) == selectors.STATE_RENEWED


def test_renewing_twice_on_one_declaration_is_refused(expiring, director, card_clerk, officer):
    declaration = resident_services.declaration_create(
        resident=expiring.resident,
        actor=officer,
        declaration=resident_services.DeclarationInput(
            declared_on=dt.date.today(), basis=expiring.declaration.basis
        ),
    )
    Declaration.objects.filter(pk=declaration.pk).update(status=Declaration.Status.ACKNOWLEDGED)
    new = card_services.card_renew(card=expiring, actor=card_clerk)

    with pytest.raises(ValidationError, match="within 90 days"):
        card_services.card_renew(card=expiring, actor=card_clerk)

    assert valid_cards(expiring.resident_id) == 1
    assert ResidenceCard.objects.filter(replaces=expiring).get() == new
