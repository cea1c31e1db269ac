"""Corrections after acknowledgement: asked by an officer, decided by another verifier."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from cards import services as card_services
from cards.models import CardEvent, PrintRun, ResidenceCard
from residents import corrections, history_view, services
from residents.models import Correction, Declaration, Resident
from tests.residents.conftest import make_resident, pdf_bytes

pytestmark = pytest.mark.django_db

Status = Correction.Status
Action = AuditEvent.Action


def evidence() -> ContentFile:
    return ContentFile(pdf_bytes(), name="birth-certificate.pdf")


def ask(resident: Resident, actor, **fields) -> Correction:
    resident.refresh_from_db()
    return corrections.correction_request(
        resident=resident,
        actor=actor,
        version=resident.version,
        fields=fields,
        reason="Misspelt at entry; the passport reads otherwise",
        evidence=evidence(),
        evidence_type="application/pdf",
        evidence_name="birth-certificate.pdf",
    )


@pytest.fixture
def settled(officer) -> Resident:
    """An acknowledged Phnom Penh resident, not carded yet."""
    return make_resident(
        maker=officer, status=Declaration.Status.ACKNOWLEDGED, surname="WANG", given_names="LI NA"
    )


@pytest.fixture
def carded(settled, clerk) -> ResidenceCard:
    """The resident's card, printed and handed over."""
    card = card_services.card_issue(
        declaration=settled.declarations.get(), actor=clerk, issue_date=dt.date(2026, 1, 10)
    )
    ResidenceCard.objects.filter(pk=card.pk).update(status=ResidenceCard.Status.ACTIVE)
    card.refresh_from_db()
    return card


def test_an_officer_asks_for_a_correction_and_nothing_changes_until_it_is_decided(settled, officer):
    correction = ask(settled, officer, surname="wong", given_names="LI NA")

    settled.refresh_from_db()
    assert settled.surname == "WANG"
    assert settled.version == 1
    assert correction.status == Status.REQUESTED
    assert correction.changes == {"surname": ["WANG", "WONG"]}
    assert correction.requested_by == officer
    assert correction.evidence_name == "birth-certificate.pdf"
    event = AuditEvent.objects.get(action=Action.CORRECTION_REQUESTED)
    assert (event.user, event.detail) == (officer, {"resident": settled.pk, "fields": ["surname"]})


def test_an_acknowledged_record_no_longer_saves_an_edit_directly(settled, officer):
    with pytest.raises(services.NotAllowed, match="ask for a correction"):
        services.resident_update(
            resident=settled, actor=officer, version=settled.version, fields={"surname": "WONG"}
        )

    settled.refresh_from_db()
    assert (settled.surname, settled.version) == ("WANG", 1)
    assert not AuditEvent.objects.filter(action=Action.RESIDENT_CHANGED).exists()


def test_a_record_not_yet_acknowledged_is_edited_directly_not_corrected(officer):
    resident = make_resident(maker=officer, status=Declaration.Status.SUBMITTED)

    with pytest.raises(services.NotAllowed, match="edit it directly"):
        ask(resident, officer, surname="OTHER")

    assert not Correction.objects.exists()


def test_a_correction_that_changes_nothing_is_refused(settled, officer):
    with pytest.raises(services.ResidentsError, match="nothing differs"):
        ask(settled, officer, surname="wang")

    assert not Correction.objects.exists()


def test_a_second_correction_waits_for_the_first_to_be_decided(settled, officer):
    ask(settled, officer, surname="WONG")

    with pytest.raises(services.NotAllowed, match="already waits"):
        ask(settled, officer, phone="+855 12 000 111")

    assert Correction.objects.count() == 1


def test_approving_a_name_correction_replaces_the_printed_card_with_the_same_expiry(
    carded, settled, officer, verifier
):
    correction = ask(settled, officer, surname="WONG")
    today = dt.date(2026, 12, 3)

    decided = corrections.correction_approve(correction=correction, actor=verifier, today=today)

    settled.refresh_from_db()
    carded.refresh_from_db()
    new = ResidenceCard.objects.get(replaces=carded)
    assert settled.surname == "WONG"
    assert settled.version == 2
    assert carded.status == ResidenceCard.Status.REPLACED
    assert carded.validity_on(today) == ResidenceCard.Validity.REPLACED
    assert carded.status_reason == "Correction: Misspelt at entry; the passport reads otherwise"
    assert (new.status, new.issue_date, new.expiry_date) == (
        ResidenceCard.Status.ISSUED,
        today,
        carded.expiry_date,
    )
    assert list(ResidenceCard.objects.current().filter(resident=settled)) == [new]
    assert (decided.status, decided.decided_by) == (Status.APPROVED, verifier)
    assert (decided.replaced_card, decided.new_card) == (carded.number, new.number)
    replaced = carded.events.get(kind=CardEvent.Kind.REPLACED)
    assert replaced.data == {"correction": correction.pk, "new_card": new.number}
    assert replaced.actor == verifier
    event = AuditEvent.objects.get(action=Action.CORRECTION_APPROVED)
    assert event.detail == {
        "resident": settled.pk,
        "fields": ["surname"],
        "replaced_card": carded.number,
        "new_card": new.number,
    }


def test_the_replacement_card_is_printed_as_a_reprint_with_the_corrections_reason(
    carded, settled, officer, verifier, clerk
):
    correction = ask(settled, officer, date_of_birth=dt.date(1980, 5, 18))
    corrections.correction_approve(correction=correction, actor=verifier)
    new = ResidenceCard.objects.get(replaces=carded)

    run = card_services.print_run_create(
        actor=clerk, selection=PrintRun.Selection.PICKED, card_ids=[new.pk]
    )

    assert list(run.entries.values_list("card_id", "reprint_reason")) == [
        (new.pk, "Correction: Misspelt at entry; the passport reads otherwise")
    ]


def test_a_correction_of_what_the_card_does_not_print_keeps_the_card(
    carded, settled, officer, verifier
):
    correction = ask(settled, officer, phone="+855 12 000 111")

    decided = corrections.correction_approve(correction=correction, actor=verifier)

    carded.refresh_from_db()
    settled.refresh_from_db()
    assert settled.phone == "+855 12 000 111"
    assert carded.status == ResidenceCard.Status.ACTIVE
    assert ResidenceCard.objects.filter(resident=settled).count() == 1
    assert (decided.replaced_card, decided.new_card) == ("", "")


def test_a_card_not_printed_yet_is_kept_and_prints_the_corrected_record(
    settled, officer, verifier, clerk
):
    card = card_services.card_issue(declaration=settled.declarations.get(), actor=clerk)
    correction = ask(settled, officer, surname="WONG")

    corrections.correction_approve(correction=correction, actor=verifier)

    card.refresh_from_db()
    assert card.status == ResidenceCard.Status.ISSUED
    assert ResidenceCard.objects.filter(resident=settled).count() == 1


def test_refusing_a_correction_needs_a_reason_and_leaves_the_record(
    carded, settled, officer, verifier
):
    correction = ask(settled, officer, surname="WONG")

    with pytest.raises(services.ResidentsError, match="reason"):
        corrections.correction_refuse(correction=correction, actor=verifier, reason="  ")
    correction.refresh_from_db()
    assert correction.status == Status.REQUESTED

    corrections.correction_refuse(
        correction=correction, actor=verifier, reason="The evidence shows WANG"
    )

    correction.refresh_from_db()
    settled.refresh_from_db()
    carded.refresh_from_db()
    assert (correction.status, correction.decision_reason) == (
        Status.REFUSED,
        "The evidence shows WANG",
    )
    assert settled.surname == "WANG"
    assert carded.status == ResidenceCard.Status.ACTIVE
    assert AuditEvent.objects.filter(action=Action.CORRECTION_REFUSED).count() == 1


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("approve", "approve"),
        ("approve", "refuse"),
        ("refuse", "approve"),
        ("refuse", "refuse"),
    ],
)
def test_a_decided_correction_cannot_be_decided_again(settled, officer, verifier, first, then):
    correction = ask(settled, officer, phone="+855 12 000 111")
    decide = {
        "approve": lambda: corrections.correction_approve(correction=correction, actor=verifier),
        "refuse": lambda: corrections.correction_refuse(
            correction=correction, actor=verifier, reason="No evidence"
        ),
    }
    decide[first]()
    correction.refresh_from_db()
    before = (correction.status, correction.decided_at, correction.decision_reason)
    settled.refresh_from_db()
    version = settled.version

    with pytest.raises(services.IllegalTransition, match="cannot become"):
        decide[then]()

    correction.refresh_from_db()
    settled.refresh_from_db()
    assert (correction.status, correction.decided_at, correction.decision_reason) == before
    assert settled.version == version


def test_the_transition_table_allows_only_a_decision_on_a_requested_correction():
    assert {
        Status.REQUESTED: frozenset({Status.APPROVED, Status.REFUSED}),
        Status.APPROVED: frozenset(),
        Status.REFUSED: frozenset(),
    } == Correction.TRANSITIONS


def test_an_officer_or_another_provinces_verifier_cannot_decide(
    settled, officer, officer2, other_verifier
):
    correction = ask(settled, officer, surname="WONG")

    for actor in (officer, officer2, other_verifier):
        with pytest.raises(services.NotAllowed):
            corrections.correction_approve(correction=correction, actor=actor)

    correction.refresh_from_db()
    settled.refresh_from_db()
    assert correction.status == Status.REQUESTED
    assert settled.surname == "WANG"


def test_the_database_refuses_a_correction_decided_by_whoever_asked(settled, officer):
    correction = ask(settled, officer, surname="WONG")

    with pytest.raises(IntegrityError), transaction.atomic():
        Correction.objects.filter(pk=correction.pk).update(
            status=Status.APPROVED, decided_by=officer
        )


def test_the_history_shows_the_request_the_decision_and_its_effect(
    carded, settled, officer, verifier
):
    correction = ask(settled, officer, surname="WONG")
    corrections.correction_approve(correction=correction, actor=verifier)

    entries = history_view.resident_history_for(resident=settled)

    requested = next(e for e in entries if e.action == "Correction requested")
    assert requested.who == str(officer)
    assert requested.reason == "Misspelt at entry; the passport reads otherwise"
    assert [(c.field, c.before, c.after) for c in requested.changes] == [
        ("surname", "WANG", "WONG")
    ]
    approved = next(e for e in entries if e.action == "Correction approved")
    assert {c.field: c.after for c in approved.changes}.items() >= {
        "card replaced": carded.number,
        "new card": ResidenceCard.objects.get(replaces=carded).number,
        "decided by": str(verifier),
    }.items()
    changed = next(e for e in entries if e.action == "Resident changed")
    assert [(c.field, c.before, c.after) for c in changed.changes] == [("surname", "WANG", "WONG")]
