"""Card numbers: `PR-12-0000123-4` = prefix, province code, serial, Damm check digit.

The serial comes from one PostgreSQL sequence shared by every province, so two cards never get the
same serial even when clerks issue at the same moment; the province code makes the number readable
(the card's issuing office). The Damm check digit catches every single-digit typo and every swap of
two adjacent digits, the two mistakes people make when they type a number from a card.
"""

from __future__ import annotations

import re

from core.formats import western_digits

PREFIX = "PR"
SERIAL_WIDTH = 7
SEQUENCE = "cards_card_serial"

# The Damm algorithm's totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_TYPED = re.compile(rf"^(?:{PREFIX})?(\d{{2}})(\d{{{SERIAL_WIDTH},}})(\d)$")


class InvalidCardNumber(ValueError):
    """A typed card number that is malformed or whose check digit does not match."""


def damm_digit(digits: str) -> int:
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return interim


def format_number(*, province_code: str, serial: int) -> str:
    body = f"{province_code}{serial:0{SERIAL_WIDTH}d}"
    return f"{PREFIX}-{province_code}-{serial:0{SERIAL_WIDTH}d}-{damm_digit(body)}"


def normalise(typed: str) -> str:
    """Canonical form of a typed number: 'pr 12 0000123 4' and 'PR120000123-4' are the same."""
    compact = "".join(c for c in western_digits(typed).upper() if c.isalnum())
    match = _TYPED.match(compact)
    if not match:
        raise InvalidCardNumber(typed)
    province, serial, check = match.groups()
    if damm_digit(province + serial) != int(check):
        raise InvalidCardNumber(typed)
    return f"{PREFIX}-{province}-{serial}-{check}"
