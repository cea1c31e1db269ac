from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from residents import services
from residents.models import Declaration, LikelyDuplicate, Resident, TravelDocument
from tests.factories import UserFactory
from tests.residents.conftest import create_input, make_resident

pytestmark = pytest.mark.django_db
Status = Declaration.Status


# --- resident_create -------------------------------------------------------------------------
def test_officer_enters_a_resident_in_their_own_province_with_a_draft_declaration(officer):
    resident = services.resident_create(**create_input(officer))

    resident.refresh_from_db()
    assert resident.province_id == "12"
    assert resident.surname == "ZHANG"
    assert resident.given_names == "WEI MING"
    assert resident.search_name == "ZHANG WEI MING 张伟明"
    assert resident.created_by == officer
    assert resident.documents.get().number == "EA1234567"
    declaration = resident.declarations.get()
    assert declaration.status == Status.DRAFT
    assert declaration.created_by == officer


def test_entering_and_submitting_at_once_leaves_the_declaration_submitted(officer):
    resident = services.resident_create(**create_input(officer), submit=True)

    declaration = resident.declarations.get()
    assert declaration.status == Status.SUBMITTED
    assert declaration.submitted_at is not None


def test_the_province_always_comes_from_the_officer_never_from_the_input(officer):
    resident = services.resident_create(
        **create_input(officer, fields={"province": "17", "status": "verified"})
    )

    assert resident.province_id == "12"
    assert resident.declarations.get().status == Status.DRAFT


def test_a_verifier_cannot_enter_a_resident(verifier):
    with pytest.raises(services.NotAllowed):
        services.resident_create(**create_input(verifier))

    assert Resident.objects.count() == 0


def test_the_same_passport_cannot_be_entered_twice_even_in_another_province(officer, other_officer):
    first = services.resident_create(**create_input(officer))

    with pytest.raises(services.DuplicatePassport) as refused:
        services.resident_create(
            **create_input(
                other_officer,
                passport=services.PassportInput(number="ea-123 4567", issuing_country="CN"),
                fields={"address_province": other_officer.province},
            )
        )

    assert refused.value.holder == first
    assert Resident.objects.count() == 1


def test_the_database_refuses_a_second_document_with_the_same_number_and_country(resident):
    duplicate = TravelDocument(resident=make_resident_without_passport(resident), is_current=True)
    duplicate.issuing_country = "CN"
    duplicate.set_number("E12345678")

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def make_resident_without_passport(like: Resident) -> Resident:
    from tests.factories import ResidentFactory

    return ResidentFactory(created_by=like.created_by)


# --- resident_update -------------------------------------------------------------------------
def test_an_edit_with_the_current_version_is_saved_and_bumps_the_version(officer, resident):
    services.resident_update(
        resident=resident, actor=officer, version=1, fields={"phone": "+855 99 111 222"}
    )

    resident.refresh_from_db()
    assert resident.phone == "+855 99 111 222"
    assert resident.version == 2


def test_an_edit_from_a_stale_version_is_refused_and_changes_nothing(officer, officer2, resident):
    services.resident_update(resident=resident, actor=officer2, version=1, fields={"phone": "1"})

    with pytest.raises(services.StaleVersion) as refused:
        services.resident_update(resident=resident, actor=officer, version=1, fields={"phone": "2"})

    assert "Someone else changed this resident" in str(refused.value.message)
    resident.refresh_from_db()
    assert resident.phone == "1"
    assert resident.version == 2


def test_editing_a_verified_record_sends_its_declaration_back_for_verification(officer, verifier):
    resident = make_resident(maker=officer, status=Status.VERIFIED)
    declaration = resident.declarations.get()
    Declaration.objects.filter(pk=declaration.pk).update(reviewed_by=verifier)

    services.resident_update(
        resident=resident, actor=officer, version=1, fields={"occupation": "Teacher"}
    )

    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED
    assert declaration.reviewed_by is None


def test_an_officer_of_another_province_cannot_edit(other_officer, resident):
    with pytest.raises(services.NotAllowed):
        services.resident_update(
            resident=resident, actor=other_officer, version=1, fields={"phone": "1"}
        )

    resident.refresh_from_db()
    assert resident.phone == ""
    assert resident.version == 1


def test_changing_the_passport_number_to_one_already_held_is_refused(
    officer, resident, other_resident
):
    with pytest.raises(services.DuplicatePassport):
        services.resident_update(
            resident=resident,
            actor=officer,
            version=1,
            fields={},
            passport=services.PassportInput(number="G87654321", issuing_country="CN"),
        )

    assert resident.documents.get().number == "E12345678"


# --- the review workflow ---------------------------------------------------------------------
def test_a_verifier_verifies_a_declaration_someone_else_made(verifier, declaration):
    services.declaration_verify(declaration=declaration, actor=verifier)

    declaration.refresh_from_db()
    assert declaration.status == Status.VERIFIED
    assert declaration.reviewed_by == verifier
    assert declaration.reviewed_at is not None


def test_nobody_verifies_a_declaration_they_made(verifier):
    own = make_resident(maker=verifier).declarations.get()

    with pytest.raises(services.NotAllowed) as refused:
        services.declaration_verify(declaration=own, actor=verifier)

    assert "another verifier" in str(refused.value.message)
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED
    assert own.reviewed_by is None


def test_the_database_itself_refuses_a_reviewer_who_is_the_maker(verifier, declaration):
    with pytest.raises(IntegrityError), transaction.atomic():
        Declaration.objects.filter(pk=declaration.pk).update(
            reviewed_by=declaration.created_by, status=Status.VERIFIED
        )


def test_an_officer_cannot_verify(officer2, declaration):
    with pytest.raises(services.NotAllowed):
        services.declaration_verify(declaration=declaration, actor=officer2)

    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED


def test_a_verifier_of_another_province_cannot_verify(other_verifier, declaration):
    with pytest.raises(services.NotAllowed):
        services.declaration_verify(declaration=declaration, actor=other_verifier)

    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED


def test_a_draft_cannot_be_verified(officer, verifier):
    draft = make_resident(maker=officer, status=Status.DRAFT).declarations.get()

    with pytest.raises(services.IllegalTransition) as refused:
        services.declaration_verify(declaration=draft, actor=verifier)

    assert str(refused.value.message) == "This declaration is now draft; it cannot become verified."
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_returning_needs_a_reason_and_shows_it_to_the_maker(verifier, declaration):
    with pytest.raises(services.ResidentsError):
        services.declaration_return(declaration=declaration, actor=verifier, reason="   ")
    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED

    services.declaration_return(
        declaration=declaration, actor=verifier, reason="Passport copy unreadable"
    )

    declaration.refresh_from_db()
    assert declaration.status == Status.RETURNED
    assert declaration.status_reason == "Passport copy unreadable"


def test_rejecting_needs_a_reason(verifier, declaration):
    with pytest.raises(services.ResidentsError):
        services.declaration_reject(declaration=declaration, actor=verifier, reason="")

    services.declaration_reject(declaration=declaration, actor=verifier, reason="Not resident")

    declaration.refresh_from_db()
    assert declaration.status == Status.REJECTED
    assert declaration.status_reason == "Not resident"


def test_a_returned_declaration_is_resubmitted_and_its_reason_cleared(officer, verifier):
    returned = make_resident(maker=officer, status=Status.RETURNED).declarations.get()

    services.declaration_submit(declaration=returned, actor=officer)

    returned.refresh_from_db()
    assert returned.status == Status.SUBMITTED
    assert returned.status_reason == ""


def test_a_review_against_a_stale_resident_version_is_refused(officer, verifier, resident):
    declaration = resident.declarations.get()
    services.resident_update(resident=resident, actor=officer, version=1, fields={"phone": "9"})

    with pytest.raises(services.StaleVersion):
        services.declaration_verify(declaration=declaration, actor=verifier, resident_version=1)

    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED


# --- acknowledgement -------------------------------------------------------------------------
def test_the_director_acknowledges_one_verified_declaration(officer, director):
    verified = make_resident(maker=officer, status=Status.VERIFIED).declarations.get()

    services.declaration_acknowledge(declaration=verified, actor=director)

    verified.refresh_from_db()
    assert verified.status == Status.ACKNOWLEDGED
    assert verified.acknowledged_by == director


def test_a_verifier_cannot_acknowledge(officer, verifier):
    verified = make_resident(maker=officer, status=Status.VERIFIED).declarations.get()

    with pytest.raises(services.NotAllowed):
        services.declaration_acknowledge(declaration=verified, actor=verifier)

    verified.refresh_from_db()
    assert verified.status == Status.VERIFIED


def test_bulk_acknowledgement_of_a_province_is_one_update_of_its_verified_declarations_only(
    officer, other_officer, director
):
    for _n in range(3):
        make_resident(maker=officer, status=Status.VERIFIED)
    submitted = make_resident(maker=officer, status=Status.SUBMITTED).declarations.get()
    elsewhere = make_resident(maker=other_officer, status=Status.VERIFIED).declarations.get()

    with CaptureQueriesContext(connection) as queries:
        count = services.declaration_acknowledge_province(province=officer.province, actor=director)

    updates = [q["sql"] for q in queries if "UPDATE" in q["sql"].upper()[:200]]
    assert count == 3
    assert len(updates) == 1
    assert (
        Declaration.objects.filter(resident__province_id="12", status=Status.ACKNOWLEDGED).count()
        == 3
    )
    submitted.refresh_from_db()
    elsewhere.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert elsewhere.status == Status.VERIFIED


# --- history ---------------------------------------------------------------------------------
def test_every_action_is_recorded_with_its_actor_even_outside_a_request(officer, verifier):
    resident = services.resident_create(**create_input(officer), submit=True)
    declaration = resident.declarations.get()
    services.declaration_return(declaration=declaration, actor=verifier, reason="Blurred photo")

    events = [
        (e.pgh_label, e.pgh_context["user"], e.pgh_context["action"], e.pgh_diff)
        for e in Events.objects.tracks(declaration).order_by("pgh_id")
    ]

    assert events == [
        ("insert", officer.pk, "resident.create", None),
        (
            "update",
            verifier.pk,
            "declaration.return",
            {
                "status": ["submitted", "returned"],
                "status_reason": ["", "Blurred photo"],
                "reviewed_by_id": [None, verifier.pk],
                "reviewed_at": [None, events[1][3]["reviewed_at"][1]],
            },
        ),
    ]


def test_bulk_acknowledgement_records_an_event_per_declaration_with_the_director(officer, director):
    declarations = [
        make_resident(maker=officer, status=Status.VERIFIED).declarations.get() for _n in range(2)
    ]

    services.declaration_acknowledge_province(province=officer.province, actor=director)

    for declaration in declarations:
        last = Events.objects.tracks(declaration).order_by("-pgh_id").first()
        assert last.pgh_context["user"] == director.pk
        assert last.pgh_diff["status"] == ["verified", "acknowledged"]


# --- likely duplicates -----------------------------------------------------------------------
def test_a_similar_name_born_the_same_day_with_the_same_nationality_is_flagged(
    officer, other_officer
):
    existing = make_resident(
        maker=other_officer,
        surname="ZHANG",
        given_names="WEIMING",
        date_of_birth=dt.date(1975, 3, 12),
        nationality="CN",
    )

    resident = services.resident_create(**create_input(officer))

    flag = LikelyDuplicate.objects.get()
    assert (flag.resident, flag.other, flag.status) == (resident, existing, "open")
    assert (flag.similarity >= 0.5, flag.match_kind) == (True, "spelling")


def test_a_different_birth_date_is_not_a_likely_duplicate(officer):
    make_resident(
        maker=officer, surname="ZHANG", given_names="WEI MING", date_of_birth=dt.date(1976, 3, 12)
    )

    services.resident_create(**create_input(officer))

    assert LikelyDuplicate.objects.count() == 0


def test_an_open_likely_duplicate_blocks_verification_until_decided(officer, verifier):
    make_resident(
        maker=officer, surname="ZHANG", given_names="WEI MING", date_of_birth=dt.date(1975, 3, 12)
    )
    resident = services.resident_create(**create_input(officer2_of(officer)), submit=True)
    declaration = resident.declarations.get()

    with pytest.raises(services.NotAllowed):
        services.declaration_verify(declaration=declaration, actor=verifier)
    services.duplicate_decide(flag=resident.duplicate_flags.get(), actor=verifier, confirmed=False)
    services.declaration_verify(declaration=declaration, actor=verifier)

    declaration.refresh_from_db()
    assert declaration.status == Status.VERIFIED
    assert resident.duplicate_flags.get().status == LikelyDuplicate.Status.NOT_DUPLICATE


def test_a_confirmed_duplicate_rejects_the_declaration_naming_the_other_record(officer, verifier):
    existing = make_resident(
        maker=officer, surname="ZHANG", given_names="WEI MING", date_of_birth=dt.date(1975, 3, 12)
    )
    resident = services.resident_create(**create_input(officer2_of(officer)), submit=True)

    services.duplicate_decide(flag=resident.duplicate_flags.get(), actor=verifier, confirmed=True)

    declaration = resident.declarations.get()
    assert declaration.status == Status.REJECTED
    assert declaration.status_reason == f"Duplicate of resident no. {existing.pk}."


def test_flagging_a_batch_is_one_statement_and_flags_each_pair_once(officer):
    twins = [
        make_resident(
            maker=officer,
            surname="TRAN",
            given_names="VAN AN",
            date_of_birth=dt.date(1980, 1, 1),
            nationality="VN",
        )
        for _n in range(2)
    ]

    with CaptureQueriesContext(connection) as queries:
        created = services.flag_likely_duplicates(resident_ids=[r.pk for r in twins])

    assert len(queries) == 1
    assert created == 1
    flag = LikelyDuplicate.objects.get()
    assert (flag.resident_id, flag.other_id) == (twins[1].pk, twins[0].pk)


def officer2_of(officer):
    return UserFactory(username="officer3_pp", role=officer.role, province_id=officer.province_id)
