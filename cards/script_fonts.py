"""The faces of names in own script on the card: Noto from the @fontsource npm packages.

Each package cuts its face by Unicode range into many small WOFF2 files (a Chinese face into
about a hundred). WeasyPrint honours `unicode-range` and decodes WOFF2 (with brotli), so the card
renderer declares only the pieces that the names of the cards it lays out draw, once per thread
(see cards.pdf._renderer): a run of Chinese names loads the pieces holding their characters,
never the whole face, and each piece is embedded in the PDF as a subset of what it drew.

Each piece is declared as a family of its own ("Card SC 57"), listed in the name's own font stack:
WeasyPrint tells the fonts it embeds apart by family, weight and size, so pieces of one family
would all be embedded as the first piece drawn (other pieces' glyphs drawn from the wrong file).

A name is drawn in one face, chosen by its characters and the holder's nationality: Han
characters differ in shape between Chinese (simplified or traditional), Japanese and Korean, so
a Japanese national's kanji come from the Japanese face, a Taiwanese's from the traditional one.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from django.conf import settings

# The weight the card draws names in (they are bold, `b`).
WEIGHT = 700


@dataclass(frozen=True)
class ScriptFamily:
    key: str  # CSS class of the name on the card, and the family "Card <key>"
    package: str  # the @fontsource package

    @property
    def css_family(self) -> str:
        return f"Card {self.key}"


FAMILIES = {
    family.key: family
    for family in [
        ScriptFamily("SC", "noto-sans-sc"),
        ScriptFamily("TC", "noto-sans-tc"),
        ScriptFamily("JP", "noto-sans-jp"),
        ScriptFamily("KR", "noto-sans-kr"),
        ScriptFamily("Thai", "noto-sans-thai"),
        ScriptFamily("Lao", "noto-sans-lao"),
        ScriptFamily("Myanmar", "noto-sans-myanmar"),
        ScriptFamily("Arabic", "noto-sans-arabic"),
        ScriptFamily("Hebrew", "noto-sans-hebrew"),
        ScriptFamily("Devanagari", "noto-sans-devanagari"),
        ScriptFamily("Bengali", "noto-sans-bengali"),
        ScriptFamily("Tamil", "noto-sans-tamil"),
        ScriptFamily("Georgian", "noto-sans-georgian"),
        ScriptFamily("Armenian", "noto-sans-armenian"),
    ]
}
NOT_CJK = ["Thai", "Lao", "Myanmar", "Arabic", "Hebrew", "Devanagari", "Bengali", "Tamil",
           "Georgian", "Armenian"]  # fmt: skip
# Where Han characters are written in traditional forms.
TRADITIONAL = {"TW", "HK", "MO"}


@dataclass(frozen=True)
class Piece:
    """One file of a family, and the code points it draws."""

    family: ScriptFamily
    name: str  # the package's name of the piece: "57", "thai", "latin-ext"
    path: Path
    ranges: tuple[tuple[int, int], ...]

    @property
    def css_family(self) -> str:
        return f"{self.family.css_family} {self.name}"

    def css(self) -> str:
        ranges = ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in self.ranges)
        return (
            f'@font-face {{ font-family: "{self.css_family}"; '
            f'src: url("{truetype(self.path).as_uri()}"); font-weight: {WEIGHT}; '
            f"unicode-range: {ranges}; }}"
        )


def cache_dir() -> Path:
    # Inside cards.pdf.font_cache_dir(), which the card renderer may read.
    return Path(tempfile.gettempdir()) / "gdi_ims_card_fonts" / "script"


def truetype(source: Path) -> Path:
    """The piece decoded from WOFF2 to TrueType, once per machine (and package version).

    fontTools decodes a Chinese piece's glyphs in pure Python, most of a second; WeasyPrint
    would do it again in every thread that declares the piece.
    """
    stat = source.stat()
    stem = source.name.removesuffix(".woff2")
    target = cache_dir() / f"{stem}-{stat.st_size}-{int(stat.st_mtime)}.ttf"
    if not target.exists():
        from fontTools.ttLib import woff2

        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: two workers decoding at once never read half a file.
        partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
        with source.open("rb") as woff, partial.open("wb") as out:
            woff2.decompress(woff, out)
        os.replace(partial, target)
    return target


def font_root() -> Path:
    return Path(settings.SCRIPT_FONT_DIR)


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for part in text.split(","):
        start, _dash, end = part.strip().removeprefix("U+").removeprefix("u+").partition("-")
        ranges.append((int(start, 16), int(end or start, 16)))
    return tuple(ranges)


@cache
def pieces(key: str) -> dict[int, Piece]:
    """Code point -> the piece of family `key` that draws it (from the package's unicode.json)."""
    family = FAMILIES[key]
    folder = font_root() / family.package
    table = json.loads((folder / "unicode.json").read_text())
    found: dict[int, Piece] = {}
    for label, ranges in table.items():
        name = label.strip("[]")
        path = folder / "files" / f"{family.package}-{name}-{WEIGHT}-normal.woff2"
        if not path.exists():
            continue
        piece = Piece(family, name, path, _ranges(ranges))
        for start, end in piece.ranges:
            for point in range(start, end + 1):
                found.setdefault(point, piece)
    return found


def preference(text: str, nationality: str) -> list[str]:
    """The families to try for a name, most fitting first."""
    points = {ord(c) for c in text}
    if any(0x3040 <= p <= 0x30FF for p in points):  # kana
        cjk = ["JP", "SC", "TC", "KR"]
    elif any(
        0x1100 <= p <= 0x11FF or 0xAC00 <= p <= 0xD7AF or 0x3130 <= p <= 0x318F for p in points
    ):  # fmt: skip  (hangul)
        cjk = ["KR", "SC", "TC", "JP"]
    elif nationality == "JP":
        cjk = ["JP", "TC", "SC", "KR"]
    elif nationality == "KR" or nationality == "KP":
        cjk = ["KR", "TC", "SC", "JP"]
    elif nationality in TRADITIONAL:
        cjk = ["TC", "SC", "JP", "KR"]
    else:
        cjk = ["SC", "TC", "JP", "KR"]
    return cjk + NOT_CJK


@lru_cache(maxsize=4096)
def family_for(text: str, nationality: str, drawn_already: frozenset[int]) -> str | None:
    """The key of the family that draws every character of `text` the card's own faces lack:
    "" when they lack none, None when no packaged family draws them all."""
    missing = {ord(c) for c in text if not c.isspace()} - drawn_already
    if not missing:
        return ""
    for key in preference(text, nationality):
        table = pieces(key)
        if all(point in table for point in missing):
            return key
    return None


def pieces_for(text: str, key: str, drawn_already: frozenset[int]) -> list[Piece]:
    """The pieces of family `key` that draw the characters of `text` the card's faces lack, in
    the order the text first needs them."""
    if not key:
        return []
    table = pieces(key)
    needed = (table[ord(c)] for c in text if ord(c) not in drawn_already and not c.isspace())
    return list(dict.fromkeys(needed))


def font_faces(needed: Iterable[Piece]) -> str:
    """The @font-face rules of the pieces, in a stable order."""
    return "\n".join(piece.css() for piece in sorted(needed, key=lambda p: str(p.path)))
