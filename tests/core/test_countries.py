from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from django_countries import countries
from django_countries.data import COUNTRIES
from django_countries.fields import Country

from compilation import selectors as province_selectors
from core.countries import country_name, english_name
from imports import forms as import_forms
from residents import forms as resident_forms

# Every ISO 3166-1 country CLDR names in Khmer: none is missing today. A country added here
# would be shown in English in the Khmer interface.
WITHOUT_KHMER_NAME: frozenset[str] = frozenset()


def test_every_iso_country_has_a_khmer_name_different_from_its_english_one():
    assert len(COUNTRIES) == 249
    untranslated = {
        code for code in COUNTRIES if country_name(code, "km") == country_name(code, "en")
    }

    assert untranslated == WITHOUT_KHMER_NAME


def test_english_keeps_django_countries_names_and_khmer_reads_cldr():
    assert country_name("KR", "en") == "South Korea"
    assert country_name("US", "en") == "United States of America"
    assert country_name("CN", "km") == "ចិន"
    assert country_name("VN", "km") == "វៀតណាម"
    assert country_name("DE", "km") == "អាល្លឺម៉ង់"
    assert english_name("BO") == "Bolivia"


def test_a_country_field_and_the_choices_follow_the_active_language():
    with translation.override("km"):
        choices = dict(countries)
        name = Country("JP").name
    with translation.override("en"):
        english = dict(countries)

    assert name == "ជប៉ុន"
    assert choices["TH"] == "ថៃ"
    assert english["TH"] == "Thailand"
    assert list(countries)[: len(settings.COUNTRIES_FIRST)] == [
        (code, english[code]) for code in settings.COUNTRIES_FIRST
    ]


@pytest.mark.django_db
def test_the_nationality_filters_and_passport_country_list_name_countries_in_khmer(officer):
    with translation.override("km"):
        search = resident_forms.ResidentSearchForm(user=officer)
        entry = resident_forms.ResidentForm(user=officer)
        imported = import_forms.ExportFilterForm(data={}, user=officer)

        assert dict(search.fields["nationality"].choices)["FR"] == "បារាំង"
        assert dict(entry.fields["passport_country"].choices)["FR"] == "បារាំង"
        assert dict(entry.fields["nationality"].choices)["FR"] == "បារាំង"
        assert dict(imported.fields["nationality"].choices)["FR"] == "បារាំង"


@pytest.mark.django_db
def test_the_resident_list_and_page_name_the_nationality_in_khmer(officer_client, officer):
    from tests.residents.conftest import make_resident

    resident = make_resident(maker=officer, nationality="KR")
    officer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "km"

    listing = officer_client.get("/residents/").content.decode()
    page = officer_client.get(f"/residents/{resident.pk}/").content.decode()

    assert "កូរ៉េ\u200bខាង\u200bត្បូង" in listing
    assert "South Korea" not in listing
    assert "កូរ៉េ\u200bខាង\u200bត្បូង" in page


def test_the_hq_report_names_nationalities_in_the_active_language():
    with translation.override("km"):
        chart = province_selectors.nationality_chart([("CN", countries.name("CN"), 7)])

    assert "ចិន" in chart
