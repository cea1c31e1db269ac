"""End of residence: an officer requests, another verifier decides; card revoked, counts move."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from cards import services as card_services
from cards.models import CardEvent, ResidenceCard
from compilation import services as province_services
from compilation.models import ProvinceSummary
from residents import endings, history_view, selectors
from residents.models import Declaration, ResidenceEnding, Resident
from residents.services import IllegalTransition, NotAllowed, ResidentsError
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.residents.conftest import make_resident, pdf_bytes

pytestmark = pytest.mark.django_db
Status = ResidenceEnding.Status
TODAY = dt.date(2026, 12, 3)


def _evidence() -> ContentFile:
    return ContentFile(pdf_bytes(), name="exit-record.pdf")


def _carded(officer, clerk) -> tuple[Resident, ResidenceCard]:
    resident = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=resident.declarations.get(), actor=clerk)
    return resident, card


def _request(resident: Resident, officer, **overrides) -> ResidenceEnding:
    arguments = {
        "resident": resident,
        "actor": officer,
        "reason": "departure",
        "ended_on": dt.date(2026, 11, 30),
        "evidence": _evidence(),
        "evidence_type": "application/pdf",
        "evidence_name": "exit-record.pdf",
        "notes": "Left through Phnom Penh airport.",
        "today": TODAY,
    } | overrides
    return endings.ending_request(**arguments)


# --- Services --------------------------------------------------------------------------------
def test_officer_requests_an_end_of_residence_awaiting_review(officer, resident):
    ending = _request(resident, officer)

    ending.refresh_from_db()
    assert ending.status == Status.REQUESTED
    assert ending.reason == "departure"
    assert ending.requested_by == officer
    assert ending.evidence.read().startswith(b"%PDF")
    resident.refresh_from_db()
    assert resident.residence_ended_on is None
    assert AuditEvent.objects.filter(action="residence_end_requested").count() == 1


def test_approval_ends_the_residence_and_revokes_the_card(officer, verifier, clerk):
    resident, card = _carded(officer, clerk)
    ending = _request(resident, officer, reason="death")

    endings.ending_approve(ending=ending, actor=verifier)

    resident.refresh_from_db()
    card.refresh_from_db()
    assert resident.residence_ended_on == dt.date(2026, 11, 30)
    assert resident.residence_end_reason == "death"
    assert card.status == ResidenceCard.Status.REVOKED
    assert card.status_reason == "Death"
    assert [e.data for e in CardEvent.objects.filter(card=card, kind="revoked")] == [
        {"ending": ending.pk}
    ]
    assert not card.is_valid_on(TODAY)
    # The nightly job flags only current cards: a revoked one is never "expiring" or "expired".
    assert not ResidenceCard.objects.expiring_before(dt.date(2030, 1, 1)).filter(pk=card.pk)
    decided = AuditEvent.objects.get(action="residence_end_decided")
    assert decided.detail["cards_revoked"] == [card.number]


def test_refusal_needs_a_reason_and_leaves_the_residence_unchanged(officer, verifier, clerk):
    resident, card = _carded(officer, clerk)
    ending = _request(resident, officer)

    with pytest.raises(ResidentsError):
        endings.ending_refuse(ending=ending, actor=verifier, reason="  ")
    endings.ending_refuse(ending=ending, actor=verifier, reason="The exit record is not his.")

    ending.refresh_from_db()
    resident.refresh_from_db()
    card.refresh_from_db()
    assert ending.status == Status.REFUSED
    assert ending.decision_reason == "The exit record is not his."
    assert resident.residence_ended_on is None
    assert card.status == ResidenceCard.Status.ISSUED


def test_the_requester_cannot_approve_their_own_request(officer, clerk, verifier):
    resident, card = _carded(officer, clerk)
    ending = ResidenceEnding.objects.create(
        resident=resident,
        reason="departure",
        ended_on=TODAY,
        evidence=_evidence(),
        evidence_name="x.pdf",
        evidence_type="application/pdf",
        requested_by=verifier,
    )

    with pytest.raises(NotAllowed):
        endings.ending_approve(ending=ending, actor=verifier)

    ending.refresh_from_db()
    card.refresh_from_db()
    assert ending.status == Status.REQUESTED
    assert card.status == ResidenceCard.Status.ISSUED


def test_only_a_verifier_of_the_province_decides(officer, other_verifier, resident):
    ending = _request(resident, officer)
    for actor in (officer, other_verifier):
        with pytest.raises(NotAllowed):
            endings.ending_approve(ending=ending, actor=actor)

    ending.refresh_from_db()
    assert ending.status == Status.REQUESTED


def test_only_an_officer_of_the_province_requests(other_officer, verifier, resident):
    for actor in (other_officer, verifier):
        with pytest.raises(NotAllowed):
            _request(resident, actor)

    assert ResidenceEnding.objects.count() == 0


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"ended_on": dt.date(2026, 12, 4)}, "future"),
        ({"reason": "holiday"}, "Choose"),
    ],
)
def test_bad_requests_are_refused_with_a_message(officer, resident, overrides, message):
    with pytest.raises(ResidentsError, match=message):
        _request(resident, officer, **overrides)

    assert ResidenceEnding.objects.count() == 0


def test_a_second_open_request_is_refused(officer, resident):
    _request(resident, officer)

    with pytest.raises(IllegalTransition):
        _request(resident, officer)

    assert ResidenceEnding.objects.count() == 1


@pytest.mark.parametrize("final", [Status.APPROVED, Status.REFUSED, Status.WITHDRAWN])
@pytest.mark.parametrize("target", [Status.APPROVED, Status.REFUSED, Status.WITHDRAWN])
def test_a_decided_request_never_moves_again(officer, verifier, resident, final, target):
    ending = _request(resident, officer)
    ResidenceEnding.objects.filter(pk=ending.pk).update(
        status=final, decided_by=verifier, decision_reason="Decided"
    )

    with pytest.raises(IllegalTransition):
        if target == Status.APPROVED:
            endings.ending_approve(ending=ending, actor=verifier)
        elif target == Status.REFUSED:
            endings.ending_refuse(ending=ending, actor=verifier, reason="Again")
        else:
            endings.ending_withdraw(ending=ending, actor=officer)

    ending.refresh_from_db()
    assert ending.status == final


def test_the_transition_table_allows_only_decisions_of_an_open_request():
    assert {
        Status.REQUESTED: {Status.APPROVED, Status.REFUSED, Status.WITHDRAWN},
        Status.APPROVED: set(),
        Status.REFUSED: set(),
        Status.WITHDRAWN: set(),
    } == ResidenceEnding.TRANSITIONS


def test_an_ended_residence_cannot_be_ended_again_nor_carded(officer, verifier, clerk):
    resident, _card = _carded(officer, clerk)
    endings.ending_approve(ending=_request(resident, officer), actor=verifier)

    with pytest.raises(IllegalTransition):
        _request(resident, officer)
    with pytest.raises(card_services.CardRefused):
        card_services.card_issue(declaration=resident.declarations.get(), actor=clerk)

    assert ResidenceCard.objects.filter(resident=resident).count() == 1


# --- Counts ----------------------------------------------------------------------------------
def test_an_ended_resident_leaves_the_counts_of_current_residents(officer, verifier, clerk):
    resident, _card = _carded(officer, clerk)
    make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    province_services.province_summary_refresh()
    before = ProvinceSummary.objects.get(province_id=officer.province_id)
    assert (before.residents, before.acknowledged) == (2, 2)

    endings.ending_approve(ending=_request(resident, officer), actor=verifier)
    province_services.province_summary_refresh()

    after = ProvinceSummary.objects.get(province_id=officer.province_id)
    assert (after.residents, after.acknowledged, after.cards_issued) == (1, 1, 0)
    live = province_services.live_province_figures()[officer.province_id]
    assert (live["residents"], live["acknowledged"]) == (1, 1)
    counts = {reason: n for reason, _label, n in endings.ended_counts_for(user=verifier)}
    assert counts == {"departure": 1, "death": 0, "loss_of_status": 0, "naturalisation": 0}


def test_lists_and_queues_leave_out_ended_residents_by_default(officer, officer2, verifier):
    leaving = make_resident(maker=officer2, status=Declaration.Status.SUBMITTED)
    staying = make_resident(maker=officer2, status=Declaration.Status.SUBMITTED)
    endings.ending_approve(ending=_request(leaving, officer), actor=verifier)

    default = selectors.resident_list_for(user=verifier, filters=selectors.ResidentFilters())
    ended = selectors.resident_list_for(
        user=verifier, filters=selectors.ResidentFilters(residence="ended")
    )
    queue = selectors.verification_candidates_for(user=verifier, filters=selectors.QueueFilters())

    assert [r.pk for r in default.items] == [staying.pk]
    assert [r.pk for r in ended.items] == [leaving.pk]
    assert [d.resident_id for d in queue] == [staying.pk]


def test_ended_counts_answer_in_one_query(verifier, django_assert_num_queries):
    with django_assert_num_queries(1):
        endings.ended_counts_for(user=verifier)


# --- History ---------------------------------------------------------------------------------
def test_history_shows_request_decision_and_the_end_of_residence(officer, verifier, resident):
    ending = _request(resident, officer)
    endings.ending_approve(ending=ending, actor=verifier)

    history = history_view.resident_history_for(resident=resident)
    actions = [(e.who, e.action) for e in history]

    assert (str(officer), "End of residence requested") in actions
    assert (str(verifier), "End of residence approved") in actions
    changed = [e for e in history if e.action == "Resident changed"][-1]
    assert {(c.field, c.after) for c in changed.changes} >= {
        ("residence ended on", "30-11-2026"),
        ("reason residence ended", "Departure from Cambodia"),
    }


# --- Views -----------------------------------------------------------------------------------
def test_officer_requests_through_the_form_with_an_evidence_file(officer_client, resident):
    response = officer_client.post(
        reverse("residents:ending-request", args=[resident.pk]),
        {
            "reason": "naturalisation",
            "ended_on": "01-11-2026",
            "notes": "",
            "evidence": SimpleUploadedFile("decree.pdf", pdf_bytes(), "application/pdf"),
        },
    )

    assert response.status_code == 302
    ending = ResidenceEnding.objects.get()
    assert (ending.reason, ending.ended_on) == ("naturalisation", dt.date(2026, 11, 1))


def test_a_request_without_a_valid_document_is_refused_and_nothing_saved(officer_client, resident):
    response = officer_client.post(
        reverse("residents:ending-request", args=[resident.pk]),
        {
            "reason": "departure",
            "ended_on": "01-11-2026",
            "evidence": SimpleUploadedFile("exit.pdf", b"not a pdf", "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["evidence"]
    assert ResidenceEnding.objects.count() == 0


def test_verifier_approves_on_the_request_page(officer, verifier_client, resident):
    ending = _request(resident, officer)
    page = verifier_client.get(reverse("residents:ending-detail", args=[ending.pk]))
    assert page.status_code == 200
    assert page.context["form"] is not None

    response = verifier_client.post(
        reverse("residents:ending-decide", args=[ending.pk]), {"action": "approve"}
    )

    assert response.status_code == 302
    ending.refresh_from_db()
    assert ending.status == Status.APPROVED


def test_refusing_without_a_reason_on_the_page_changes_nothing(officer, verifier_client, resident):
    ending = _request(resident, officer)

    verifier_client.post(reverse("residents:ending-decide", args=[ending.pk]), {"action": "refuse"})

    ending.refresh_from_db()
    assert ending.status == Status.REQUESTED


def test_the_queue_lists_open_requests_of_the_verifiers_province(
    officer, other_officer, verifier_client, resident, other_resident
):
    mine = _request(resident, officer)
    _request(other_resident, other_officer)

    response = verifier_client.get(reverse("residents:ending-queue"))

    assert response.status_code == 200
    assert [e.pk for e in response.context["endings"]] == [mine.pk]


def test_another_provinces_user_gets_404_for_a_request(officer, resident, other_officer):
    ending = _request(resident, officer)
    client = client_for(other_officer)
    other_verifier = client_for(UserFactory(role="verifier", province_id="17"))

    assert client.get(reverse("residents:ending-detail", args=[ending.pk])).status_code == 404
    assert client.get(reverse("residents:ending-evidence", args=[ending.pk])).status_code == 404
    assert (
        other_verifier.post(
            reverse("residents:ending-decide", args=[ending.pk]), {"action": "approve"}
        ).status_code
        == 404
    )
    assert client.get(reverse("residents:ending-request", args=[resident.pk])).status_code == 404
    ending.refresh_from_db()
    assert ending.status == Status.REQUESTED


def test_anonymous_visitors_are_sent_to_sign_in(client, officer, resident):
    ending = _request(resident, officer)
    for url in (
        reverse("residents:ending-request", args=[resident.pk]),
        reverse("residents:ending-detail", args=[ending.pk]),
        reverse("residents:ending-queue"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_an_officer_may_not_decide(officer, officer2, resident):
    ending = _request(resident, officer)

    response = client_for(officer2).post(
        reverse("residents:ending-decide", args=[ending.pk]), {"action": "approve"}
    )

    assert response.status_code == 403
    ending.refresh_from_db()
    assert ending.status == Status.REQUESTED


def test_a_closed_records_declaration_is_neither_verified_nor_acknowledged(
    officer, verifier, director
):
    from residents import services as resident_services

    submitted = make_resident(maker=officer, surname="ENDED").declarations.get()
    verified = make_resident(
        maker=officer, surname="GONE", status=Declaration.Status.VERIFIED
    ).declarations.get()
    Resident.objects.filter(pk__in=[submitted.resident_id, verified.resident_id]).update(
        residence_ended_on=dt.date(2026, 11, 1), residence_end_reason="departure"
    )

    with pytest.raises(resident_services.IllegalTransition, match="record is closed"):
        resident_services.declaration_verify(declaration=submitted, actor=verifier)
    with pytest.raises(resident_services.IllegalTransition, match="record is closed"):
        resident_services.declaration_acknowledge(declaration=verified, actor=director)

    statuses = dict(Declaration.objects.values_list("pk", "status"))
    assert (statuses[submitted.pk], statuses[verified.pk]) == ("submitted", "verified")
