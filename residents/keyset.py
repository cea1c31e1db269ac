"""Cursors of the keyset-paginated lists: the sort key of a row, sealed into a URL-safe token.

A cursor this module did not make (bad base64 or JSON, another shape, a value the sort's column
could not hold) is read as none: the list starts again at its first page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from typing import Any

from residents.models import SEARCH_NAME_MAX


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# What each sort column's value in a cursor must be: anything else is a tampered cursor.
_BIGINT = 2**63


def _valid_id(value: Any) -> bool:
    return type(value) is int and -_BIGINT <= value < _BIGINT


def _valid_name(value: Any) -> bool:
    if type(value) is not str or len(value) > SEARCH_NAME_MAX or "\x00" in value:
        return False
    try:
        value.encode()  # a lone surrogate ("\ud800" in the JSON) is no text PostgreSQL takes
    except UnicodeEncodeError:
        return False
    return True


def _valid_rank(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _valid_moment(value: Any) -> bool:
    """A moment as the queue's cursors carry it: an ISO date and time with its offset."""
    if type(value) is not str or len(value) > 40:
        return False
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


_CURSOR_VALUES = {
    "id": _valid_id,
    "search_name": _valid_name,
    "rank": _valid_rank,
    "submitted_at": _valid_moment,
    "reviewed_at": _valid_moment,
    "acknowledged_at": _valid_moment,
    "created_at": _valid_moment,
}
# The longest cursor made: a name of SEARCH_NAME_MAX characters, each escaped as \uXXXX in JSON.
_CURSOR_MAX = 4 * (SEARCH_NAME_MAX * 6 + 64) // 3 + 4


def decode_cursor(token: str, keys: tuple[tuple[str, bool], ...]) -> list[Any] | None:
    """The key values in a cursor, or None for a missing or tampered one (first page then).

    A tampered cursor is any that this module did not make: bad base64 or JSON, another shape,
    or a value the sort's column could not hold. The list then starts again at its first page.
    """
    if not token or len(token) > _CURSOR_MAX:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    if not all(_CURSOR_VALUES[column](v) for (column, _desc), v in zip(keys, values, strict=True)):
        return None
    return values
