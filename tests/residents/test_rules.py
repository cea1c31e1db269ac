"""One rulebook for both write paths: a person typed in the form or imported is stored alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from imports import services as import_services
from imports.models import ImportIssue
from provinces.models import Province
from residents import rules
from residents.models import Resident, TravelDocument
from tests.imports.conftest import csv_bytes, upload
from tests.residents.conftest import resident_post_data

pytestmark = pytest.mark.django_db

HEADER = ["Surname", "Given names", "Name in Khmer", "Name in own script", "Sex",
          "Date of birth", "Nationality", "Passport number", "Passport issuing country",
          "District", "Commune", "Basis of residence"]  # fmt: skip

# The same people as an officer types them and as a province's list writes them.
PEOPLE = [
    pytest.param(
        {"surname": "  zhang ", "given_names": "wei   ming", "name_km": "", "name_native": "张伟明",
         "passport_number": "ea 123-4567"},
        {"Surname": "Zhang", "Given names": " Wei Ming ", "Name in own script": "张伟明",
         "Passport number": "EA1234567"},
        id="own-script",
    ),
    pytest.param(
        {"surname": "Nguyễn", "given_names": "văn  an", "name_km": "", "name_native": "",
         "passport_number": "C 0099 1122"},
        {"Surname": "NGUYỄN", "Given names": "VĂN AN", "Passport number": "c0099-1122"},
        id="accents-latin-only",
    ),
    pytest.param(
        {"surname": "Sok", "given_names": "", "name_km": "សុខ", "name_native": "",
         "passport_number": "N12345678"},
        {"Surname": "sok", "Name in Khmer": "សុខ", "Passport number": "n 1234 5678"},
        id="khmer-name-no-given-names",
    ),
    pytest.param(
        # Decomposed accents, a zero-width space, a zero-width joiner and a no-break space, as
        # some keyboards and copied text give them.
        {"surname": "Nguye\u0302\u0303n", "given_names": "van\u00a0an",
         "name_km": "សុខ\u200b  សាន្ត", "name_native": "Nguye\u0302\u0303n\u200d",
         "passport_number": "b 765 4321"},
        {"Surname": "NGUYỄN", "Given names": "Van An", "Name in Khmer": "សុខ សាន្ត",
         "Name in own script": "Nguyễn", "Passport number": "B7654321"},
        id="decomposed-and-invisible",
    ),
]  # fmt: skip

# What neither write path accepts, and the column each names.
REFUSED = [
    pytest.param({"passport_number": "É1234567"}, {"Passport number": "É1234567"},
                 "passport_number", id="passport-letter-outside-the-mrz"),
    pytest.param({"passport_number": "AB12"}, {"Passport number": "AB12"},
                 "passport_number", id="passport-too-short"),
    pytest.param({"surname": "1234"}, {"Surname": "1234"}, "surname", id="surname-without-letters"),
]  # fmt: skip


def _stored(resident: Resident) -> dict[str, Any]:
    document = resident.documents.get()
    return {
        "surname": resident.surname,
        "given_names": resident.given_names,
        "name_km": resident.name_km,
        "name_native": resident.name_native,
        "search_name": resident.search_name,
        "person_name": rules.person_name(resident.surname, resident.given_names),
        "passport": (document.issuing_country.code, document.number_index, document.number),
    }


def _typed(officer_client: Any, typed: dict[str, str]) -> Resident:
    response = officer_client.post(
        "/residents/new/",
        resident_post_data(
            **typed, nationality="VN", passport_country="VN", date_of_birth="1975-03-12"
        ),
    )
    assert response.status_code == 302, response.content.decode()
    return Resident.objects.get()


def _imported(officer: Any, written: dict[str, str]) -> Any:
    row = {"Sex": "M", "Date of birth": "12/03/1975", "Nationality": "VN",
           "Passport issuing country": "VN", "District": "1201", "Commune": "120101",
           "Basis of residence": "marriage", **written}  # fmt: skip
    batch = import_services.import_batch_create(
        actor=officer,
        province=Province.objects.get(code="12"),
        upload=upload(csv_bytes([row], header=HEADER)),
    )
    return import_services.import_commit_request(batch=batch, actor=officer)


@pytest.mark.parametrize(("typed", "written"), PEOPLE)
def test_a_person_typed_or_imported_is_stored_with_the_same_names_and_search_fields(
    officer_client, officer, typed, written
):
    with transaction.atomic():
        entered = _stored(_typed(officer_client, typed))
        transaction.set_rollback(True)  # the same person again, from a file this time

    batch = _imported(officer, written)

    assert (batch.status, batch.accepted_rows) == ("committed", 1)
    assert _stored(Resident.objects.get()) == entered


@pytest.mark.parametrize(("typed", "written"), PEOPLE)
def test_the_holder_of_a_typed_passport_refuses_the_same_passport_in_an_imported_list(
    officer_client, officer, typed, written
):
    holder = _typed(officer_client, typed)

    batch = _imported(officer, written)

    issue = batch.issues.get()
    assert (batch.accepted_rows, batch.duplicate_rows) == (0, 1)
    assert (issue.kind, issue.code, issue.params) == (
        ImportIssue.Kind.DUPLICATE,
        "dup_passport",
        {"resident": holder.pk},
    )
    assert Resident.objects.get() == holder


@pytest.mark.parametrize(("typed", "written"), PEOPLE)
def test_the_holder_of_an_imported_passport_refuses_the_same_passport_typed_in_the_form(
    officer_client, officer, typed, written
):
    _imported(officer, written)
    holder = Resident.objects.get()

    response = officer_client.post(
        "/residents/new/",
        resident_post_data(
            **{**typed, "surname": "Other"}, nationality="VN", passport_country="VN"
        ),
    )

    assert response.status_code == 200
    assert (
        f"This passport is already recorded for {holder.full_name} (resident no. {holder.pk})."
        in response.content.decode()
    )
    assert Resident.objects.get() == holder
    assert rules.passport_holder(issuing_country="VN", number=typed["passport_number"]) == holder


def test_the_holder_lookup_finds_a_number_however_it_is_typed_and_skips_the_excluded(resident):
    document = TravelDocument.objects.get(resident=resident)
    number, country = document.number, document.issuing_country.code
    spaced = " ".join(number.lower())

    assert rules.passport_holder(issuing_country=country, number=spaced) == resident
    assert rules.passport_holders([rules.passport_index(spaced)]) == {
        (country, document.number_index): resident.pk
    }
    assert (
        rules.passport_holder(
            issuing_country=country, number=number, exclude_resident_id=resident.pk
        )
        is None
    )


@pytest.mark.parametrize(("typed", "written", "field"), REFUSED)
def test_what_the_form_refuses_an_import_refuses_in_the_same_column(
    officer_client, officer, typed, written, field
):
    base = {"surname": "Zhang", "given_names": "Wei", "name_km": "", "name_native": "",
            "passport_number": "EA1234567"}  # fmt: skip
    response = officer_client.post(
        "/residents/new/",
        resident_post_data(
            **{**base, **typed}, nationality="VN", passport_country="VN", date_of_birth="1975-03-12"
        ),
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Resident.objects.count() == 0

    batch = _imported(
        officer,
        {"Surname": "Zhang", "Given names": "Wei", "Passport number": "EA1234567", **written},
    )

    assert batch.accepted_rows == 0
    assert [issue.column for issue in batch.issues.all()] == [field]
    assert Resident.objects.count() == 0
