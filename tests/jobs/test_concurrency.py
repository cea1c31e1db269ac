"""Two workers starting the expiry job at once, on the real PostgreSQL, with threads."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from cards.models import CardEvent, ResidenceCard
from jobs import services
from jobs.models import JobRun, Notification, RenewalNotice

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2027, 6, 15)


def run_at_once(count: int) -> list[JobRun]:
    barrier = threading.Barrier(count)
    runs: list[JobRun] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            runs.append(services.flag_card_expiry(today=TODAY))
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return runs


def test_two_workers_starting_at_once_flag_and_notice_each_card_once(settings, make_card, officer):
    # Small chunks with a pause between them, so the first run still holds the lock when the
    # second one starts.
    settings.JOBS_CHUNK_SIZE, settings.JOBS_CHUNK_PAUSE_SECONDS = 2, 0.3
    expired = [make_card(TODAY - dt.timedelta(days=n), created_by=officer) for n in (1, 2, 3, 4)]
    expiring = [make_card(TODAY + dt.timedelta(days=n), created_by=officer) for n in (5, 6, 7)]

    runs = run_at_once(2)

    assert sorted(run.status for run in runs) == [JobRun.Status.SKIPPED, JobRun.Status.SUCCEEDED]
    done = next(run for run in runs if run.status == JobRun.Status.SUCCEEDED)
    skipped = next(run for run in runs if run.status == JobRun.Status.SKIPPED)
    assert done.counts == {"expired": 4, "expiring": 3, "notices": 7, "passports": 0, "emails": 0}
    assert skipped.counts == {}
    statuses = dict(ResidenceCard.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in expired] == ["expired"] * 4
    assert [statuses[c.pk] for c in expiring] == ["expiring"] * 3
    events = list(CardEvent.objects.filter(kind__startswith="marked_").values_list("card_id"))
    assert sorted(events) == sorted((c.pk,) for c in expired + expiring)
    assert RenewalNotice.objects.count() == 7
    assert list(Notification.objects.values_list("recipient_id", "threshold", "count")) in (
        [(officer.pk, 0, 4), (officer.pk, 30, 3)],
        [(officer.pk, 30, 3), (officer.pk, 0, 4)],
    )


def test_three_runs_one_after_another_change_the_cards_once(settings, make_card, officer):
    cards = [make_card(TODAY - dt.timedelta(days=1), created_by=officer) for _ in range(3)]

    runs = [services.flag_card_expiry(today=TODAY) for _ in range(3)]

    assert [run.counts["expired"] for run in runs] == [3, 0, 0]
    assert CardEvent.objects.filter(kind=CardEvent.Kind.MARKED_EXPIRED).count() == 3
    assert {c.pk for c in cards} == set(
        ResidenceCard.objects.filter(status="expired").values_list("pk", flat=True)
    )
