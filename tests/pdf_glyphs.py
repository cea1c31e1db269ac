"""Glyph-level checks of the PDFs the IMS makes: extracted text cannot see a broken cluster."""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

from pypdf import PdfReader

from cards import pdf, script_fonts

# WeasyPrint writes text as hex strings of four-digit glyph ids, e.g. <00120047>.
_HEX_TEXT = re.compile(rb"<([0-9A-Fa-f]{4,})>")


def _shows_glyph_zero(stream: bytes) -> bool:
    for run in _HEX_TEXT.findall(stream):
        if any(run[i : i + 4] == b"0000" for i in range(0, len(run) - 3, 4)):
            return True
    return False


def _dotted_circle_glyph_ids(font: object) -> set[int]:
    """Glyph ids of a packaged font that draw a dotted circle: U+25CC itself (which a shaper
    puts before a mark it cannot attach, in any script), and for the Khmer face the glyphs of
    the Khmer vowels and signs that Noto Sans Khmer draws on a dotted circle when they stand
    alone (those with at least as many contours as the dotted circle)."""
    cmap, glyf = font.getBestCmap(), font["glyf"]  # type: ignore[attr-defined]
    if 0x25CC not in cmap:
        return set()
    circle = glyf[cmap[0x25CC]].numberOfContours
    marks = [c for c in range(0x17B6, 0x17D4) if c in cmap]
    names = [cmap[0x25CC]] + [cmap[c] for c in marks if glyf[cmap[c]].numberOfContours >= circle]
    return {font.getGlyphID(name) for name in names}  # type: ignore[attr-defined]


@cache
def source_font(name: str) -> Path | None:
    """The packaged font file behind a face name the IMS's PDFs embed ("Card-SC-57-Bold"), or
    None for a face that is not the IMS's own."""
    fixed = {
        "Card-Khmer": pdf.card_font_files()[400],
        "Card-Khmer-Bold": pdf.card_font_files()[700],
        "Card-Latin": pdf.latin_font_files()[400],
        "Card-Latin-Bold": pdf.latin_font_files()[700],
        "Card-OCR-B": pdf.ocrb_font_file(),
        "Noto-Sans-Khmer": pdf.khmer_font_file(),
    }
    if name in fixed:
        return fixed[name]
    if name.startswith("Noto-Sans-Khmer-"):  # the HQ report's weights of the variable face
        return pdf.khmer_font_file()
    key, _dash, piece_name = name.removeprefix("Card-").removesuffix("-Bold").partition("-")
    if not name.startswith("Card-") or key not in script_fonts.FAMILIES:
        return None
    for piece in script_fonts.pieces(key).values():
        if piece.name == piece_name:
            return script_fonts.truetype(piece.path)
    return None


@cache
def _dotted_in(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(_dotted_circle_glyph_ids(TTFont(path)))


def canvases(page: object) -> list[tuple[bytes, dict]]:
    """(content, fonts) of a page and of every form XObject it draws, each once.

    The card's pages draw the text every card shares from a form (cards.pdf): its fonts are
    the form's own, and so are the glyph ids it shows.
    """

    def entries(resources: dict, key: str) -> dict:
        # pypdf resolves an indirect entry on [], not on .get
        return resources[key] if key in resources else {}  # noqa: SIM401

    found = [(page.get_contents().get_data(), entries(page["/Resources"], "/Font"))]  # type: ignore[attr-defined,index]
    pending, seen = [page["/Resources"]], set()  # type: ignore[index]
    while pending:
        for reference in entries(pending.pop(), "/XObject").values():
            form = reference.get_object()
            if form["/Subtype"] != "/Form" or reference.idnum in seen:
                continue
            seen.add(reference.idnum)
            found.append((form.get_data(), entries(form["/Resources"], "/Font")))
            pending.append(form["/Resources"])
    return found


def face_name(font: object) -> str:
    """The embedded face's name without its subset tag: "Card-Khmer-Bold"."""
    return str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]  # type: ignore[index]


def broken_glyphs(content: bytes) -> list[str]:
    """Name every dotted circle (a shaper's broken cluster) or .notdef drawn in a PDF, and
    every embedded face that is not one of the IMS's packaged fonts (the machine's own), on
    its pages and in the forms they draw.

    WeasyPrint's subsets keep the packaged font's glyph ids and empty every glyph not drawn, so
    a dotted-circle glyph with an outline in a subset was drawn; so was .notdef when any text
    run of the page shows glyph 0.
    """
    from fontTools.ttLib import TTFont

    found, seen = [], set()
    for number, page in enumerate(PdfReader(io.BytesIO(content)).pages, start=1):
        for stream, fonts in canvases(page):
            glyph_zero = _shows_glyph_zero(stream)
            for reference in fonts.values():
                font = reference.get_object()
                name = face_name(font)
                source = source_font(name)
                # Pages share their fonts: a face's subset is judged once, on the first page.
                first = reference.idnum not in seen
                seen.add(reference.idnum)
                if source is None and first:
                    found.append(f"page {number}: {name} is not a packaged font")
                for descendant in font.get("/DescendantFonts", []):
                    descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                    subset = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
                    glyf, order = subset["glyf"], subset.getGlyphOrder()
                    for gid in sorted(_dotted_in(source)) if source and first else []:
                        if gid < len(order) and glyf[order[gid]].numberOfContours:
                            found.append(f"page {number}: dotted circle in {name}")
                    if glyph_zero and glyf[order[0]].numberOfContours:
                        found.append(f"page {number}: .notdef drawn in {name}")
    return found
