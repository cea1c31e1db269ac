"""Validators and cleaners every app can use on free text and uploaded file names."""

from __future__ import annotations

import os
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Bidirectional embeddings, overrides and isolates: they can make text display differently
# from what it is ("Trojan Source"). Zero-width (non-)joiners stay: Khmer and others need them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ALLOWED_CONTROLS = frozenset("\t\n\r")


def forbidden_characters(value: str) -> list[str]:
    """The control or bidi-override characters in `value`, as U+XXXX codes."""
    found = []
    for char in value:
        if char in ALLOWED_CONTROLS:
            continue
        if char in BIDI_CONTROLS or unicodedata.category(char) == "Cc":
            found.append(f"U+{ord(char):04X}")
    return sorted(set(found))


def reject_control_characters(value: str) -> None:
    """Refuse invisible control and direction-override characters in a name or other text."""
    found = forbidden_characters(value or "")
    if found:
        raise ValidationError(
            _("Remove the invisible control characters (%(chars)s) from this text."),
            code="control_characters",
            params={"chars": ", ".join(found)},
        )


_SAFE_NAME_PUNCTUATION = frozenset("._-() ")
MAX_UPLOAD_NAME = 100


def _safe_name_char(c: str) -> str:
    # Letters, digits and combining marks of every script (Khmer vowel signs and coeng are marks,
    # which `\w` alone would drop) and a little punctuation; anything else becomes "_".
    if c in _SAFE_NAME_PUNCTUATION or c.isalnum() or unicodedata.category(c).startswith("M"):
        return c
    return "_"


def safe_upload_name(name: str, *, default: str = "upload") -> str:
    """A storage-safe base name for an uploaded file: never a path, never hidden, never empty.

    Directory parts (either slash), control characters and other punctuation are dropped, so
    '../../etc/passwd' becomes 'passwd' and 'C:\\x\\photo.jpg' becomes 'photo.jpg'.
    """
    name = unicodedata.normalize("NFKC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if c not in BIDI_CONTROLS and unicodedata.category(c) != "Cc")
    name = re.sub("_{2,}", "_", "".join(map(_safe_name_char, name))).strip(" ._")
    stem, ext = os.path.splitext(name)
    stem, ext = stem[: MAX_UPLOAD_NAME - len(ext[:10])], ext[:10]
    return f"{stem}{ext}" if stem else default


_ID_MAX = 2**63 - 1


def parse_id(text: str | None) -> int | None:
    """A database id typed in a query or form value, or None for anything else.

    `str.isdigit` alone lets through digits `int` refuses ("²") and numbers no bigint holds.
    """
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if value <= _ID_MAX else None
