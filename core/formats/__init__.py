"""Dates and numbers of GDI IMS, one rule per language.

Numerals: numbers are written with Western digits (0-9) in both languages, in sentences, figures,
tables, dates, exports, reports and on the card. Passport, card, resident and phone numbers are
Western on the documents they come from, and a Khmer page that mixed two digit sets would read
worse than one that never does. Khmer digits (០-៩) are accepted wherever a person types a date or a
number, and stored as Western digits.

Dates: shown as DD-MM-YYYY in both languages (times as HH:MM, 24 hours); typed as DD-MM-YYYY,
D-M-YYYY or DD/MM/YYYY, with Western or Khmer digits. The format modules beside this file hold the
display formats; core.fields holds the input fields.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.text import KHMER_DIGITS, western_digits

__all__ = ["DATE", "DATE_TIME", "KHMER_DIGITS", "day", "day_time", "western_digits"]

# The one date and time format of both languages, for Python's strftime (the format modules beside
# this file say the same to Django's templates: "d-m-Y", "d-m-Y H:i").
DATE = "%d-%m-%Y"
DATE_TIME = "%d-%m-%Y %H:%M"


def day(value: dt.date | dt.datetime | None) -> str:
    """DD-MM-YYYY (a moment in local time); empty for no date."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(DATE)


def day_time(value: dt.datetime | None) -> str:
    """DD-MM-YYYY HH:MM in local time; empty for no moment."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(DATE_TIME)
