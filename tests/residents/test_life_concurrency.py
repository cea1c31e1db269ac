"""Decisions on a transfer or an end of residence at once, on the real PostgreSQL: one wins."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.files.base import ContentFile
from django.db import close_old_connections, connection

from provinces.models import Province
from residents import endings, transfers
from residents.models import ProvinceTransfer, ResidenceEnding, Resident
from residents.services import ResidentsError
from tests.factories import UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(count: int, work) -> list[object]:
    """Run `work(i)` in `count` threads released together; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # each thread reports what it got
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    return results


def test_eight_receiving_verifiers_accepting_one_transfer_at_once_move_it_once(officer):
    resident = make_resident(maker=officer)
    transfer = transfers.transfer_propose(
        resident=resident,
        actor=officer,
        to_province=Province.objects.get(code="17"),
        reason="Moved",
    )
    verifiers = [
        UserFactory(username=f"verifier{i}_sr", role="verifier", province_id="17") for i in range(8)
    ]

    results = run_at_once(
        8, lambda i: transfers.transfer_accept(transfer=transfer, actor=verifiers[i])
    )

    winners = [r for r in results if isinstance(r, ProvinceTransfer)]
    losers = [r for r in results if isinstance(r, ResidentsError)]
    assert (len(winners), len(losers)) == (1, 7)
    resident.refresh_from_db()
    assert (resident.province_id, resident.version) == ("17", 2)


def test_ending_and_transfer_decided_at_once_never_both_happen(officer, verifier):
    resident = make_resident(maker=officer)
    transfer = transfers.transfer_propose(
        resident=resident,
        actor=officer,
        to_province=Province.objects.get(code="17"),
        reason="Moved",
    )
    ending = endings.ending_request(
        resident=resident,
        actor=officer,
        reason="departure",
        ended_on=dt.date(2026, 11, 30),
        evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="exit.pdf"),
        evidence_type="application/pdf",
        evidence_name="exit.pdf",
        today=dt.date(2026, 12, 3),
    )
    receiver = UserFactory(username="verifier_sr", role="verifier", province_id="17")

    def decide(i: int) -> object:
        if i == 0:
            return endings.ending_approve(ending=ending, actor=verifier)
        return transfers.transfer_accept(transfer=transfer, actor=receiver)

    results = run_at_once(2, decide)

    succeeded = [r for r in results if not isinstance(r, Exception)]
    assert len(succeeded) == 1
    assert all(isinstance(r, ResidentsError) for r in results if isinstance(r, Exception))
    resident = Resident.objects.get(pk=resident.pk)
    ending.refresh_from_db()
    transfer.refresh_from_db()
    if isinstance(succeeded[0], ResidenceEnding):
        assert (resident.province_id, transfer.status) == ("12", ProvinceTransfer.Status.PROPOSED)
        assert resident.residence_ended_on == dt.date(2026, 11, 30)
    else:
        assert (resident.province_id, ending.status) == ("17", ResidenceEnding.Status.REQUESTED)
        assert resident.residence_ended_on is None
