"""Screens of corrections and new passports: the access trio, and what each page does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cards import services as card_services
from cards.models import ResidenceCard
from residents import corrections
from residents.models import Correction, Declaration, Resident, TravelDocument
from tests.conftest import client_for
from tests.residents.conftest import make_resident, pdf_bytes, resident_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(officer) -> Resident:
    return make_resident(
        maker=officer,
        status=Declaration.Status.ACKNOWLEDGED,
        surname="WANG",
        given_names="LI NA",
        number="E55555555",
    )


@pytest.fixture
def correction(settled, officer) -> Correction:
    from django.core.files.base import ContentFile

    return corrections.correction_request(
        resident=settled,
        actor=officer,
        version=settled.version,
        fields={"surname": "WONG"},
        reason="Misspelt",
        evidence=ContentFile(pdf_bytes(), name="proof.pdf"),
        evidence_type="application/pdf",
        evidence_name="proof.pdf",
    )


def correction_post(resident: Resident, **overrides) -> dict:
    data = resident_post_data(
        surname="WONG",
        given_names=resident.given_names,
        name_native="",
        sex=resident.sex,
        date_of_birth=resident.date_of_birth.strftime("%d-%m-%Y"),
        nationality=resident.nationality.code,
        place_of_birth=resident.place_of_birth,
        phone=resident.phone,
        occupation=resident.occupation,
        employer=resident.employer,
        arrival_date="",
        address_province=resident.address_province_id,
        address_district=resident.address_district_id,
        address_commune=resident.address_commune_id,
        address_village=resident.address_village,
        address_street=resident.address_street,
        version=str(resident.version),
        reason="The passport reads WONG",
        evidence=SimpleUploadedFile("proof.pdf", pdf_bytes(), content_type="application/pdf"),
    )
    data.update(overrides)
    return data


# --- Asking ----------------------------------------------------------------------------------
def test_editing_an_acknowledged_record_leads_to_the_correction_form(officer_client, settled):
    response = officer_client.get(reverse("residents:edit", args=[settled.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("residents:correction-create", args=[settled.pk])


def test_an_officer_asks_for_a_correction_from_the_form(officer_client, settled):
    response = officer_client.post(
        reverse("residents:correction-create", args=[settled.pk]), correction_post(settled)
    )

    correction = Correction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("residents:correction-detail", args=[correction.pk])
    assert correction.changes == {"surname": ["WANG", "WONG"]}
    settled.refresh_from_db()
    assert settled.surname == "WANG"


def test_a_correction_without_evidence_keeps_the_form_and_asks_nothing(officer_client, settled):
    data = correction_post(settled)
    del data["evidence"]

    response = officer_client.post(reverse("residents:correction-create", args=[settled.pk]), data)

    assert response.status_code == 200
    assert "evidence" in response.context["form"].errors
    assert not Correction.objects.exists()


def test_another_provinces_officer_cannot_open_the_correction_form(other_officer_client, settled):
    response = other_officer_client.get(reverse("residents:correction-create", args=[settled.pk]))

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_correction_form(client, settled):
    response = client.get(reverse("residents:correction-create", args=[settled.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Reading and deciding --------------------------------------------------------------------
def test_a_verifier_sees_the_correction_and_approves_it(verifier_client, correction, settled):
    page = verifier_client.get(reverse("residents:correction-detail", args=[correction.pk]))
    queue = verifier_client.get(reverse("residents:correction-queue"))

    response = verifier_client.post(
        reverse("residents:correction-decide", args=[correction.pk]), {"decision": "approve"}
    )

    assert page.status_code == 200
    assert b'data-testid="decision-form"' in page.content
    assert [c.pk for c in queue.context["corrections"]] == [correction.pk]
    assert response.status_code == 302
    correction.refresh_from_db()
    settled.refresh_from_db()
    assert correction.status == Correction.Status.APPROVED
    assert settled.surname == "WONG"


def test_refusing_without_a_reason_says_why_and_changes_nothing(verifier_client, correction):
    response = verifier_client.post(
        reverse("residents:correction-decide", args=[correction.pk]),
        {"decision": "refuse", "reason": ""},
        follow=True,
    )

    assert "Give the reason" in response.content.decode()
    correction.refresh_from_db()
    assert correction.status == Correction.Status.REQUESTED


def test_the_officer_who_asked_sees_the_correction_but_cannot_decide(officer_client, correction):
    page = officer_client.get(reverse("residents:correction-detail", args=[correction.pk]))
    response = officer_client.post(
        reverse("residents:correction-decide", args=[correction.pk]), {"decision": "approve"}
    )

    assert page.status_code == 200
    assert b'data-testid="decision-form"' not in page.content
    assert response.status_code == 403
    correction.refresh_from_db()
    assert correction.status == Correction.Status.REQUESTED


@pytest.mark.parametrize("name", ["correction-detail", "correction-evidence", "correction-decide"])
def test_another_provinces_verifier_finds_no_correction(other_verifier, correction, name):
    client = client_for(other_verifier)

    response = (
        client.post(reverse(f"residents:{name}", args=[correction.pk]), {"decision": "approve"})
        if name == "correction-decide"
        else client.get(reverse(f"residents:{name}", args=[correction.pk]))
    )

    assert response.status_code == 404
    correction.refresh_from_db()
    assert correction.status == Correction.Status.REQUESTED


@pytest.mark.parametrize("name", ["correction-detail", "correction-evidence", "correction-decide"])
def test_an_anonymous_visitor_is_sent_to_sign_in_from_a_correction(client, correction, name):
    response = client.get(reverse(f"residents:{name}", args=[correction.pk]))

    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_the_evidence_is_downloaded_after_the_access_check_and_recorded(
    verifier_client, correction
):
    from audit.models import AuditEvent

    response = verifier_client.get(reverse("residents:correction-evidence", args=[correction.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DOCUMENT_VIEWED, object_id=str(correction.pk)
    ).exists()


def test_the_resident_page_lists_the_corrections_and_offers_a_correction_not_an_edit(
    officer_client, correction, settled
):
    content = officer_client.get(reverse("residents:detail", args=[settled.pk])).content.decode()

    assert 'data-testid="ask-correction"' in content
    assert 'data-testid="correction-row"' in content
    assert reverse("residents:edit", args=[settled.pk]) not in content


def test_approving_at_the_screen_names_the_replacement_card(
    verifier_client, correction, settled, clerk
):
    card = card_services.card_issue(declaration=settled.declarations.get(), actor=clerk)
    ResidenceCard.objects.filter(pk=card.pk).update(status=ResidenceCard.Status.PRINTED)

    response = verifier_client.post(
        reverse("residents:correction-decide", args=[correction.pk]),
        {"decision": "approve"},
        follow=True,
    )

    new = ResidenceCard.objects.get(replaces=card)
    assert f"Card {card.number} is replaced by card {new.number}" in response.content.decode()


# --- New passport ----------------------------------------------------------------------------
def passport_post(**overrides) -> dict:
    return {
        "number": "EN 765-4321",
        "issuing_country": "CN",
        "issue_date": "01-02-2027",
        "expiry_date": "31-01-2037",
        **overrides,
    }


def test_an_officer_records_a_new_passport_and_the_old_one_is_kept(officer_client, settled):
    old = settled.documents.get()

    response = officer_client.post(
        reverse("residents:passport-create", args=[settled.pk]), passport_post()
    )

    assert response.status_code == 302
    documents = list(settled.documents.order_by("id").values_list("pk", "is_current"))
    new = settled.documents.get(is_current=True)
    assert documents == [(old.pk, False), (new.pk, True)]
    assert new.number == "EN7654321"
    assert new.expiry_date == dt.date(2037, 1, 31)
    page = officer_client.get(reverse("residents:detail", args=[settled.pk])).content.decode()
    assert page.count('data-testid="passport-row"') == 2


def test_a_passport_already_recorded_for_another_resident_is_refused(
    officer_client, settled, officer
):
    make_resident(maker=officer, number="EN7654321")

    response = officer_client.post(
        reverse("residents:passport-create", args=[settled.pk]), passport_post()
    )

    assert response.status_code == 200
    assert "already recorded" in str(response.context["form"].errors["number"])
    assert list(settled.documents.values_list("is_current", flat=True)) == [True]


def test_another_provinces_officer_cannot_record_a_passport(other_officer_client, settled):
    response = other_officer_client.post(
        reverse("residents:passport-create", args=[settled.pk]), passport_post()
    )

    assert response.status_code == 404
    assert TravelDocument.objects.filter(resident=settled).count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_passport_form(client, settled):
    response = client.get(reverse("residents:passport-create", args=[settled.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_queue_lists_the_provinces_own_open_corrections_in_a_fixed_number_of_queries(
    verifier_client, other_verifier, officer, django_assert_num_queries
):
    from django.core.files.base import ContentFile

    def asked(n: int) -> Correction:
        resident = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
        return corrections.correction_request(
            resident=resident,
            actor=officer,
            version=resident.version,
            fields={"surname": f"NEW{n}", "address_commune": resident.address_commune},
            reason="Misspelt",
            evidence=ContentFile(pdf_bytes(), name="proof.pdf"),
            evidence_type="application/pdf",
            evidence_name="proof.pdf",
        )

    first = asked(0)
    verifier_client.get(reverse("residents:correction-queue"))
    with CaptureQueriesContext(connection) as one:
        verifier_client.get(reverse("residents:correction-queue"))
    more = [first] + [asked(n) for n in range(1, 5)]

    with django_assert_num_queries(len(one.captured_queries)):
        response = verifier_client.get(reverse("residents:correction-queue"))
    elsewhere = client_for(other_verifier).get(reverse("residents:correction-queue"))

    assert [c.pk for c in response.context["corrections"]] == [c.pk for c in more]
    assert elsewhere.context["corrections"] == []


def test_an_officer_may_not_open_the_queue_and_an_anonymous_visitor_is_sent_to_sign_in(
    officer_client, client
):
    assert officer_client.get(reverse("residents:correction-queue")).status_code == 403
    anonymous = client.get(reverse("residents:correction-queue"))
    assert anonymous["Location"].startswith("/accounts/login/")
