"""Keyset pagination, one way for every list: cursors, the page, and the seek.

A list is ordered by a key: a few columns, all sorted the same way, the last one unique (an id).
A page is read by seeking past the key of the row it starts after, never by OFFSET, so the
10,000th page costs what the first does (given an index in the key's order). The cursor that a
link carries is that key, sealed into a URL-safe token.

A cursor this module did not make (bad base64 or JSON, another shape, a value the key's column
could not hold) is read as none: the list starts again at its first page, never an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db.models import BooleanField, Expression, F, QuerySet, Value

T = TypeVar("T")

_BIGINT = 2**63
# The longest text a cursor may carry, unless its key says otherwise.
TEXT_MAX = 300


# --- The key ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Key:
    """One column of a list's sort key.

    `path` is the ORM path (`"id"`, `"resident__search_name"`, or an annotation such as `"rank"`);
    `kind` says what a cursor may carry for it: "id", "text", "number", "moment" or "date".
    """

    path: str
    kind: str = "id"
    descending: bool = False
    max_length: int = TEXT_MAX


Keyset = Sequence[Key]


def _valid_id(value: Any, key: Key) -> bool:
    return type(value) is int and -_BIGINT <= value < _BIGINT


def _valid_text(value: Any, key: Key) -> bool:
    if type(value) is not str or len(value) > key.max_length or "\x00" in value:
        return False
    try:
        value.encode()  # a lone surrogate ("\ud800" in the JSON) is no text PostgreSQL takes
    except UnicodeEncodeError:
        return False
    return True


def _valid_number(value: Any, key: Key) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _valid_moment(value: Any, key: Key) -> bool:
    """A moment as cursors carry it: an ISO date and time with its offset."""
    if type(value) is not str or len(value) > 40:
        return False
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _valid_date(value: Any, key: Key) -> bool:
    if type(value) is not str or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


_VALID: dict[str, Callable[[Any, Key], bool]] = {
    "id": _valid_id,
    "text": _valid_text,
    "number": _valid_number,
    "moment": _valid_moment,
    "date": _valid_date,
}
_READ: dict[str, Callable[[Any], Any]] = {
    "moment": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
}


# --- Cursors ---------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def encode_cursor(values: Sequence[Any]) -> str:
    """The key values of a row as a URL-safe token (dates and moments in ISO form)."""
    plain = [_plain(v) for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _longest(keys: Keyset) -> int:
    # Each character of a text escaped as \uXXXX in the JSON, then base64's 4 for 3.
    text = sum(k.max_length * 6 for k in keys if k.kind == "text")
    return 4 * (text + 64 * len(keys)) // 3 + 4


def decode_cursor(token: str, keys: Keyset) -> list[Any] | None:
    """The key values in a cursor (dates and moments as such), or None: the first page then.

    None for a missing or tampered cursor: bad base64 or JSON, another shape, or a value the
    key's column could not hold. A key of one id also takes the bare id the first lists'
    links carried (`?before=123`), so their old links still work.
    """
    if not token or len(token) > _longest(keys):
        return None
    if len(keys) == 1 and keys[0].kind == "id" and token.isascii() and token.isdigit():
        number = int(token)
        return [number] if 0 < number < _BIGINT else None
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    if not all(_VALID[k.kind](v, k) for k, v in zip(keys, values, strict=True)):
        return None
    return [_READ.get(k.kind, _same)(v) for k, v in zip(keys, values, strict=True)]


def _same(value: Any) -> Any:
    return value


# --- The seek --------------------------------------------------------------------------------
class _RowComparison(Expression):
    """`(a, b, c) > (%s, %s, %s)`: one condition a (a, b, c) index answers in order."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, columns: list[Any], values: list[Any], operator: str) -> None:
        super().__init__()
        self.columns, self.values, self.operator = columns, values, operator

    def get_source_expressions(self) -> list[Any]:
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.columns, self.values = (
            list(exprs[: len(self.columns)]),
            list(exprs[len(self.columns) :]),
        )

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        sides: list[str] = []
        params: list[Any] = []
        for group in (self.columns, self.values):
            parts = []
            for expression in group:
                sql, sql_params = compiler.compile(expression)
                parts.append(sql)
                params.extend(sql_params)
            sides.append(", ".join(parts))
        return f"(({sides[0]}) {self.operator} ({sides[1]}))", tuple(params)


def _descending(keys: Keyset, backwards: bool) -> bool:
    return keys[0].descending != backwards


def seek(
    queryset: QuerySet,
    keys: Keyset,
    values: Sequence[Any],
    *,
    backwards: bool = False,
    inclusive: bool = False,
) -> QuerySet:
    """The rows after these key values in the key's order (before them when `backwards`)."""
    if len({k.descending for k in keys}) != 1:
        raise ValueError("every column of a keyset goes the same way")
    operator = ("<" if _descending(keys, backwards) else ">") + ("=" if inclusive else "")
    columns = [F(k.path) for k in keys]
    return queryset.filter(_RowComparison(columns, [Value(v) for v in values], operator))


def ordered(queryset: QuerySet, keys: Keyset, *, backwards: bool = False) -> QuerySet:
    sign = "-" if _descending(keys, backwards) else ""
    return queryset.order_by(*[sign + k.path for k in keys])


def key_of(row: Any, keys: Keyset) -> list[Any]:
    """A row's key values, read along each key's path (`resident__search_name`)."""
    values = []
    for key in keys:
        value = row
        for part in key.path.split("__"):
            value = getattr(value, part)
        values.append(value)
    return values


# --- The page --------------------------------------------------------------------------------
@dataclass
class Page(Generic[T]):
    """One page of a keyset list: its rows, and the cursors of the pages either side ("" at an
    end of the list)."""

    items: list[T] = field(default_factory=list)
    next_cursor: str = ""
    prev_cursor: str = ""

    @property
    def first(self) -> bool:
        return not self.prev_cursor

    @property
    def last(self) -> bool:
        return not self.next_cursor


def paginate(
    queryset: QuerySet,
    keys: Keyset,
    *,
    after: str = "",
    before: str = "",
    last: bool = False,
    start: Sequence[Any] | None = None,
    page_size: int,
) -> Page[Any]:
    """One page of `queryset` in the key's order: one query, whatever the depth.

    `after` (a cursor) reads the page after a row, `before` the page before one, `last` the
    list's last page (read backwards from its end), `start` the page after a key that no row
    need have (a jump to a day or a name). A tampered cursor is none.
    """
    backwards = last
    cursor = decode_cursor(after, keys)
    if cursor is None and (cursor := decode_cursor(before, keys)) is not None:
        backwards = True
    if cursor is None and not last and start is not None:
        cursor = list(start)
    if cursor is not None:
        queryset = seek(queryset, keys, cursor, backwards=backwards)
    rows = list(ordered(queryset, keys, backwards=backwards)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    page: Page[Any] = Page(items=rows)
    if rows:
        more_after = has_more if not backwards else not last
        more_before = (cursor is not None) if not backwards else has_more
        if more_after:
            page.next_cursor = encode_cursor(key_of(rows[-1], keys))
        if more_before:
            page.prev_cursor = encode_cursor(key_of(rows[0], keys))
    return page
