"""Names each within their own limit but too long together: a clear refusal, nothing written."""

from __future__ import annotations

import pytest

from residents.models import Declaration, Resident
from tests.residents.conftest import resident_post_data

pytestmark = pytest.mark.django_db

# 100 + 150 + 150 + 150 characters, each at its field's limit: 553 together with the spaces.
LONG_NAMES = {
    "surname": "S" * 100,
    "given_names": "G" * 150,
    "name_native": "张" * 150,
    "name_km": "ក" * 150,
}


def test_the_resident_form_refuses_names_too_long_together_and_names_the_field(officer_client):
    data = {**resident_post_data(), **LONG_NAMES, "submit": "1"}

    response = officer_client.post("/residents/new/", data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["given_names"]
    assert errors["given_names"] == [
        "The names together are 553 characters long; the register holds at most 300. "
        "Shorten this name."
    ]
    assert Resident.objects.count() == 0
    assert Declaration.objects.count() == 0


def test_an_edit_that_makes_the_names_too_long_together_changes_nothing(officer_client, resident):
    before = Resident.objects.values().get(pk=resident.pk)
    data = {**resident_post_data(version=str(resident.version)), **LONG_NAMES}

    response = officer_client.post(f"/residents/{resident.pk}/edit/", data)

    assert response.status_code == 200
    assert "given_names" in response.context["form"].errors
    assert Resident.objects.values().get(pk=resident.pk) == before


def test_accents_that_lengthen_a_name_for_search_count_against_the_limit(officer_client):
    # U+FDFA is one character typed, eighteen once decomposed for the search column.
    data = {**resident_post_data(), "name_native": "\ufdfa" * 20, "submit": "1"}

    response = officer_client.post("/residents/new/", data)

    assert response.status_code == 200
    assert "name_native" in response.context["form"].errors
    assert Resident.objects.count() == 0
