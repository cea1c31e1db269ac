"""The nightly job flags residents whose current passport expires before their current card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cards.models import ResidenceCard
from jobs import services
from jobs.models import JobRun, PassportExpiryFlag
from jobs.tasks import flag_card_expiry_task
from residents import passports
from residents import services as resident_services
from tests.conftest import client_for
from tests.factories import TravelDocumentFactory
from tests.jobs.test_tasks import wait_for

Status = ResidenceCard.Status
TODAY = dt.date(2027, 3, 1)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def flags() -> list[tuple[int, int, dt.date, dt.date]]:
    return list(
        PassportExpiryFlag.objects.order_by("id").values_list(
            "card_id", "document_id", "passport_expiry", "card_expiry"
        )
    )


@pytest.mark.django_db
def test_the_night_flags_a_passport_that_expires_before_the_card_once(freeze, make_card):
    freeze(TODAY)
    card = make_card(TODAY + days(600))
    short = TravelDocumentFactory(resident=card.resident, expiry_date=TODAY + days(200))
    long_card = make_card(TODAY + days(600))
    TravelDocumentFactory(resident=long_card.resident, expiry_date=TODAY + days(601))

    first = services.flag_card_expiry()
    second = services.flag_card_expiry()

    assert flags() == [(card.pk, short.pk, TODAY + days(200), TODAY + days(600))]
    flag = PassportExpiryFlag.objects.get()
    assert (flag.resident_id, flag.province_id, flag.run_id) == (
        card.resident_id,
        card.province_id,
        first.pk,
    )
    assert (first.counts["passports"], second.counts["passports"]) == (1, 0)


@pytest.mark.django_db
def test_old_passports_and_cards_no_longer_valid_are_not_flagged(freeze, make_card):
    freeze(TODAY)
    revoked = make_card(TODAY + days(600), status=Status.REVOKED)
    TravelDocumentFactory(resident=revoked.resident, expiry_date=TODAY + days(10))
    renewed = make_card(TODAY + days(600))
    TravelDocumentFactory(resident=renewed.resident, expiry_date=TODAY + days(10), is_current=False)
    TravelDocumentFactory(resident=renewed.resident, expiry_date=TODAY + days(900))

    run = services.flag_card_expiry()

    assert flags() == []
    assert run.counts["passports"] == 0


@pytest.mark.django_db
def test_a_new_passport_that_still_falls_short_of_the_card_is_flagged_afresh(
    freeze, make_card, officer
):
    freeze(TODAY)
    card = make_card(TODAY + days(600), created_by=officer)
    first = TravelDocumentFactory(resident=card.resident, expiry_date=TODAY + days(100))
    services.flag_card_expiry()

    new = passports.passport_replace(
        resident=card.resident,
        actor=officer,
        passport=resident_services.PassportInput(
            number="EN7654321", issuing_country="CN", expiry_date=TODAY + days(300)
        ),
    )
    services.flag_card_expiry()

    assert [f[:2] for f in flags()] == [(card.pk, first.pk), (card.pk, new.pk)]


@pytest.mark.worker
def test_a_real_worker_running_the_nightly_job_flags_the_passport(real_worker, make_card):
    today = timezone.localdate()
    card = make_card(today + days(600))
    document = TravelDocumentFactory(resident=card.resident, expiry_date=today + days(30))

    with real_worker.sending():
        flag_card_expiry_task.delay()
    run = wait_for(
        lambda: JobRun.objects.filter(status=JobRun.Status.SUCCEEDED).first(),
        what="the worker's run",
    )

    assert run.counts["passports"] == 1
    assert flags() == [(card.pk, document.pk, today + days(30), today + days(600))]


@pytest.mark.django_db
def test_the_residents_page_shows_the_flag_until_a_new_passport_is_recorded(
    freeze, make_card, officer
):
    freeze(TODAY)
    officer_client = client_for(officer)  # signed in on the frozen day
    card = make_card(TODAY + days(600), created_by=officer)
    TravelDocumentFactory(resident=card.resident, expiry_date=TODAY + days(100))
    services.flag_card_expiry()
    url = f"/residents/{card.resident_id}/"

    response = officer_client.get(url)
    assert response.status_code == 200, response.get("Location")
    flagged = response.content.decode()
    passports.passport_replace(
        resident=card.resident,
        actor=officer,
        passport=resident_services.PassportInput(
            number="EN7654321", issuing_country="CN", expiry_date=TODAY + days(3000)
        ),
    )
    cleared = officer_client.get(url).content.decode()

    assert 'data-testid="passport-flag"' in flagged
    assert "The passport expires on 09-06-2027, before the card (21-10-2028)" in flagged
    assert 'data-testid="passport-flag"' not in cleared
