"""Every view of a record, photo or document, and every decision, is in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from audit.models import AuditEvent
from provinces.models import Province
from residents import services
from residents.models import Declaration, DeclarationDocument, LikelyDuplicate
from tests.factories import UserFactory
from tests.residents.conftest import create_input, make_resident
from tests.residents.test_views import jpeg_bytes

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action
Status = Declaration.Status


def events():
    """The events on records (not the accounts' own: users created by fixtures, sign-ins)."""
    return AuditEvent.objects.exclude(object_type="accounts.user").order_by("id")


def trail() -> list[tuple[str, str, str, str, dict]]:
    """(action, user name, object type, object id, detail) of those events, oldest first."""
    return [(e.action, e.username, e.object_type, e.object_id, e.detail) for e in events()]


# --- Residents -------------------------------------------------------------------------------
def test_entering_a_resident_records_one_creation_event(officer):
    resident = services.resident_create(**create_input(officer))

    declaration = resident.declarations.get()
    assert trail() == [
        (Action.RESIDENT_CREATED, "officer_pp", "residents.resident", str(resident.pk),
         {"declaration": declaration.pk, "photo": False}),
    ]  # fmt: skip
    event = events().get()
    assert (event.user, event.role, event.province_code) == (officer, "officer", "12")


def test_entering_and_submitting_records_the_creation_and_the_submission(officer):
    resident = services.resident_create(**create_input(officer), submit=True)

    declaration = resident.declarations.get()
    assert [row[:4] for row in trail()] == [
        (Action.RESIDENT_CREATED, "officer_pp", "residents.resident", str(resident.pk)),
        (Action.DECLARATION_SUBMITTED, "officer_pp", "residents.declaration", str(declaration.pk)),
    ]
    assert trail()[1][4] == {"resident": resident.pk}


def test_a_refused_duplicate_passport_leaves_no_audit_event(officer, resident):
    passport = services.PassportInput(number="E12345678", issuing_country="CN")

    with pytest.raises(services.DuplicatePassport):
        services.resident_create(**create_input(officer, passport=passport))

    assert trail() == []


def test_a_change_records_the_names_of_the_fields_never_the_passport_number(officer, resident):
    resident.declarations.update(status=Status.VERIFIED)
    declaration = resident.declarations.get()

    services.resident_update(
        resident=resident,
        actor=officer,
        version=resident.version,
        fields={"surname": "Wong", "phone": "+855 99 000 111"},
        passport=services.PassportInput(number="K99887766", issuing_country="CN"),
    )

    assert trail() == [
        (Action.RESIDENT_CHANGED, "officer_pp", "residents.resident", str(resident.pk),
         {"fields": ["passport", "phone", "surname"], "sent_back": [declaration.pk]}),
    ]  # fmt: skip
    event = events().get()
    assert "K99887766" not in f"{event.detail} {event.object_repr}"
    assert "E12345678" not in f"{event.detail} {event.object_repr}"


def test_an_edit_that_changes_nothing_records_nothing(officer, resident):
    services.resident_update(
        resident=resident, actor=officer, version=resident.version, fields={"surname": "WANG"}
    )

    assert trail() == []


def test_a_stale_edit_is_refused_and_leaves_no_audit_event(officer, resident):
    with pytest.raises(services.StaleVersion):
        services.resident_update(
            resident=resident, actor=officer, version=resident.version - 1, fields={"surname": "X"}
        )

    assert trail() == []


def test_an_edit_rolled_back_by_its_caller_leaves_no_audit_event(officer, resident):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.resident_update(
            resident=resident, actor=officer, version=resident.version, fields={"surname": "X"}
        )
        raise RuntimeError

    assert trail() == []
    resident.refresh_from_db()
    assert resident.surname == "WANG"


# --- Declarations ----------------------------------------------------------------------------
def test_submitting_a_draft_records_the_submission(officer):
    resident = make_resident(maker=officer, status=Status.DRAFT)
    declaration = resident.declarations.get()

    services.declaration_submit(declaration=declaration, actor=officer)

    assert trail() == [
        (Action.DECLARATION_SUBMITTED, "officer_pp", "residents.declaration", str(declaration.pk),
         {"resident": resident.pk}),
    ]  # fmt: skip


def test_submitting_an_already_submitted_declaration_is_refused_and_records_nothing(
    officer, declaration
):
    with pytest.raises(services.IllegalTransition):
        services.declaration_submit(declaration=declaration, actor=officer)

    assert trail() == []


@pytest.mark.parametrize(
    ("service", "kwargs", "action"),
    [
        ("declaration_verify", {}, Action.DECLARATION_VERIFIED),
        ("declaration_return", {"reason": "Photo unclear"}, Action.DECLARATION_RETURNED),
        ("declaration_reject", {"reason": "Not eligible"}, Action.DECLARATION_REJECTED),
    ],
)
def test_each_review_decision_records_one_event(verifier, declaration, service, kwargs, action):
    getattr(services, service)(declaration=declaration, actor=verifier, **kwargs)

    assert trail() == [
        (action, "verifier_pp", "residents.declaration", str(declaration.pk),
         {"resident": declaration.resident_id, "from": "submitted"}),
    ]  # fmt: skip


def test_a_review_by_another_province_or_by_the_maker_records_nothing(
    other_verifier, declaration, geo
):
    maker_verifier = UserFactory(username="maker_v", role="verifier", province_id="12")
    declaration.created_by = maker_verifier
    declaration.save()

    for actor in (other_verifier, maker_verifier):
        with pytest.raises(services.NotAllowed):
            services.declaration_verify(declaration=declaration, actor=actor)

    assert trail() == []
    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED


def test_acknowledging_one_declaration_records_it(director, officer):
    resident = make_resident(maker=officer, status=Status.VERIFIED)
    declaration = resident.declarations.get()

    services.declaration_acknowledge(declaration=declaration, actor=director)

    assert trail() == [
        (Action.DECLARATION_ACKNOWLEDGED, "director", "residents.declaration",
         str(declaration.pk), {"resident": resident.pk}),
    ]  # fmt: skip


def test_acknowledging_a_province_records_one_event_with_the_count(director, officer):
    for _n in range(3):
        make_resident(maker=officer, status=Status.VERIFIED)

    count = services.declaration_acknowledge_province(
        province=Province.objects.get(code="12"), actor=director
    )

    assert count == 3
    assert trail() == [
        (Action.DECLARATION_ACKNOWLEDGED, "director", "provinces.province", "12", {"count": 3}),
    ]


def test_an_acknowledgement_by_a_verifier_is_refused_and_records_nothing(verifier, officer):
    resident = make_resident(maker=officer, status=Status.VERIFIED)

    with pytest.raises(services.NotAllowed):
        services.declaration_acknowledge_province(
            province=Province.objects.get(code="12"), actor=verifier
        )
    with pytest.raises(services.NotAllowed):
        services.declaration_acknowledge(declaration=resident.declarations.get(), actor=verifier)

    assert trail() == []


# --- Duplicates ------------------------------------------------------------------------------
def test_a_confirmed_duplicate_records_the_decision_and_the_rejection(officer, officer2, verifier):
    existing = make_resident(
        maker=officer, surname="ZHANG", given_names="WEI MING", date_of_birth=dt.date(1975, 3, 12)
    )
    resident = services.resident_create(**create_input(officer2), submit=True)
    flag = resident.duplicate_flags.get()
    declaration = resident.declarations.get()
    before = events().count()

    services.duplicate_decide(flag=flag, actor=verifier, confirmed=True)

    assert trail()[before:] == [
        (Action.DUPLICATE_RESOLVED, "verifier_pp", "residents.likelyduplicate", str(flag.pk),
         {"decision": "confirmed", "resident": resident.pk, "other": existing.pk}),
        (Action.DECLARATION_REJECTED, "verifier_pp", "residents.declaration", str(declaration.pk),
         {"resident": resident.pk, "from": "submitted"}),
    ]  # fmt: skip


def test_deciding_a_decided_duplicate_again_is_refused_and_records_nothing(
    officer, officer2, verifier
):
    make_resident(
        maker=officer, surname="ZHANG", given_names="WEI MING", date_of_birth=dt.date(1975, 3, 12)
    )
    resident = services.resident_create(**create_input(officer2))
    flag = resident.duplicate_flags.get()
    services.duplicate_decide(flag=flag, actor=verifier, confirmed=False)
    before = trail()

    with pytest.raises(services.IllegalTransition):
        services.duplicate_decide(flag=flag, actor=verifier, confirmed=True)

    assert trail() == before
    assert before[-1][0] == Action.DUPLICATE_RESOLVED
    assert before[-1][4]["decision"] == "not_duplicate"
    assert LikelyDuplicate.objects.get().status == LikelyDuplicate.Status.NOT_DUPLICATE


# --- Views: record, photo, document ----------------------------------------------------------
def _document(resident) -> DeclarationDocument:
    return DeclarationDocument.objects.create(
        declaration=resident.declarations.get(),
        file=SimpleUploadedFile("a.pdf", b"%PDF-1.4 test"),
        original_name="a.pdf",
        content_type="application/pdf",
        size=13,
        uploaded_by=resident.created_by,
    )


def test_opening_a_record_records_who_viewed_it_from_where(officer_client, resident):
    assert officer_client.get(f"/residents/{resident.pk}/").status_code == 200

    event = events().get()
    assert (event.action, event.username, event.object_type, event.object_id, event.ip) == (
        Action.RESIDENT_VIEWED, "officer_pp", "residents.resident", str(resident.pk), "127.0.0.1",
    )  # fmt: skip


def test_viewing_the_photo_and_a_document_records_each(officer_client, resident):
    resident.photo.save("p.jpg", SimpleUploadedFile("p.jpg", jpeg_bytes()), save=True)
    document = _document(resident)

    assert officer_client.get(f"/residents/{resident.pk}/photo/").status_code == 200
    assert officer_client.get(f"/residents/documents/{document.pk}/").status_code == 200

    assert trail() == [
        (Action.PHOTO_VIEWED, "officer_pp", "residents.resident", str(resident.pk), {}),
        (Action.DOCUMENT_VIEWED, "officer_pp", "residents.declarationdocument", str(document.pk),
         {"declaration": document.declaration_id}),
    ]  # fmt: skip
    assert set(events().values_list("ip", flat=True)) == {"127.0.0.1"}


def test_the_review_page_records_a_view_of_the_record(verifier_client, resident, declaration):
    assert (
        verifier_client.get(f"/residents/declarations/{declaration.pk}/review/").status_code == 200
    )

    assert trail() == [
        (Action.RESIDENT_VIEWED, "verifier_pp", "residents.resident", str(resident.pk),
         {"declaration": declaration.pk}),
    ]  # fmt: skip


def test_another_province_or_anonymous_gets_nothing_and_no_view_is_recorded(
    other_officer_client, client, resident
):
    resident.photo.save("p.jpg", SimpleUploadedFile("p.jpg", jpeg_bytes()), save=True)
    document = _document(resident)
    urls = [
        f"/residents/{resident.pk}/",
        f"/residents/{resident.pk}/photo/",
        f"/residents/documents/{document.pk}/",
    ]

    for url in urls:
        assert other_officer_client.get(url).status_code == 404
        assert client.get(url).status_code == 302

    assert trail() == []
