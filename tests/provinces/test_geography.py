from __future__ import annotations

import pytest
from django.core.management import call_command

from provinces.geography import load_geography_now
from provinces.models import Commune, District, Province

pytestmark = pytest.mark.django_db


def test_the_migration_loads_every_province_district_and_commune_of_the_package():
    assert Province.objects.count() == 25
    assert District.objects.count() == 210
    assert Commune.objects.count() == 1661
    phnom_penh = Province.objects.get(code="12")
    assert (phnom_penh.name_en, phnom_penh.name_km) == ("Phnom Penh", "រាជធានីភ្នំពេញ")


def test_loading_again_changes_nothing():
    before = list(Commune.objects.values_list("code", "name_en", "name_km", "district_id"))

    result = load_geography_now()

    assert result.changed == 0
    assert list(Commune.objects.values_list("code", "name_en", "name_km", "district_id")) == before


def test_the_command_restores_a_changed_name_and_reports_it(capsys):
    Province.objects.filter(code="12").update(name_en="Wrong")

    call_command("load_geography")

    assert Province.objects.get(code="12").name_en == "Phnom Penh"
    assert "provinces: 0 created, 1 updated" in capsys.readouterr().out


def test_the_name_follows_the_active_language():
    from django.utils import translation

    province = Province.objects.get(code="17")
    with translation.override("km"):
        khmer = province.name
    with translation.override("en"):
        english = province.name

    assert (english, khmer) == ("Siemreap", "សៀមរាប")
