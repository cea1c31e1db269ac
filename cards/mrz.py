"""The card's machine-readable zone: ICAO 9303 part 5, TD1 (three lines of 30 characters).

Document code "IR": ICAO 9303 part 5 reserves "I" (with "A" and "C") as the first character of a
TD1 identity document and leaves the second to the issuing state; "R" marks a residence card, as
several states do for theirs. Issuing state "KHM".

Document number: the card number without its "PR" prefix and its Damm check digit, that is the
province code and the serial ("PR-12-0000123-4" -> "120000123"): nine characters, the width of
the field, and the MRZ carries its own 7-3-1 check digit in place of the Damm one. A longer number
(a serial past 9,999,999) takes ICAO's extended form: nine characters, a filler in the check-digit
position, the rest and the check digit in the optional data.

Sex "F" or "M", the filler for unspecified; dates YYMMDD; nationality ICAO's three-letter code.

Names (ICAO 9303 part 3): transliterated to A-Z (Ä -> AE, ß -> SS, other accents dropped),
hyphens and spaces to fillers, apostrophes and other punctuation left out; surname, two fillers,
given names. A name longer than the 30-character field is cut at 30 characters from the end of
the given names; a cut that falls on the filler before a name drops that name whole.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django_countries import countries

DOCUMENT_CODE = "IR"
ISSUING_STATE = "KHM"
LINE_LENGTH = 30
FILLER = "<"

# ICAO 9303 part 3, transliteration of Latin characters with diacritics that are not simply a base
# letter with a mark (NFKD handles those: É -> E).
_TRANSLITERATION = {
    "Ä": "AE", "Å": "AA", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Ü": "UE", "ß": "SS", "ẞ": "SS",
    "Þ": "TH", "Ð": "D", "Đ": "D", "Ł": "L", "Œ": "OE", "Ĳ": "IJ", "Ħ": "H", "Ŧ": "T", "ı": "I",
}  # fmt: skip
_NOT_MRZ = re.compile(r"[^A-Z<]")
_SEX = {"F": "F", "M": "M"}


def check_digit(field: str) -> str:
    """ICAO's check digit: weights 7, 3, 1 repeating; digits count as themselves, A-Z as 10-35,
    the filler as 0; the sum modulo 10."""
    total = 0
    for position, char in enumerate(field):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == FILLER:
            value = 0
        else:
            raise ValueError(f"not an MRZ character: {char!r}")
        total += value * (7, 3, 1)[position % 3]
    return str(total % 10)


def transliterate(name: str) -> str:
    """A name in MRZ characters: upper case A-Z, hyphens and spaces as fillers."""
    upper = name.upper()
    spelled = "".join(_TRANSLITERATION.get(char, char) for char in upper)
    decomposed = unicodedata.normalize("NFKD", spelled)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.split(r"[\s\-]+", letters.strip())
    # Apostrophes, commas and any other character outside A-Z are left out, not replaced.
    return FILLER.join(w for w in (_NOT_MRZ.sub("", word) for word in words) if w)


def name_field(*, surname: str, given_names: str) -> str:
    """Surname, two fillers, given names, cut to 30 characters and padded with fillers."""
    name = transliterate(surname)
    given = transliterate(given_names)
    if given:
        name = f"{name}{FILLER * 2}{given}"
    if len(name) > LINE_LENGTH:
        name = name[:LINE_LENGTH].rstrip(FILLER)
    return name.ljust(LINE_LENGTH, FILLER)


def document_number(card_number: str) -> str:
    """The card number as the MRZ carries it: province code and serial ("120000123")."""
    parts = card_number.split("-")
    if len(parts) != 4:
        raise ValueError(f"not a card number: {card_number!r}")
    return parts[1] + parts[2]


def _date(day: dt.date) -> str:
    return day.strftime("%y%m%d")


# Where ICAO 9303 part 3's three-letter codes are not ISO 3166-1's alpha-3: Germany is "D", and
# Kosovo (ISO's user-assigned XK) is "RKS".
_ICAO_CODES = {"DE": "D<<", "XK": "RKS"}


def nationality_code(alpha2: str) -> str:
    """The MRZ's three-letter code of a resident's alpha-2 nationality: ISO alpha-3 but for
    ICAO's exceptions."""
    code = _ICAO_CODES.get(alpha2.upper()) or countries.alpha3(alpha2)
    if not code:
        raise ValueError(f"no alpha-3 code for {alpha2!r}")
    return code


@dataclass(frozen=True)
class Zone:
    lines: tuple[str, str, str]

    def __str__(self) -> str:
        return "\n".join(self.lines)


def td1(
    *,
    card_number: str,
    surname: str,
    given_names: str,
    nationality: str,
    sex: str,
    date_of_birth: dt.date,
    expiry_date: dt.date,
) -> Zone:
    """The three lines of a card's TD1 zone (see the module's docstring for the choices)."""
    number = document_number(card_number)
    if len(number) <= 9:
        first = number.ljust(9, FILLER) + check_digit(number.ljust(9, FILLER))
        optional = ""
    else:  # ICAO's extended document number
        first = number[:9] + FILLER
        optional = number[9:] + check_digit(number)
    line1 = (DOCUMENT_CODE + ISSUING_STATE + first + optional).ljust(LINE_LENGTH, FILLER)
    birth, expiry = _date(date_of_birth), _date(expiry_date)
    line2 = (
        birth + check_digit(birth) + _SEX.get(sex, FILLER) + expiry + check_digit(expiry)
        + nationality_code(nationality)
    ).ljust(LINE_LENGTH - 1, FILLER)  # fmt: skip
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    line2 += check_digit(composite)
    line3 = name_field(surname=surname, given_names=given_names)
    if len(line1) != LINE_LENGTH or len(line2) != LINE_LENGTH:
        raise ValueError(f"optional data too long for a TD1 line: {card_number!r}")
    return Zone((line1, line2, line3))
