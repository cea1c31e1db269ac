"""Text as the IMS keeps it, whatever keyboard, spreadsheet or script it was typed in.

Every write path (a form, an import, a correction) and every matcher (countries, places) cleans
text the same way: one Unicode normal form (NFC, so that a Khmer or accented name typed two ways
is stored, searched and compared as one), none of the invisible characters that keyboards and
spreadsheets slip in (zero-width spaces and joiners, soft hyphens, byte-order marks), single spaces.
Khmer digits (០-៩) are read as the Western digits the IMS writes (core.formats).
"""

from __future__ import annotations

import unicodedata

KHMER_DIGITS = "០១២៣៤៥៦៧៨៩"
_TO_WESTERN = str.maketrans(KHMER_DIGITS, "0123456789")
# Invisible in print, but they make two equal names differ to a computer.
INVISIBLE = {ord(c): None for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad"}


def western_digits(value: str) -> str:
    """`value` with every Khmer digit replaced by its Western digit."""
    return value.translate(_TO_WESTERN)


def clean(value: object) -> str:
    """`value` as stored: NFC, without invisible characters, single spaces, trimmed."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii():
        return " ".join(text.split())  # the common case: nothing to normalise or remove
    return " ".join(unicodedata.normalize("NFC", text).translate(INVISIBLE).split())
