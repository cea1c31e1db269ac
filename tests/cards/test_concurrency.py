"""Concurrent issuing on the real PostgreSQL: numbers never repeat, one valid card per resident."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import User
from cards import numbers, services
from cards.models import PrintRun, PrintRunCard, ResidenceCard
from tests.cards.conftest import acknowledged
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_cards_issued_at_the_same_moment_never_share_a_number(clerk):
    declarations = [acknowledged() for _ in range(12)]

    results = run_together(
        [lambda d=d: services.card_issue(declaration=d, actor=clerk) for d in declarations]
    )

    assert all(isinstance(r, ResidenceCard) for r in results), results
    issued = list(ResidenceCard.objects.values_list("number", flat=True))
    assert len(issued) == 12
    assert len(set(issued)) == 12
    assert all(numbers.normalise(n) == n for n in issued)


def test_two_clerks_issuing_for_one_resident_at_once_make_exactly_one_card(clerk, director):
    declaration = acknowledged()

    results = run_together(
        [
            lambda: services.card_issue(declaration=declaration, actor=clerk),
            lambda: services.card_issue(declaration=declaration, actor=director),
        ]
    )

    assert sorted(type(r).__name__ for r in results) == ["CardRefused", "ResidenceCard"]
    assert ResidenceCard.objects.filter(resident=declaration.resident).count() == 1


def test_bulk_issuing_and_single_issuing_at_once_never_card_a_resident_twice(clerk, director):
    declarations = [acknowledged() for _ in range(10)]

    results = run_together(
        [
            lambda: services.cards_issue_for_province(province_code="12", actor=clerk),
            *[
                lambda d=d: services.card_issue(declaration=d, actor=director)
                for d in declarations[:5]
            ],
        ]
    )

    assert not [r for r in results if not isinstance(r, (int, ResidenceCard, ValidationError))]
    assert ResidenceCard.objects.count() == 10
    assert ResidenceCard.objects.values("resident").distinct().count() == 10
    assert len(set(ResidenceCard.objects.values_list("number", flat=True))) == 10


def test_twenty_clerks_creating_print_runs_at_once_put_each_card_in_one_run(clerk, issue):
    cards = [issue() for _ in range(6)]
    clerks = [clerk] + [UserFactory(role=User.Role.CLERK, province=None) for _ in range(19)]

    results = run_together(
        [
            lambda c=c: services.print_run_create(
                actor=c, selection=PrintRun.Selection.PROVINCE, province_code="12"
            )
            for c in clerks
        ]
    )

    runs = [r for r in results if isinstance(r, PrintRun)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(runs) + len(refused) == 20, results
    assert len(runs) >= 1
    entries = PrintRunCard.objects.filter(card__in=cards)
    assert entries.count() == len(cards)  # every card once, in one run
    assert set(entries.values_list("card_id", flat=True)) == {c.pk for c in cards}
    assert PrintRun.objects.count() == len(runs)


def test_the_database_refuses_a_card_in_two_open_runs(clerk, issue):
    card = issue()
    first = PrintRun.objects.create(created_by=clerk, selection="picked", total=1)
    second = PrintRun.objects.create(created_by=clerk, selection="picked", total=1)
    PrintRunCard.objects.create(print_run=first, card=card, position=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        PrintRunCard.objects.create(print_run=second, card=card, position=1)

    assert list(PrintRunCard.objects.values_list("print_run_id", flat=True)) == [first.pk]
