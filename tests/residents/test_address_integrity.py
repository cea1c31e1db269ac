"""The database keeps every address one place: commune in district, district in province."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from provinces.models import Commune, District
from residents.models import Resident
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _checked_now(**changes):
    """Apply `changes` to a fresh resident with the foreign keys checked at once."""
    resident = ResidentFactory()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Resident.objects.filter(pk=resident.pk).update(**changes)
    return resident


def test_a_commune_of_another_district_is_refused_and_nothing_changes():
    resident = ResidentFactory()
    elsewhere = Commune.objects.exclude(district=resident.address_district).first()

    with pytest.raises(IntegrityError, match="resident_address_nested"):
        _checked_now(address_commune=elsewhere)

    resident.refresh_from_db()
    assert resident.address_commune.district_id == resident.address_district_id


def test_a_district_of_another_province_is_refused():
    resident = ResidentFactory()
    district = District.objects.exclude(province=resident.address_province).first()
    commune = district.communes.first()

    with pytest.raises(IntegrityError, match="resident_address_nested"):
        _checked_now(address_district=district, address_commune=commune)


def test_an_unknown_commune_is_refused_even_with_a_matching_district():
    with pytest.raises(IntegrityError, match="address_commune_id"):
        _checked_now(address_commune_id="120199")


def test_model_validation_names_the_problem_in_words():
    resident = ResidentFactory()
    resident.address_commune = Commune.objects.exclude(district=resident.address_district).first()

    with pytest.raises(ValidationError) as refused:
        resident.full_clean()

    assert "The commune must lie in the district" in str(refused.value)


def test_the_division_codes_nest_in_the_geography_itself():
    with pytest.raises(IntegrityError, match="commune_code_in_district"), transaction.atomic():
        Commune.objects.create(code="120199", district_id="1202", name_en="X", name_km="X")
    with pytest.raises(IntegrityError, match="district_code_in_province"), transaction.atomic():
        District.objects.create(code="1299", province_id="17", name_en="X", name_km="X")


def test_a_consistent_move_is_accepted():
    district = District.objects.get(code="1201")
    commune = district.communes.order_by("code").last()

    resident = _checked_now(
        address_province_id="12", address_district=district, address_commune=commune
    )

    resident.refresh_from_db()
    assert (resident.address_district_id, resident.address_commune_id) == ("1201", commune.code)
