"""Concurrent issuing on the real PostgreSQL: numbers never repeat, one valid card per resident."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cards import numbers, services
from cards.models import ResidenceCard
from tests.cards.conftest import acknowledged

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

    assert sorted(type(r).__name__ for r in results) == ["ResidenceCard", "ValidationError"]
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
