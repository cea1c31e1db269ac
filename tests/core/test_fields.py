from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import fields
from core.formats import western_digits
from residents.models import Resident
from tests.residents.conftest import resident_post_data

PO_FILE = Path(settings.BASE_DIR) / "locale" / "km" / "LC_MESSAGES" / "django.po"


class DatesAndNumbers(forms.Form):
    day = fields.DateField()
    count = fields.IntegerField(min_value=0, max_value=1000)


@pytest.mark.parametrize(
    "typed",
    ["05-03-2026", "5-3-2026", "05/03/2026", "5/3/2026", "05.03.2026", "2026-03-05",
     "០៥-០៣-២០២៦", "៥/៣/២០២៦", " 05-03-2026 "],
)  # fmt: skip
def test_a_date_is_read_day_first_in_western_or_khmer_digits(typed):
    form = DatesAndNumbers(data={"day": typed, "count": "1"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == dt.date(2026, 3, 5)


@pytest.mark.parametrize("typed", ["03-05-26", "2026/13/05", "32-01-2026", "yesterday"])
def test_a_date_that_is_not_day_month_year_is_refused_with_the_format_to_use(typed):
    form = DatesAndNumbers(data={"day": typed, "count": "1"})

    assert not form.is_valid()
    assert form.errors["day"] == ["Enter the date as DD-MM-YYYY."]


def test_a_date_box_is_a_text_box_showing_dd_mm_yyyy():
    form = DatesAndNumbers(initial={"day": dt.date(2026, 3, 5)})

    html = str(form["day"])
    assert 'type="text"' in html
    assert 'placeholder="DD-MM-YYYY"' in html
    assert 'value="05-03-2026"' in html


def test_a_number_is_read_in_khmer_digits_and_its_box_takes_them():
    form = DatesAndNumbers(data={"day": "05-03-2026", "count": "៣៦៥"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["count"] == 365
    html = str(form["count"])
    assert 'type="text"' in html and 'inputmode="numeric"' in html


def test_a_number_out_of_bounds_is_still_refused():
    form = DatesAndNumbers(data={"day": "05-03-2026", "count": "១០០១"})

    assert not form.is_valid()
    assert "count" in form.errors


def test_western_digits_replaces_only_khmer_digits():
    assert western_digits("ឆ្នាំ ២០២៦, No. 12") == "ឆ្នាំ 2026, No. 12"


def test_the_khmer_interface_writes_numbers_in_western_digits():
    khmer_digits = re.compile("[០-៩]")

    assert not khmer_digits.search(PO_FILE.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_an_officer_enters_a_resident_with_day_first_dates_in_khmer_digits(officer_client):
    officer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "km"
    data = resident_post_data(
        date_of_birth="១២-០៣-១៩៧៥",
        arrival_date="1/6/1998",
        passport_issue_date="15/01/2020",
        passport_expiry_date="១៤-០១-២០៣០",
        declared_on="20-11-2026",
    )

    response = officer_client.post(reverse("residents:create"), data)

    assert response.status_code == 302
    resident = Resident.objects.get(surname="ZHANG")
    document = resident.documents.get()
    assert (resident.date_of_birth, resident.arrival_date) == (
        dt.date(1975, 3, 12), dt.date(1998, 6, 1)
    )  # fmt: skip
    assert (document.issue_date, document.expiry_date) == (
        dt.date(2020, 1, 15), dt.date(2030, 1, 14)
    )  # fmt: skip
    assert resident.declarations.get().declared_on == dt.date(2026, 11, 20)


@pytest.mark.django_db
def test_the_new_resident_form_shows_day_first_text_boxes_in_both_languages(officer_client):
    english = officer_client.get(reverse("residents:create")).content.decode()
    officer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "km"
    khmer = officer_client.get(reverse("residents:create")).content.decode()

    assert 'type="date"' not in english and 'type="date"' not in khmer
    assert english.count('placeholder="DD-MM-YYYY"') == 5
    assert khmer.count('placeholder="ថ្ងៃ-ខែ-ឆ្នាំ (DD-MM-YYYY)"') == 5
    today = timezone.localdate().strftime("%d-%m-%Y")
    assert f'name="declared_on" value="{today}"' in english


@pytest.mark.django_db
def test_the_director_sets_an_estimate_typed_in_khmer_digits(director_client, geo):
    from compilation.models import ProvinceCompilation

    response = director_client.post(
        reverse("provinces:estimate", args=["12"]), {"estimated_residents": "១២០០០"}
    )

    assert response.status_code == 302
    assert ProvinceCompilation.objects.get(province_id="12").estimated_residents == 12000


def test_a_card_number_typed_in_khmer_digits_is_the_same_card():
    from cards import numbers

    number = numbers.format_number(province_code="12", serial=123)
    typed = number.translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))

    assert typed != number
    assert numbers.normalise(typed) == number


def test_a_passport_number_typed_in_khmer_digits_is_the_same_passport():
    from residents.models import normalise_document_number

    assert normalise_document_number("ea ១២៣-៤៥៦៧") == "EA1234567"


def test_python_and_the_templates_write_a_date_one_way_in_both_languages():
    import datetime as dt

    from django.template import Context, Template
    from django.utils import translation

    from core import formats

    moment = dt.datetime(2026, 3, 5, 9, 7, tzinfo=dt.UTC)  # 16:07 in Phnom Penh
    for language in ("en", "km"):
        with translation.override(language):
            rendered = Template(
                '{{ d|date:"SHORT_DATE_FORMAT" }} {{ m|date:"SHORT_DATETIME_FORMAT" }}'
            ).render(Context({"d": moment.date(), "m": moment}))
        assert rendered == f"{formats.day(moment.date())} {formats.day_time(moment)}"
    assert (formats.day(moment), formats.day_time(moment), formats.day(None)) == (
        "05-03-2026",
        "05-03-2026 16:07",
        "",
    )
