"""Transfers between provinces: the sender proposes, the receiver's verifier decides."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from audit.models import AuditEvent
from cards import services as card_services
from cards.models import ResidenceCard
from compilation import services as province_services
from compilation.models import ProvinceSummary
from provinces.models import Province
from residents import history_view, selectors, transfers
from residents.models import Declaration, ProvinceTransfer, Resident
from residents.services import IllegalTransition, NotAllowed, ResidentsError
from tests.conftest import client_for
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db
Status = ProvinceTransfer.Status
PHNOM_PENH, SIEM_REAP = "12", "17"


def _propose(resident: Resident, officer, to: str = SIEM_REAP) -> ProvinceTransfer:
    return transfers.transfer_propose(
        resident=resident,
        actor=officer,
        to_province=Province.objects.get(code=to),
        reason="Moved to Siem Reap for work",
    )


# --- Services --------------------------------------------------------------------------------
def test_a_proposal_leaves_the_record_with_the_sender(officer, other_officer, resident):
    transfer = _propose(resident, officer)

    resident.refresh_from_db()
    assert resident.province_id == PHNOM_PENH
    assert transfer.status == Status.PROPOSED
    assert (transfer.from_province_id, transfer.to_province_id) == (PHNOM_PENH, SIEM_REAP)
    assert [t.pk for t in transfers.incoming_transfers_for(user=other_officer)] == [transfer.pk]
    assert transfers.incoming_transfers_for(user=officer) == []
    assert [t.pk for t in transfers.outgoing_transfers_for(user=officer)] == [transfer.pk]
    with pytest.raises(Http404):
        selectors.resident_get_for(user=other_officer, pk=resident.pk)


def test_acceptance_moves_scope_counts_and_responsibility(
    officer, other_verifier, other_officer, clerk
):
    resident = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=resident.declarations.get(), actor=clerk)
    province_services.province_summary_refresh()
    transfer = _propose(resident, officer)

    transfers.transfer_accept(transfer=transfer, actor=other_verifier)
    province_services.province_summary_refresh()

    resident.refresh_from_db()
    card.refresh_from_db()
    assert resident.province_id == SIEM_REAP
    assert card.province_id == PHNOM_PENH  # the card keeps its issuing office
    assert selectors.resident_get_for(user=other_officer, pk=resident.pk).pk == resident.pk
    with pytest.raises(Http404):
        selectors.resident_get_for(user=officer, pk=resident.pk)
    figures = {
        p.province_id: p.residents
        for p in ProvinceSummary.objects.filter(province_id__in=[PHNOM_PENH, SIEM_REAP])
    }
    assert figures == {PHNOM_PENH: 0, SIEM_REAP: 1}
    assert AuditEvent.objects.filter(action="transfer_decided").count() == 1


def test_the_receiving_province_reprints_the_card_with_the_same_expiry(
    officer, other_verifier, clerk
):
    resident = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=resident.declarations.get(), actor=clerk)
    ResidenceCard.objects.filter(pk=card.pk).update(status=ResidenceCard.Status.ACTIVE)
    transfers.transfer_accept(transfer=_propose(resident, officer), actor=other_verifier)
    card.refresh_from_db()

    new = card_services.card_reprint_after_transfer(card=card, actor=clerk)

    card.refresh_from_db()
    assert new.province_id == SIEM_REAP
    assert new.expiry_date == card.expiry_date
    assert new.replaces_id == card.pk
    assert (card.status, card.status_reason) == (ResidenceCard.Status.REPLACED, "transfer")


def test_no_reprint_is_offered_for_a_card_of_the_residents_own_province(officer, clerk):
    resident = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=resident.declarations.get(), actor=clerk)
    ResidenceCard.objects.filter(pk=card.pk).update(status=ResidenceCard.Status.ACTIVE)
    card.refresh_from_db()

    with pytest.raises(card_services.CardRefused):
        card_services.card_reprint_after_transfer(card=card, actor=clerk)

    assert ResidenceCard.objects.filter(resident=resident).count() == 1


def test_refusal_keeps_the_record_with_the_sender(officer, other_verifier, resident):
    transfer = _propose(resident, officer)

    with pytest.raises(ResidentsError):
        transfers.transfer_refuse(transfer=transfer, actor=other_verifier, reason="")
    transfers.transfer_refuse(transfer=transfer, actor=other_verifier, reason="Not in our area")

    transfer.refresh_from_db()
    resident.refresh_from_db()
    assert (transfer.status, transfer.decision_reason) == (Status.REFUSED, "Not in our area")
    assert resident.province_id == PHNOM_PENH


def test_only_the_receiving_provinces_verifier_decides(
    officer, verifier, other_officer, director, resident
):
    transfer = _propose(resident, officer)

    for actor in (verifier, other_officer, director, officer):
        with pytest.raises(NotAllowed):
            transfers.transfer_accept(transfer=transfer, actor=actor)

    transfer.refresh_from_db()
    resident.refresh_from_db()
    assert transfer.status == Status.PROPOSED
    assert resident.province_id == PHNOM_PENH


def test_only_the_sending_provinces_officer_proposes(other_officer, verifier, resident):
    for actor in (other_officer, verifier):
        with pytest.raises(NotAllowed):
            _propose(resident, actor)

    assert ProvinceTransfer.objects.count() == 0


def test_a_transfer_to_the_own_province_or_a_second_one_is_refused(officer, resident):
    with pytest.raises(ResidentsError):
        _propose(resident, officer, to=PHNOM_PENH)
    _propose(resident, officer)
    with pytest.raises(IllegalTransition):
        _propose(resident, officer, to="01")

    assert ProvinceTransfer.objects.count() == 1


@pytest.mark.parametrize("final", [Status.ACCEPTED, Status.REFUSED, Status.WITHDRAWN])
@pytest.mark.parametrize("target", [Status.ACCEPTED, Status.REFUSED, Status.WITHDRAWN])
def test_a_decided_transfer_never_moves_again(officer, other_verifier, resident, final, target):
    transfer = _propose(resident, officer)
    ProvinceTransfer.objects.filter(pk=transfer.pk).update(status=final, decision_reason="Done")

    with pytest.raises(IllegalTransition):
        if target == Status.ACCEPTED:
            transfers.transfer_accept(transfer=transfer, actor=other_verifier)
        elif target == Status.REFUSED:
            transfers.transfer_refuse(transfer=transfer, actor=other_verifier, reason="Again")
        else:
            transfers.transfer_withdraw(transfer=transfer, actor=officer)

    transfer.refresh_from_db()
    resident.refresh_from_db()
    assert transfer.status == final
    assert resident.province_id == PHNOM_PENH


def test_the_transition_table_allows_only_decisions_of_an_open_proposal():
    assert {
        Status.PROPOSED: {Status.ACCEPTED, Status.REFUSED, Status.WITHDRAWN},
        Status.ACCEPTED: set(),
        Status.REFUSED: set(),
        Status.WITHDRAWN: set(),
    } == ProvinceTransfer.TRANSITIONS


def test_the_history_shows_the_move_in_both_provinces_terms(officer, other_verifier, resident):
    transfers.transfer_accept(transfer=_propose(resident, officer), actor=other_verifier)

    history = history_view.resident_history_for(resident=resident)
    actions = [(e.who, e.action) for e in history]

    assert (str(officer), "Transfer to another province proposed") in actions
    assert (str(other_verifier), "Transfer accepted") in actions
    moved = [e for e in history if e.action == "Resident changed"][-1]
    assert [(c.field, c.before, c.after) for c in moved.changes] == [
        ("responsible province office", "Phnom Penh", "Siemreap")
    ]
    proposed = next(e for e in history if e.action == "Transfer to another province proposed")
    assert [(c.field, c.after) for c in proposed.changes][:2] == [
        ("from province", "Phnom Penh"),
        ("to province", "Siemreap"),
    ]


# --- Views -----------------------------------------------------------------------------------
def test_officer_proposes_through_the_form(officer_client, resident):
    response = officer_client.post(
        reverse("residents:transfer-propose", args=[resident.pk]),
        {"to_province": SIEM_REAP, "reason": "Moved for work"},
    )

    assert response.status_code == 302
    assert ProvinceTransfer.objects.get().to_province_id == SIEM_REAP


def test_the_receiver_sees_the_proposal_and_accepts_it(officer, other_verifier, resident):
    transfer = _propose(resident, officer)
    client = client_for(other_verifier)

    listed = client.get(reverse("residents:transfer-list"))
    detail = client.get(reverse("residents:transfer-detail", args=[transfer.pk]))
    accepted = client.post(
        reverse("residents:transfer-decide", args=[transfer.pk]), {"action": "approve"}
    )

    assert [t.pk for t in listed.context["incoming"]] == [transfer.pk]
    assert detail.status_code == 200
    assert detail.context["resident_visible"] is False
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("residents:detail", args=[resident.pk])
    assert client.get(accepted["Location"]).status_code == 200
    assert client_for(officer).get(accepted["Location"]).status_code == 404


def test_a_third_province_gets_404_for_the_proposal(officer, resident):
    from tests.factories import UserFactory

    transfer = _propose(resident, officer)
    stranger = client_for(UserFactory(role="verifier", province_id="01"))

    assert stranger.get(reverse("residents:transfer-detail", args=[transfer.pk])).status_code == 404
    response = stranger.post(
        reverse("residents:transfer-decide", args=[transfer.pk]), {"action": "approve"}
    )
    assert response.status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == Status.PROPOSED


def test_an_officer_may_not_decide_a_transfer(officer, other_officer, resident):
    transfer = _propose(resident, officer)

    response = client_for(other_officer).post(
        reverse("residents:transfer-decide", args=[transfer.pk]), {"action": "approve"}
    )

    assert response.status_code == 403
    transfer.refresh_from_db()
    assert transfer.status == Status.PROPOSED


def test_anonymous_visitors_are_sent_to_sign_in(client, officer, resident):
    transfer = _propose(resident, officer)
    for url in (
        reverse("residents:transfer-propose", args=[resident.pk]),
        reverse("residents:transfer-detail", args=[transfer.pk]),
        reverse("residents:transfer-list"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_receiving_provinces_clerk_reprints_from_the_resident_page(
    officer, other_verifier, clerk, client
):
    from tests.factories import UserFactory

    resident = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=resident.declarations.get(), actor=clerk)
    ResidenceCard.objects.filter(pk=card.pk).update(status=ResidenceCard.Status.ACTIVE)
    transfers.transfer_accept(transfer=_propose(resident, officer), actor=other_verifier)
    clerk_sr = client_for(UserFactory(role="clerk", province_id=SIEM_REAP))
    clerk_pp = client_for(UserFactory(role="clerk", province_id=PHNOM_PENH))
    url = reverse("cards:card-reprint-transfer", args=[card.pk])

    offered = clerk_sr.get(reverse("residents:detail", args=[resident.pk]))
    assert [c.pk for c in offered.context["reprintable_cards"]] == [card.pk]
    assert clerk_pp.post(url).status_code == 404
    anonymous = client.post(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert ResidenceCard.objects.filter(resident=resident).count() == 1

    response = clerk_sr.post(url)

    assert response.status_code == 302
    new = ResidenceCard.objects.get(resident=resident, status=ResidenceCard.Status.ISSUED)
    assert new.province_id == SIEM_REAP
