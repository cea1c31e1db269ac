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

from core.text import KHMER_DIGITS, western_digits

__all__ = ["KHMER_DIGITS", "western_digits"]
