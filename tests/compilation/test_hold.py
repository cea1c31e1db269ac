"""A signed-off list holds: nothing in the province changes or is imported until HQ reopens it."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from compilation import hold
from compilation import services as province_services
from compilation.models import ProvinceCompilation, ProvinceListEvent
from imports import services as import_services
from imports.models import ImportBatch
from provinces.models import Province
from residents import services as resident_services
from residents.models import Declaration, Resident
from tests.conftest import client_for
from tests.factories import DeclarationFactory, ResidentFactory
from tests.imports.conftest import csv_bytes, person, upload
from tests.residents.conftest import create_input

pytestmark = pytest.mark.django_db

Status = ProvinceCompilation.Status


@pytest.fixture
def phnom_penh(geo) -> Province:
    return Province.objects.get(code="12")


@pytest.fixture
def record(officer) -> Declaration:
    """A Phnom Penh resident with a submitted declaration, entered by the officer."""
    resident = ResidentFactory(province_id="12", created_by=officer, surname="CHEN")
    return DeclarationFactory(resident=resident, created_by=officer, status="submitted")


def signed_off(province: Province, director) -> ProvinceCompilation:
    return province_services.province_list_sign_off(
        province=province, actor=director, override_reason="HQ closes the list for the audit"
    )


def state_of(declaration: Declaration) -> tuple[object, ...]:
    resident = Resident.objects.get(pk=declaration.resident_id)
    d = Declaration.objects.get(pk=declaration.pk)
    return (
        resident.surname, resident.version, resident.updated_at,
        d.status, d.version, d.updated_at, d.notes, d.documents.count(),
    )  # fmt: skip


def test_an_officer_cannot_edit_a_resident_of_a_signed_off_list_and_nothing_changes(
    record, officer, director, phnom_penh
):
    signed_off(phnom_penh, director)
    before = state_of(record)

    with pytest.raises(resident_services.ListHeld) as refusal:
        resident_services.resident_update(
            resident=record.resident, actor=officer, version=1, fields={"surname": "CHAN"}
        )

    assert str(refusal.value.message) == str(hold.HELD_MESSAGE)
    assert state_of(record) == before


def test_declaration_edit_submit_and_documents_are_refused_in_a_signed_off_province(
    record, officer, director, phnom_penh
):
    Declaration.objects.filter(pk=record.pk).update(status="draft")
    signed_off(phnom_penh, director)
    before = state_of(record)
    data = resident_services.DeclarationInput(
        declared_on=dt.date(2026, 11, 2), basis=record.basis, notes="changed"
    )

    with pytest.raises(resident_services.ListHeld):
        resident_services.declaration_update(
            declaration=record, actor=officer, version=record.version, data=data
        )
    with pytest.raises(resident_services.ListHeld):
        resident_services.declaration_submit(declaration=record, actor=officer)
    with pytest.raises(resident_services.ListHeld):
        resident_services.document_add(
            declaration=record, actor=officer, file=ContentFile(b"%PDF-1.4", name="p.pdf"),
            content_type="application/pdf", name="p.pdf",
        )  # fmt: skip

    assert state_of(record) == before


def test_no_resident_can_be_entered_into_a_signed_off_province(officer, director, phnom_penh):
    signed_off(phnom_penh, director)

    with pytest.raises(resident_services.ListHeld):
        resident_services.resident_create(**create_input(officer), submit=True)

    assert Resident.objects.count() == 0


def test_a_verifier_cannot_decide_a_record_of_a_signed_off_list(
    record, verifier, director, phnom_penh
):
    signed_off(phnom_penh, director)
    before = state_of(record)

    with pytest.raises(resident_services.ListHeld):
        resident_services.declaration_verify(declaration=record, actor=verifier)
    with pytest.raises(resident_services.ListHeld):
        resident_services.declaration_return(declaration=record, actor=verifier, reason="Blurred")

    assert state_of(record) == before


def test_another_province_is_not_held_by_phnom_penh_s_sign_off(other_officer, director, phnom_penh):
    signed_off(phnom_penh, director)

    assert hold.province_list_held("12") is True
    assert hold.province_list_held("17") is False
    created = resident_services.resident_create(**create_input(other_officer))  # no refusal
    assert created.province_id == "17"


def test_hq_reopens_with_a_reason_and_the_records_can_be_edited_again(
    record, officer, director, phnom_penh
):
    signed_off(phnom_penh, director)

    compilation = province_services.province_list_reopen(
        province=phnom_penh, actor=director, reason="A family of three was left out"
    )
    resident = resident_services.resident_update(
        resident=record.resident, actor=officer, version=1, fields={"surname": "CHAN"}
    )

    assert (compilation.status, compilation.reopened_by, compilation.reopen_reason) == (
        Status.REOPENED, director, "A family of three was left out",
    )  # fmt: skip
    assert resident.surname == "CHAN"
    event = ProvinceListEvent.objects.filter(kind="reopened").get()
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        director, "finished", "reopened", "A family of three was left out",
    )  # fmt: skip
    audit = AuditEvent.objects.get(action=AuditEvent.Action.PROVINCE_LIST_REOPENED)
    assert (audit.user, audit.object_id) == (director, "12")
    assert audit.detail == {
        "from": "finished", "to": "reopened", "reason": "A family of three was left out",
    }  # fmt: skip


def test_a_reopened_list_goes_back_to_hq_by_being_submitted_again(director, verifier, phnom_penh):
    signed_off(phnom_penh, director)
    province_services.province_list_reopen(province=phnom_penh, actor=director, reason="Recount")

    compilation = province_services.province_list_submit(province=phnom_penh, actor=verifier)

    assert compilation.status == Status.SUBMITTED


def test_reopening_needs_a_reason_and_nothing_changes(director, phnom_penh):
    signed_off(phnom_penh, director)

    with pytest.raises(province_services.ProvinceListError) as refusal:
        province_services.province_list_reopen(province=phnom_penh, actor=director, reason="  ")

    assert refusal.value.message == "Give the reason for reopening the list."
    assert ProvinceCompilation.objects.get(pk="12").status == Status.FINISHED
    assert not ProvinceListEvent.objects.filter(kind="reopened").exists()


@pytest.mark.parametrize("status", ["in_progress", "submitted", "under_review", "returned"])
def test_only_a_signed_off_list_can_be_reopened(director, phnom_penh, status):
    ProvinceCompilation.objects.create(province=phnom_penh, status=status, return_reason="x")

    with pytest.raises(province_services.ProvinceListError) as refusal:
        province_services.province_list_reopen(province=phnom_penh, actor=director, reason="Why")

    assert refusal.value.message.startswith("Only a signed-off list can be reopened")
    assert ProvinceCompilation.objects.get(pk="12").status == status
    assert not ProvinceListEvent.objects.exists()


def test_a_signed_off_list_is_not_returned_but_reopened(director, phnom_penh):
    signed_off(phnom_penh, director)

    with pytest.raises(province_services.ProvinceListError) as refusal:
        province_services.province_list_return(province=phnom_penh, actor=director, reason="No")

    assert refusal.value.message == "The list cannot be returned: it is finished."
    assert ProvinceCompilation.objects.get(pk="12").status == Status.FINISHED


def test_only_hq_reopens_a_list(director, verifier, phnom_penh):
    signed_off(phnom_penh, director)

    with pytest.raises(PermissionDenied):
        province_services.province_list_reopen(province=phnom_penh, actor=verifier, reason="Me")

    assert ProvinceCompilation.objects.get(pk="12").status == Status.FINISHED


def test_the_transition_table_names_the_reopening():
    table = ProvinceCompilation.TRANSITIONS
    assert table[Status.FINISHED] == frozenset({Status.REOPENED})
    assert table[Status.REOPENED] == frozenset({Status.SUBMITTED})


# --- Imports ------------------------------------------------------------------------------------


def test_a_file_cannot_be_uploaded_into_a_signed_off_province(officer, director, phnom_penh):
    signed_off(phnom_penh, director)

    with pytest.raises(ValidationError) as refusal:
        import_services.import_batch_create(
            actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1)]))
        )

    assert refusal.value.messages == [str(hold.HELD_MESSAGE)]
    assert ImportBatch.objects.count() == 0
    assert Resident.objects.count() == 0


def test_a_checked_file_cannot_be_committed_once_the_list_is_signed_off(
    officer, director, phnom_penh
):
    batch = import_services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1), person(2)]))
    )
    assert batch.status == "validated"
    signed_off(phnom_penh, director)

    with pytest.raises(ValidationError):
        import_services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert batch.status == "validated"
    assert Resident.objects.count() == 0


def test_a_commit_queued_before_the_sign_off_writes_nothing_and_says_why(
    officer, director, phnom_penh
):
    batch = import_services.import_batch_create(
        actor=officer, province=phnom_penh, upload=upload(csv_bytes([person(1), person(2)]))
    )
    ImportBatch.objects.filter(pk=batch.pk).update(status="commit_queued", committed_by=officer)
    signed_off(phnom_penh, director)

    import_services.import_commit(batch_id=batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.failure_code) == ("failed", "signed_off")
    assert Resident.objects.count() == 0


# --- Pages: the refusal in both languages ---------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "km"])
def test_a_refused_submit_shows_the_hold_in_the_reader_s_language(
    record, officer, director, phnom_penh, language
):
    Declaration.objects.filter(pk=record.pk).update(status="draft")
    signed_off(phnom_penh, director)
    before = state_of(record)
    client = client_for(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.post(reverse("residents:declaration-submit", args=[record.pk]), follow=True)

    with translation.override(language):
        expected = str(hold.HELD_MESSAGE)
    assert response.status_code == 200
    assert expected in html.unescape(response.content.decode())
    assert state_of(record) == before
    if language == "km":
        with translation.override("en"):
            assert expected != str(hold.HELD_MESSAGE)  # the Khmer text, not the English


@pytest.mark.parametrize("language", ["en", "km"])
def test_a_refused_upload_shows_the_hold_on_the_form(officer, director, phnom_penh, language):
    signed_off(phnom_penh, director)
    client = client_for(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.post(
        reverse("imports:batch-list"),
        {"province": "12", "file": upload(csv_bytes([person(1)]))},
    )

    with translation.override(language):
        expected = str(hold.HELD_MESSAGE)
    assert response.status_code == 400
    assert expected in html.unescape(response.content.decode())
    assert ImportBatch.objects.count() == 0


def test_the_director_reopens_from_the_province_page(director, director_client, phnom_penh):
    signed_off(phnom_penh, director)

    response = director_client.post(
        reverse("provinces:reopen", args=["12"]), {"reason": "Missing district"}, follow=True
    )

    assert response.status_code == 200
    assert "The province list is reopened" in response.content.decode()
    assert ProvinceCompilation.objects.get(pk="12").status == Status.REOPENED


def test_the_reopen_page_refuses_a_missing_reason_and_nothing_changes(
    director, director_client, phnom_penh
):
    signed_off(phnom_penh, director)

    response = director_client.post(
        reverse("provinces:reopen", args=["12"]), {"reason": ""}, follow=True
    )

    assert "Give the reason for reopening the list." in response.content.decode()
    assert ProvinceCompilation.objects.get(pk="12").status == Status.FINISHED


def test_a_verifier_of_the_province_may_not_reopen(director, verifier_client, phnom_penh):
    signed_off(phnom_penh, director)

    response = verifier_client.post(reverse("provinces:reopen", args=["12"]), {"reason": "x"})

    assert response.status_code == 403
    assert ProvinceCompilation.objects.get(pk="12").status == Status.FINISHED


def test_another_province_s_user_does_not_find_the_reopen(director, other_officer, phnom_penh):
    signed_off(phnom_penh, director)

    response = client_for(other_officer).post(
        reverse("provinces:reopen", args=["12"]), {"reason": "x"}
    )

    assert response.status_code == 404
    assert ProvinceCompilation.objects.get(pk="12").status == Status.FINISHED


def test_anonymous_is_sent_to_sign_in_by_the_reopen(client, director, phnom_penh):
    signed_off(phnom_penh, director)

    response = client.post(reverse("provinces:reopen", args=["12"]), {"reason": "x"})

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert ProvinceCompilation.objects.get(pk="12").status == Status.FINISHED


def test_a_verifier_may_still_open_a_held_record_but_not_decide_it(
    record, verifier_client, director, phnom_penh
):
    signed_off(phnom_penh, director)
    before = state_of(record)
    url = reverse("residents:review", args=[record.pk])

    opened = verifier_client.get(url)
    decided = verifier_client.post(
        url,
        {"action": "verify", "reason": "", "version": record.version,
         "resident_version": record.resident.version},
        follow=True,
    )  # fmt: skip

    assert opened.status_code == 200
    assert decided.status_code == 200
    assert str(hold.HELD_MESSAGE) in html.unescape(decided.content.decode())
    assert state_of(record) == before
