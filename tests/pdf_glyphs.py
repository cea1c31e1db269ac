"""Glyph-level checks of the PDFs the IMS makes: extracted text cannot see a broken cluster."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from cards import pdf

# WeasyPrint writes text as hex strings of four-digit glyph ids, e.g. <00120047>.
_HEX_TEXT = re.compile(rb"<([0-9A-Fa-f]{4,})>")


def _shows_glyph_zero(stream: bytes) -> bool:
    for run in _HEX_TEXT.findall(stream):
        if any(run[i : i + 4] == b"0000" for i in range(0, len(run) - 3, 4)):
            return True
    return False


def _dotted_circle_glyph_ids(font: object) -> set[int]:
    """Glyph ids of the packaged font that draw a dotted circle: U+25CC itself, and the glyphs
    of the Khmer vowels and signs that Noto Sans Khmer draws on a dotted circle when they stand
    alone (those with at least as many contours as the dotted circle)."""
    cmap, glyf = font.getBestCmap(), font["glyf"]  # type: ignore[attr-defined]
    circle = glyf[cmap[0x25CC]].numberOfContours
    marks = [c for c in range(0x17B6, 0x17D4) if c in cmap]
    names = [cmap[0x25CC]] + [cmap[c] for c in marks if glyf[cmap[c]].numberOfContours >= circle]
    return {font.getGlyphID(name) for name in names}  # type: ignore[attr-defined]


def broken_glyphs(content: bytes) -> list[str]:
    """Name every dotted circle (a shaper's broken cluster) or .notdef drawn in a PDF.

    WeasyPrint's subsets keep the packaged font's glyph ids and empty every glyph not drawn, so
    a dotted-circle glyph with an outline in a subset was drawn; so was .notdef when any text
    run of the page shows glyph 0.
    """
    from fontTools.ttLib import TTFont

    dotted = set()
    for path in pdf.card_font_files().values():
        dotted |= _dotted_circle_glyph_ids(TTFont(path))
    found = []
    for number, page in enumerate(PdfReader(io.BytesIO(content)).pages, start=1):
        glyph_zero = _shows_glyph_zero(page.get_contents().get_data())
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                subset = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
                glyf, order = subset["glyf"], subset.getGlyphOrder()
                # The dotted-circle ids are the Khmer face's; other faces (OCR-B) number apart.
                for gid in sorted(dotted) if "Khmer" in str(font["/BaseFont"]) else []:
                    if gid < len(order) and glyf[order[gid]].numberOfContours:
                        found.append(f"page {number}: dotted circle in {font['/BaseFont']}")
                if glyph_zero and glyf[order[0]].numberOfContours:
                    found.append(f"page {number}: .notdef drawn in {font['/BaseFont']}")
    return found
