"""The card's rules that live on the model: validity period, numbers, statuses, constraints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from cards import numbers
from cards.models import ResidenceCard, expiry_date_for, new_token

Status = ResidenceCard.Status
Validity = ResidenceCard.Validity


# --- "Valid for two years": through the day before the second anniversary of issue ----------
@pytest.mark.parametrize(
    ("issued", "last_valid_day"),
    [
        (dt.date(2026, 11, 26), dt.date(2028, 11, 25)),
        (dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
        # Issued on 29 February: no 29 February two years later, the anniversary is 1 March.
        (dt.date(2028, 2, 29), dt.date(2030, 2, 28)),
        (dt.date(2024, 2, 29), dt.date(2026, 2, 28)),
        # Issued on 1 March before a leap year: valid through 29 February.
        (dt.date(2026, 3, 1), dt.date(2028, 2, 29)),
        (dt.date(2026, 2, 28), dt.date(2028, 2, 27)),
    ],
)
def test_a_card_is_valid_through_the_day_before_its_second_anniversary(issued, last_valid_day):
    assert expiry_date_for(issued) == last_valid_day


def test_a_card_issued_on_29_february_is_valid_on_its_last_day_and_expired_on_1_march(issue):
    card = issue(status=Status.ACTIVE, issue_date=dt.date(2028, 2, 29))

    assert card.expiry_date == dt.date(2030, 2, 28)
    assert card.validity_on(dt.date(2030, 2, 28)) == Validity.EXPIRING
    assert card.is_valid_on(dt.date(2030, 2, 28)) is True
    assert card.validity_on(dt.date(2030, 3, 1)) == Validity.EXPIRED
    assert card.is_valid_on(dt.date(2030, 3, 1)) is False


# --- Validity on a given day ------------------------------------------------------------------
def test_validity_is_valid_then_expiring_in_the_last_90_days_then_expired(issue):
    card = issue(status=Status.ACTIVE, issue_date=dt.date(2026, 1, 10))  # last valid day 09-01-2028

    assert card.validity_on(dt.date(2026, 1, 10)) == Validity.VALID
    assert card.validity_on(dt.date(2027, 10, 10)) == Validity.VALID  # 91 days before
    assert card.validity_on(dt.date(2027, 10, 11)) == Validity.EXPIRING  # 90 days before
    assert card.validity_on(dt.date(2028, 1, 9)) == Validity.EXPIRING
    assert card.validity_on(dt.date(2028, 1, 10)) == Validity.EXPIRED


@pytest.mark.parametrize(
    ("status", "answer"), [(Status.REVOKED, Validity.REVOKED), (Status.REPLACED, Validity.REPLACED)]
)
def test_a_revoked_or_replaced_card_is_never_valid_even_within_its_dates(issue, status, answer):
    card = issue(status=status, issue_date=dt.date(2026, 11, 1))

    assert card.validity_on(dt.date(2026, 11, 2)) == answer
    assert card.is_valid_on(dt.date(2026, 11, 2)) is False


@pytest.mark.parametrize("status", [Status.ISSUED, Status.PRINTED])
def test_a_card_not_yet_handed_over_is_not_valid_within_its_dates(issue, status):
    card = issue(status=status, issue_date=dt.date(2026, 11, 1))

    assert card.validity_on(dt.date(2026, 11, 2)) == Validity.NOT_HANDED_OVER
    assert card.validity_on(dt.date(2028, 10, 1)) == Validity.NOT_HANDED_OVER  # last 90 days
    assert card.is_valid_on(dt.date(2026, 11, 2)) is False
    assert card.validity_on(dt.date(2028, 11, 1)) == Validity.EXPIRED  # past its dates


def test_a_card_marked_expired_is_expired_whatever_its_dates(issue):
    card = issue(status=Status.EXPIRED, issue_date=dt.date(2026, 11, 1))

    assert card.validity_on(dt.date(2026, 11, 2)) == Validity.EXPIRED


# --- Numbers ---------------------------------------------------------------------------------
def test_a_card_number_encodes_the_province_and_ends_with_a_damm_check_digit():
    number = numbers.format_number(province_code="12", serial=123)

    assert number == "PR-12-0000123-6"
    assert numbers.damm_digit("120000123") == 6
    assert numbers.normalise(number) == number


def test_a_typed_number_is_accepted_without_dashes_prefix_or_case():
    assert numbers.normalise("pr 12 0000123 6") == "PR-12-0000123-6"
    assert numbers.normalise("1200001236") == "PR-12-0000123-6"


def test_every_single_digit_typo_in_a_card_number_is_caught():
    digits = "1200001236"
    for position in range(len(digits)):
        for wrong in "0123456789":
            if wrong == digits[position]:
                continue
            typo = digits[:position] + wrong + digits[position + 1 :]
            with pytest.raises(numbers.InvalidCardNumber):
                numbers.normalise(typo)


def test_every_swap_of_two_adjacent_different_digits_is_caught():
    digits = "1734005281"
    digits = digits[:-1] + str(numbers.damm_digit(digits[:-1]))
    assert numbers.normalise(digits)
    for position in range(len(digits) - 1):
        a, b = digits[position], digits[position + 1]
        if a == b:
            continue
        swapped = digits[:position] + b + a + digits[position + 2 :]
        with pytest.raises(numbers.InvalidCardNumber):
            numbers.normalise(swapped)


@pytest.mark.parametrize("typed", ["", "PR-12", "PR-12-0000123", "XX-12-0000123-1", "12-ABC"])
def test_a_malformed_number_is_refused(typed):
    with pytest.raises(numbers.InvalidCardNumber):
        numbers.normalise(typed)


def test_the_qr_token_carries_at_least_128_random_bits():
    tokens = {new_token() for _ in range(100)}

    assert len(tokens) == 100
    assert all(len(t) == 32 for t in tokens)  # 24 bytes = 192 bits, URL-safe base64


# --- Statuses and the database's guarantees --------------------------------------------------
def test_the_transition_table_ends_at_replaced_and_revoked():
    assert ResidenceCard.TRANSITIONS[Status.REPLACED] == frozenset()
    assert ResidenceCard.TRANSITIONS[Status.REVOKED] == frozenset()
    assert Status.ACTIVE in ResidenceCard.TRANSITIONS[Status.PRINTED]
    assert Status.ACTIVE not in ResidenceCard.TRANSITIONS[Status.ISSUED]
    assert set(ResidenceCard.TRANSITIONS) == set(Status.values)


def test_the_database_refuses_a_second_valid_card_for_one_resident(issue):
    card = issue()
    second = ResidenceCard(
        number=numbers.format_number(province_code="12", serial=9_999_999),
        resident=card.resident,
        declaration=card.declaration,
        province=card.province,
        issue_date=card.issue_date,
        expiry_date=card.expiry_date,
        issued_by=card.issued_by,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()

    assert ResidenceCard.objects.filter(resident=card.resident).count() == 1


def test_the_database_allows_a_new_card_once_the_old_one_is_replaced(issue):
    card = issue(status=Status.REPLACED)
    second = ResidenceCard.objects.create(
        number=numbers.format_number(province_code="12", serial=9_999_998),
        resident=card.resident,
        declaration=card.declaration,
        province=card.province,
        issue_date=card.issue_date,
        expiry_date=card.expiry_date,
        issued_by=card.issued_by,
    )

    assert list(ResidenceCard.objects.current().filter(resident=card.resident)) == [second]


def test_a_revoked_card_needs_a_reason_in_the_database(issue):
    card = issue()

    with pytest.raises(IntegrityError), transaction.atomic():
        ResidenceCard.objects.filter(pk=card.pk).update(status=Status.REVOKED, status_reason="")


# --- Named filters for the nightly job -------------------------------------------------------
def test_expiring_before_finds_current_cards_whose_last_day_is_before_the_given_day(issue):
    old = issue(issue_date=dt.date(2025, 1, 10), status=Status.ACTIVE)  # last day 09-01-2027
    issue(issue_date=dt.date(2025, 6, 1), status=Status.ACTIVE)  # last day 31-05-2027
    issue(issue_date=dt.date(2025, 1, 10), status=Status.REVOKED)

    assert list(ResidenceCard.objects.expiring_before(dt.date(2027, 1, 10))) == [old]
    assert list(ResidenceCard.objects.expiring_before(dt.date(2027, 1, 9))) == []
    assert ResidenceCard.objects.expiring_before(dt.date(2027, 6, 1)).count() == 2


def test_renewable_on_finds_cards_within_90_days_of_expiry_and_expired_ones(issue):
    soon = issue(issue_date=dt.date(2025, 1, 10), status=Status.ACTIVE)  # last day 09-01-2027
    expired = issue(issue_date=dt.date(2024, 1, 10), status=Status.EXPIRED)
    issue(issue_date=dt.date(2026, 1, 10), status=Status.ACTIVE)  # last day 09-01-2028

    renewable = set(ResidenceCard.objects.renewable_on(dt.date(2026, 10, 11)))

    assert renewable == {soon, expired}
    assert set(ResidenceCard.objects.renewable_on(dt.date(2026, 10, 10))) == {expired}
