"""Two verifiers at once, on the real PostgreSQL: row locks make exactly one of them win."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from residents import selectors, services
from residents.models import Declaration
from tests.factories import UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 20


def run_at_once(work) -> list[object]:
    """Run `work(i)` in THREADS threads released together; return each result or exception."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # each thread reports what it got
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    return results


def test_twenty_verifiers_verifying_one_declaration_at_once_exactly_one_wins(officer):
    declaration = make_resident(maker=officer).declarations.get()
    verifiers = [
        UserFactory(username=f"verifier{i}_pp", role="verifier", province_id="12")
        for i in range(THREADS)
    ]

    results = run_at_once(
        lambda i: services.declaration_verify(declaration=declaration, actor=verifiers[i])
    )

    winners = [r for r in results if isinstance(r, Declaration)]
    losers = [r for r in results if isinstance(r, services.IllegalTransition)]
    assert (len(winners), len(losers)) == (1, THREADS - 1)
    assert str(losers[0].message) == (
        "This declaration is now verified; it cannot become verified."
    )
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.VERIFIED
    assert declaration.reviewed_by_id == winners[0].reviewed_by_id
    assert declaration.version == 2


def test_verifying_and_returning_at_once_leaves_one_decision(officer):
    declaration = make_resident(maker=officer).declarations.get()
    verifiers = [
        UserFactory(username=f"verifier{i}_pp", role="verifier", province_id="12")
        for i in range(THREADS)
    ]

    def decide(i: int) -> object:
        if i % 2:
            return services.declaration_verify(declaration=declaration, actor=verifiers[i])
        return services.declaration_return(
            declaration=declaration, actor=verifiers[i], reason=f"reason {i}"
        )

    results = run_at_once(decide)

    assert sum(isinstance(r, Declaration) for r in results) == 1
    assert sum(isinstance(r, services.IllegalTransition) for r in results) == THREADS - 1
    declaration.refresh_from_db()
    assert declaration.version == 2
    assert declaration.status in (Declaration.Status.VERIFIED, Declaration.Status.RETURNED)


def test_twenty_simultaneous_edits_from_the_same_version_save_exactly_one(officer):
    resident = make_resident(maker=officer)

    results = run_at_once(
        lambda i: services.resident_update(
            resident=resident, actor=officer, version=1, fields={"phone": f"0{i}"}
        )
    )

    stale = [r for r in results if isinstance(r, services.StaleVersion)]
    assert len(stale) == THREADS - 1
    resident.refresh_from_db()
    assert resident.version == 2
    assert resident.phone in {f"0{i}" for i in range(THREADS)}


def test_ten_verifiers_pulling_next_at_once_each_get_a_different_record(officer):
    from tests.cards.test_concurrency import run_together

    verifiers = [
        UserFactory(username=f"verifier_next_{i}", role="verifier", province_id="12")
        for i in range(10)
    ]
    for n in range(15):
        make_resident(maker=officer, surname=f"QUEUED{n}")
    filters = selectors.QueueFilters()

    def pull(verifier) -> int | None:
        claimed = services.declaration_claim_next(
            actor=verifier,
            candidates=selectors.verification_candidates_for(user=verifier, filters=filters),
            ordered=lambda qs: selectors.queue_ordered(qs, filters),
        )
        return claimed.pk if claimed else None

    results = run_together([lambda v=v: pull(v) for v in verifiers])

    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 10
    held = dict(
        Declaration.objects.filter(claimed_by__isnull=False).values_list("pk", "claimed_by_id")
    )
    assert held == {pk: v.pk for pk, v in zip(results, verifiers, strict=True)}


def test_ten_verifiers_opening_the_same_record_at_once_leave_one_holder(officer):
    from tests.cards.test_concurrency import run_together

    verifiers = [
        UserFactory(username=f"verifier_open_{i}", role="verifier", province_id="12")
        for i in range(10)
    ]
    declaration = make_resident(maker=officer, surname="CONTESTED").declarations.get()

    results = run_together(
        [
            lambda v=v: services.declaration_claim(declaration=declaration, actor=v)
            for v in verifiers
        ]
    )

    declaration.refresh_from_db()
    assert results.count(True) == 1
    assert results.count(False) == 9
    assert declaration.claimed_by == verifiers[results.index(True)]
