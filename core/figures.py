"""Counts and figures as people read them: 41,000 in both languages (Western digits).

`figure` is a template filter every template has (TEMPLATES builtins) and a function for Python
text (messages). It groups thousands by the active language's formats (core/formats: the same
comma in English and Khmer). Use it for what a person reads, never for ids, URLs, form values,
CSV/XLSX cells, the MRZ or QR codes, which stay plain numbers: the setting
USE_THOUSAND_SEPARATOR stays off, so nothing is grouped unless asked.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def figure(value: object) -> object:
    """The number grouped by thousands ("41,000", "1,234.5"); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return value
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return value
    return formats.number_format(value, force_grouping=True)
