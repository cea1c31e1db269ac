"""One numeral rule: counts and figures read 41,000 in English and in Khmer (Western digits);
ids, links, form values and exported cells stay plain numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.figures import figure


@pytest.mark.parametrize("language", ["en", "km"])
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (41000, "41,000"),
        (1234567, "1,234,567"),
        (999, "999"),
        (0, "0"),
        (-2500, "-2,500"),
        (Decimal("1234.5"), "1,234.5"),
        (12.5, "12.5"),
        ("90000", "90,000"),
    ],
)
def test_a_figure_is_grouped_by_thousands_with_western_digits_in_both_languages(
    language, value, shown
):
    with translation.override(language):
        assert figure(value) == shown
        assert Template("{{ n|figure }}").render(Context({"n": value})) == shown


@pytest.mark.parametrize("value", [None, "", "PR-12-0000123-6", True])
def test_what_is_not_a_number_is_left_as_it_is(value):
    assert figure(value) == value


@pytest.mark.parametrize("language", ["en", "km"])
def test_a_number_without_the_filter_stays_plain(language):
    # USE_THOUSAND_SEPARATOR is off: ids in links and form values are never grouped.
    with translation.override(language):
        assert Template("{{ n }}").render(Context({"n": 41000})) == "41000"
