"""Card services: issue, bulk issue, renew, replace, revoke, hand over, spoil, check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from cards import numbers, services
from cards.models import CardEvent, ResidenceCard
from residents.models import Declaration
from tests.cards.conftest import SIEM_REAP, acknowledged, renewal_declaration
from tests.factories import DeclarationFactory

pytestmark = pytest.mark.django_db

Status = ResidenceCard.Status
Kind = CardEvent.Kind


def kinds(card: ResidenceCard) -> list[str]:
    return list(card.events.order_by("id").values_list("kind", flat=True))


# --- Issuing ---------------------------------------------------------------------------------
def test_issuing_a_card_for_an_acknowledged_declaration_records_who_and_when(clerk):
    declaration = acknowledged()

    card = services.card_issue(
        declaration=declaration, actor=clerk, issue_date=dt.date(2026, 12, 1)
    )

    assert card.status == Status.ISSUED
    assert card.resident == declaration.resident
    assert card.declaration == declaration
    assert card.province_id == "12"
    assert card.issue_date == dt.date(2026, 12, 1)
    assert card.expiry_date == dt.date(2028, 11, 30)
    assert numbers.normalise(card.number) == card.number
    assert card.number.startswith("PR-12-")
    event = card.events.get()
    assert (event.kind, event.actor) == (Kind.ISSUED, clerk)
    assert AuditEvent.objects.filter(action="card_issued", object_id=str(card.pk)).count() == 1


@pytest.mark.parametrize(
    "status",
    [Declaration.Status.DRAFT, Declaration.Status.SUBMITTED, Declaration.Status.VERIFIED],
)
def test_a_declaration_that_is_not_acknowledged_cannot_be_carded(clerk, status):
    declaration = DeclarationFactory(status=status)

    with pytest.raises(ValidationError, match="Only an acknowledged declaration"):
        services.card_issue(declaration=declaration, actor=clerk)

    assert ResidenceCard.objects.count() == 0
    assert CardEvent.objects.count() == 0


def test_a_resident_with_a_card_is_not_issued_a_second_one(clerk, issue):
    card = issue()

    with pytest.raises(ValidationError, match="already has card"):
        services.card_issue(declaration=card.declaration, actor=clerk)

    assert ResidenceCard.objects.filter(resident=card.resident).count() == 1


def test_a_resident_whose_card_was_revoked_can_be_issued_a_new_one(clerk, issue):
    old = issue(status=Status.REVOKED)

    card = services.card_issue(declaration=old.declaration, actor=clerk)

    assert card.status == Status.ISSUED
    assert card.number != old.number


def test_bulk_issuing_for_a_province_never_re_cards_a_resident_whose_card_was_revoked(clerk, issue):
    revoked = issue(status=Status.REVOKED)

    count = services.cards_issue_for_province(province_code="12", actor=clerk)

    assert count == 0
    assert list(ResidenceCard.objects.filter(resident=revoked.resident)) == [revoked]


def test_bulk_issuing_cards_every_acknowledged_resident_of_the_province_without_a_card(
    clerk, issue, django_assert_max_num_queries
):
    due = [acknowledged() for _ in range(5)]
    already = issue()
    DeclarationFactory(status=Declaration.Status.VERIFIED)  # not acknowledged: no card
    acknowledged(province_id=SIEM_REAP)  # another province: no card

    with django_assert_max_num_queries(12):
        count = services.cards_issue_for_province(
            province_code="12", actor=clerk, issue_date=dt.date(2026, 12, 1)
        )

    assert count == 5
    cards = ResidenceCard.objects.filter(resident__in=[d.resident for d in due])
    assert cards.count() == 5
    assert {c.expiry_date for c in cards} == {dt.date(2028, 11, 30)}
    assert len({c.number for c in ResidenceCard.objects.all()}) == 6
    assert all(numbers.normalise(c.number) == c.number for c in cards)
    assert CardEvent.objects.filter(card__in=cards, kind=Kind.ISSUED, actor=clerk).count() == 5
    assert ResidenceCard.objects.filter(resident=already.resident).count() == 1
    assert ResidenceCard.objects.filter(province_id=SIEM_REAP).count() == 0


def test_bulk_issuing_costs_the_same_number_of_queries_for_3_and_30_residents(clerk):
    for _ in range(3):
        acknowledged()
    with CaptureQueriesContext(connection) as small:
        services.cards_issue_for_province(province_code="12", actor=clerk)
    for _ in range(30):
        acknowledged()

    with CaptureQueriesContext(connection) as large:
        count = services.cards_issue_for_province(province_code="12", actor=clerk)

    assert count == 30
    assert len(large.captured_queries) == len(small.captured_queries) == 12


def test_bulk_issuing_twice_issues_nothing_the_second_time(clerk):
    acknowledged()
    services.cards_issue_for_province(province_code="12", actor=clerk)

    assert services.cards_issue_for_province(province_code="12", actor=clerk) == 0
    assert ResidenceCard.objects.count() == 1


# --- Renewal ---------------------------------------------------------------------------------
def test_renewing_an_expiring_card_issues_a_new_one_that_replaces_it(clerk, issue):
    old = issue(status=Status.EXPIRING, issue_date=dt.date(2025, 1, 10))  # last day 09-01-2027
    today = dt.date(2026, 12, 1)
    declaration = renewal_declaration(old, declared_on=dt.date(2026, 11, 30))

    new = services.card_renew(card=old, actor=clerk, today=today)

    old.refresh_from_db()
    assert old.status == Status.REPLACED
    assert old.validity_on(today) == ResidenceCard.Validity.REPLACED
    assert new.replaces == old
    assert new.status == Status.ISSUED
    assert (new.issue_date, new.expiry_date) == (today, dt.date(2028, 11, 30))
    assert new.number != old.number
    assert kinds(old) == [Kind.ISSUED, Kind.RENEWED]
    renewed = old.events.get(kind=Kind.RENEWED)
    assert renewed.data == {
        "new_card": new.number,
        "declaration": declaration.pk,
        "reconfirmed_on": "2026-11-30",
    }
    assert new.declaration == declaration
    assert new.events.get().data == {"renews": old.number}


def test_an_expired_card_can_be_renewed(clerk, issue):
    old = issue(status=Status.EXPIRED, issue_date=dt.date(2024, 1, 10))
    renewal_declaration(old)

    new = services.card_renew(card=old, actor=clerk)

    assert new.replaces == old
    assert ResidenceCard.objects.current().get(resident=old.resident) == new


def test_a_card_more_than_90_days_from_expiry_cannot_be_renewed(clerk, issue):
    card = issue(status=Status.ACTIVE, issue_date=dt.date(2026, 1, 10))  # last day 09-01-2028
    renewal_declaration(card)

    with pytest.raises(ValidationError, match="within 90 days"):
        services.card_renew(card=card, actor=clerk, today=dt.date(2027, 10, 10))

    card.refresh_from_db()
    assert card.status == Status.ACTIVE
    assert ResidenceCard.objects.count() == 1
    assert kinds(card) == [Kind.ISSUED]


def test_a_card_exactly_90_days_from_expiry_can_be_renewed(clerk, issue):
    card = issue(status=Status.ACTIVE, issue_date=dt.date(2026, 1, 10))  # last day 09-01-2028
    renewal_declaration(card)

    new = services.card_renew(card=card, actor=clerk, today=dt.date(2027, 10, 11))

    assert new.replaces == card


def test_a_revoked_card_cannot_be_renewed(clerk, issue):
    card = issue(status=Status.REVOKED, issue_date=dt.date(2024, 1, 10))
    renewal_declaration(card)

    with pytest.raises(ValidationError):
        services.card_renew(card=card, actor=clerk)

    assert ResidenceCard.objects.count() == 1


def test_a_card_is_not_renewed_without_a_new_acknowledged_declaration(clerk, issue):
    card = issue(status=Status.EXPIRING, issue_date=dt.date(2025, 1, 10))
    DeclarationFactory(resident=card.resident, status=Declaration.Status.VERIFIED)

    with pytest.raises(ValidationError, match="new declaration"):
        services.card_renew(card=card, actor=clerk, today=dt.date(2026, 12, 1))

    card.refresh_from_db()
    assert card.status == Status.EXPIRING
    assert ResidenceCard.objects.count() == 1
    assert kinds(card) == [Kind.ISSUED]


def test_the_declaration_a_card_was_issued_on_cannot_renew_it(clerk, issue):
    card = issue(status=Status.EXPIRING, issue_date=dt.date(2025, 1, 10))

    with pytest.raises(ValidationError, match="new declaration"):
        services.card_renew(
            card=card, actor=clerk, declaration=card.declaration, today=dt.date(2026, 12, 1)
        )

    card.refresh_from_db()
    assert card.status == Status.EXPIRING
    assert ResidenceCard.objects.count() == 1


# --- Replacement, revocation -----------------------------------------------------------------
def test_replacing_a_lost_card_keeps_its_expiry_and_invalidates_the_old_one(clerk, issue):
    old = issue(status=Status.ACTIVE, issue_date=dt.date(2026, 3, 1))
    today = dt.date(2026, 11, 26)

    new = services.card_replace(card=old, actor=clerk, reason="Lost: stolen bag", today=today)

    old.refresh_from_db()
    assert (old.status, old.status_reason) == (Status.REPLACED, "Lost: stolen bag")
    assert old.is_valid_on(today) is False
    assert (new.issue_date, new.expiry_date) == (today, dt.date(2028, 2, 29))
    assert new.replaces == old
    event = old.events.get(kind=Kind.REPLACED)
    assert (event.actor, event.reason, event.data) == (
        clerk,
        "Lost: stolen bag",
        {"new_card": new.number},
    )


def test_replacing_without_a_reason_is_refused_and_changes_nothing(clerk, issue):
    card = issue(status=Status.ACTIVE)

    with pytest.raises(ValidationError, match="reason is required"):
        services.card_replace(card=card, actor=clerk, reason="  ")

    card.refresh_from_db()
    assert card.status == Status.ACTIVE
    assert ResidenceCard.objects.count() == 1


def test_revoking_records_the_reason_and_the_card_is_never_valid_again(director, issue):
    card = issue(status=Status.ACTIVE)

    services.card_revoke(card=card, actor=director, reason="Death: certificate 123")

    card.refresh_from_db()
    assert (card.status, card.status_reason) == (Status.REVOKED, "Death: certificate 123")
    assert card.validity_on(card.issue_date) == ResidenceCard.Validity.REVOKED
    event = card.events.get(kind=Kind.REVOKED)
    assert (event.actor, event.reason) == (director, "Death: certificate 123")


def test_revoking_a_revoked_card_is_an_illegal_move(director, issue):
    card = issue(status=Status.REVOKED)

    with pytest.raises(services.IllegalTransition):
        services.card_revoke(card=card, actor=director, reason="again")

    assert kinds(card) == [Kind.ISSUED]


def test_a_replaced_card_cannot_be_handed_over(clerk, issue):
    card = issue(status=Status.REPLACED)

    with pytest.raises(services.IllegalTransition):
        services.card_hand_over(card=card, actor=clerk, handed_to="LI WANG")

    card.refresh_from_db()
    assert (card.status, card.handed_over_to) == (Status.REPLACED, "")


# --- Hand-over, spoiled ----------------------------------------------------------------------
def test_handing_over_a_printed_card_makes_it_active_and_records_to_whom(clerk, issue):
    card = issue(status=Status.PRINTED)

    services.card_hand_over(card=card, actor=clerk, handed_to="WANG LI (holder)")

    card.refresh_from_db()
    assert (card.status, card.handed_over_to) == (Status.ACTIVE, "WANG LI (holder)")
    assert card.handed_over_at is not None
    assert card.events.get(kind=Kind.HANDED_OVER).data == {"handed_to": "WANG LI (holder)"}


def test_an_issued_card_that_was_never_printed_cannot_be_handed_over(clerk, issue):
    card = issue()

    with pytest.raises(services.IllegalTransition):
        services.card_hand_over(card=card, actor=clerk, handed_to="WANG LI")

    card.refresh_from_db()
    assert card.status == Status.ISSUED


def test_a_spoiled_card_goes_back_to_be_printed_again(clerk, issue):
    card = issue(status=Status.PRINTED)

    services.card_spoil(card=card, actor=clerk, reason="Ribbon smudged the photo")

    card.refresh_from_db()
    assert card.status == Status.ISSUED
    assert card.events.get(kind=Kind.SPOILED).reason == "Ribbon smudged the photo"


@pytest.mark.parametrize("record", ["hand_over", "spoil"])
def test_only_a_card_clerk_records_the_print_floor_and_a_director_changes_nothing(
    director, issue, record
):
    card = issue(status=Status.PRINTED)

    with pytest.raises(PermissionDenied):
        if record == "hand_over":
            services.card_hand_over(card=card, actor=director, handed_to="WANG LI")
        else:
            services.card_spoil(card=card, actor=director, reason="Ribbon smudged the photo")

    card.refresh_from_db()
    assert card.status == Status.PRINTED
    assert not card.events.filter(kind__in=[Kind.HANDED_OVER, Kind.SPOILED]).exists()


# --- Checks ----------------------------------------------------------------------------------
def test_every_validity_check_is_recorded_with_its_answer(issue, officer):
    card = issue(status=ResidenceCard.Status.ACTIVE, issue_date=dt.date(2026, 11, 1))

    answer = services.card_record_check(
        card=card, actor=officer, channel="number", today=dt.date(2026, 11, 2)
    )

    assert answer == ResidenceCard.Validity.VALID
    event = card.events.get(kind=Kind.VERIFIED)
    assert (event.actor, event.data) == (officer, {"channel": "number", "result": "valid"})
