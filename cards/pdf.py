"""Card PDFs with WeasyPrint: ID-1 pages (85.6 x 54 mm), front and back, Khmer and English.

Laid out the way ICAO 9303 lays out a TD1 identity card: the front holds the holder's photo and
identity (surname and given names apart, the names in Khmer and in their own script,
nationality, sex, date of birth, card number, date of expiry); the back the date of issue, the
issuing province, the QR code of the public check and the machine-readable zone (cards.mrz).

The Khmer face comes from the fontpkg-noto-sans-khmer package, Noto Sans (for the Latin, Greek
and Cyrillic letters of names in own script the Khmer face lacks) from fontpkg-noto-sans, the
faces of the other scripts names are written in (Chinese, Japanese, Korean, Thai, Arabic...) from
the @fontsource npm packages (cards.script_fonts) and OCR-B from PyUPC-EAN; all are embedded
through @font-face, so a card never depends on the fonts of the machine that prints it.
What every card prints alike (backgrounds, the band and title, the labels whose place never
moves) is laid out once per thread (pdf/card_fixed.html) and stored once in the PDF, as a form
each page draws under its card's own values (pdf/cards.html).
The renderer fetches nothing from outside: `LocalFileFetcher` serves `data:` URIs and files under
the project's own folders (the font packages, static files, media) and refuses everything else.
"""

from __future__ import annotations

import base64
import gc
import io
import mimetypes
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import segno
from babel import Locale
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_countries import countries
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    NameObject,
)
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from cards import mrz, script_fonts
from cards.models import ResidenceCard
from core import formats

# What the QR code of a specimen carries instead of the card's validity address: a preview is
# looked at on screen and may be printed anywhere, so it never carries the live token.
SPECIMEN_QR_PAYLOAD = "SPECIMEN - NOT A VALID CARD"

# Cards rendered per WeasyPrint document in a print run: the run's progress moves per chunk, the
# memory held is one chunk's layout, and the chunks' PDFs are joined into the run's one PDF.
CHUNK_SIZE = 25


def khmer_font_file() -> Path:
    return sorted(Path(settings.KHMER_FONT_DIR).glob("NotoSansKhmer*.ttf"))[0]


def ocrb_font_file() -> Path:
    # The TrueType build: its subset is embedded like the Khmer face's (FontFile2).
    return Path(settings.OCRB_FONT_DIR) / "OCRB.ttf"


def font_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "gdi_ims_card_fonts"


def latin_font_file() -> Path:
    return Path(settings.LATIN_FONT_DIR) / "NotoSans[wdth,wght].ttf"


def card_font_files() -> dict[int, Path]:
    """Static regular (400) and bold (700) instances of the packaged variable Khmer font.

    Made once per machine and reused: with a variable font, WeasyPrint instantiates the weights
    at every PDF it writes, which is most of a single card's rendering time.
    """
    return static_instances(khmer_font_file())


def latin_font_files() -> dict[int, Path]:
    """The same of Noto Sans: the Latin (Vietnamese included), Greek and Cyrillic letters of the
    names in own script that the Khmer face lacks."""
    return static_instances(latin_font_file())


def static_instances(source: Path) -> dict[int, Path]:
    stat = source.stat()
    folder = font_cache_dir()
    files = {w: folder / f"{source.stem}-{stat.st_size}-{int(stat.st_mtime)}-{w}.ttf"
             for w in (400, 700)}  # fmt: skip
    missing = [w for w, path in files.items() if not path.exists()]
    if missing:
        from fontTools.ttLib import TTFont
        from fontTools.varLib import instancer

        folder.mkdir(parents=True, exist_ok=True)
        for weight in missing:
            font = instancer.instantiateVariableFont(
                TTFont(source), {"wght": weight, "wdth": 100}, updateFontNames=False
            )
            # Written aside then renamed: two workers starting at once never read half a file.
            partial = files[weight].with_suffix(f".{os.getpid()}.part")
            font.save(partial)
            os.replace(partial, files[weight])
    return files


def allowed_roots() -> list[Path]:
    return [
        Path(settings.KHMER_FONT_DIR).resolve(),
        Path(settings.OCRB_FONT_DIR).resolve(),
        font_cache_dir().resolve(),
        Path(settings.SCRIPT_FONT_DIR).resolve(),
        (Path(settings.BASE_DIR) / "static").resolve(),
        Path(settings.MEDIA_ROOT).resolve(),
    ]


class RefusedURL(ValueError):
    """A resource the card renderer must not fetch."""


class LocalFileFetcher(URLFetcher):
    """Fetch `data:` URIs and the project's own files; refuse the network and the rest of disk."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)

    def fetch(self, url: str, headers: dict[str, str] | None = None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if any(path.is_relative_to(root) for root in allowed_roots()):
                return super().fetch(url, headers)
        raise RefusedURL(f"Refused to fetch {url[:200]}")


def verify_url(card: ResidenceCard) -> str:
    """The public validity address a card's QR code carries (token, never the card's id)."""
    base = settings.CARDS_PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("cards:verify", args=[card.token])


def qr_data_uri(url: str) -> str:
    """The QR code as a tiny PNG (one pixel per module), scaled up crisply by the stylesheet.

    A fixed mask skips segno's evaluation of all eight (most of the encoding time); any mask is
    valid for readers. A PNG draws far faster in the PDF than an SVG of the same code.
    """
    return segno.make(url, error="m", micro=False, mask=0).png_data_uri(scale=1, border=2)


def _photo_uri(card: ResidenceCard) -> str:
    photo = card.resident.photo
    if not photo:
        return ""
    try:
        return Path(photo.path).resolve().as_uri()
    except NotImplementedError:  # a storage without local paths: inline the image
        kind = mimetypes.guess_type(photo.name or "")[0] or "image/jpeg"
        with photo.open("rb") as handle:
            return f"data:{kind};base64,{base64.b64encode(handle.read()).decode()}"


def _both(text: str) -> tuple[str, str]:
    """(Khmer, English) of one msgid."""
    with translation.override("km"):
        km = _(text)
    with translation.override("en"):
        en = _(text)
    return km, en


def card_labels() -> dict[str, tuple[str, str]]:
    return {
        "kingdom": _both(gettext_noop("Kingdom of Cambodia")),
        "title": _both(gettext_noop("Permanent residence card")),
        "department": _both(gettext_noop("General Department of Immigration")),
        "surname": _both(gettext_noop("Surname")),
        "given_names": _both(gettext_noop("Given names")),
        "name_km": _both(gettext_noop("Name in Khmer")),
        "name_native": _both(gettext_noop("Name in own script")),
        "nationality": _both(gettext_noop("Nationality")),
        "sex": _both(gettext_noop("Sex")),
        "date_of_birth": _both(gettext_noop("Date of birth")),
        "number": _both(gettext_noop("Card No.")),
        "issue_date": _both(gettext_noop("Date of issue")),
        "expiry_date": _both(gettext_noop("Date of expiry")),
        "province": _both(gettext_noop("Issuing province")),
        "scan": _both(gettext_noop("Scan to check that this card is valid today")),
        "no_photo": _both(gettext_noop("No photo")),
        "specimen": _both(gettext_noop("SPECIMEN")),
        "specimen_note": _both(gettext_noop("Specimen: not a valid card")),
    }


@dataclass(frozen=True)
class CardFace:
    """Everything printed on one card, already formatted."""

    number: str
    surname: str
    given_names: str
    name_km: str
    name_native: str
    # The font stack of the name in own script: the card's Latin face, then the pieces of the
    # packaged face chosen for it (cards.script_fonts), then the Khmer face.
    native_fonts: str
    nationality: tuple[str, str]
    sex: tuple[str, str]
    date_of_birth: str
    issue_date: str
    expiry_date: str
    province: tuple[str, str]
    photo: str
    qr: str
    mrz: tuple[str, str, str]
    specimen: bool = False


@lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    """The code points the card's own text faces draw (Khmer; Latin, Greek and Cyrillic)."""
    from fontTools.ttLib import TTFont

    khmer, latin = TTFont(card_font_files()[400]), TTFont(latin_font_files()[400])
    return frozenset(khmer.getBestCmap()) | frozenset(latin.getBestCmap())


def native_name_family(name: str, nationality: str) -> str | None:
    """The family of cards.script_fonts that draws the name in own script ("" for the card's own
    faces), or None when no packaged face draws all of it."""
    return script_fonts.family_for(name, nationality, _drawable())


def native_font_stack(name: str, nationality: str) -> str:
    family = native_name_family(name, nationality)
    pieces = script_fonts.pieces_for(name, family, _drawable()) if family else []
    families = ["Card Latin", *(p.css_family for p in pieces), "Card Khmer"]
    return ", ".join(f"'{f}'" for f in families)


def printable_native_name(name: str, nationality: str = "") -> str:
    """The name in own script if a packaged face draws every character, else "".

    A name in a script no packaged font draws would be drawn as empty boxes or taken from the
    machine's fonts; the card leaves the field out instead.
    """
    return name if native_name_family(name, nationality) is not None else ""


def nationality_names(alpha2: str) -> tuple[str, str]:
    """(Khmer, English) name of a country: Khmer from the CLDR data Babel ships."""
    with translation.override("en"):
        english = str(countries.name(alpha2))
    # CLDR writes some Khmer names with zero-width spaces between words; a card's field is one line.
    khmer = Locale.parse("km").territories.get(alpha2, english).replace("\u200b", "")
    return khmer, english


def card_face(card: ResidenceCard, *, specimen: bool = False) -> CardFace:
    resident = card.resident
    with translation.override("km"):
        sex_km = str(resident.get_sex_display())
    with translation.override("en"):
        sex_en = str(resident.get_sex_display())
    zone = mrz.td1(
        card_number=card.number,
        surname=resident.surname,
        given_names=resident.given_names,
        nationality=resident.nationality.code,  # type: ignore[attr-defined]  # a Country (django-countries); the plugin types a CharField's str
        sex=resident.sex,
        date_of_birth=resident.date_of_birth,
        expiry_date=card.expiry_date,
    )
    country = resident.nationality.code  # type: ignore[attr-defined]  # a Country (django-countries); the plugin types a CharField's str
    native = printable_native_name(resident.name_native, country)
    return CardFace(
        number=card.number,
        surname=resident.surname,
        given_names=resident.given_names,
        name_km=resident.name_km,
        name_native=native,
        native_fonts=native_font_stack(native, country),
        nationality=nationality_names(country),
        sex=(sex_km, sex_en),
        date_of_birth=formats.day(resident.date_of_birth),
        issue_date=formats.day(card.issue_date),
        expiry_date=formats.day(card.expiry_date),
        province=(card.province.name_km, card.province.name_en),
        photo=_photo_uri(card),
        qr=qr_data_uri(SPECIMEN_QR_PAYLOAD if specimen else verify_url(card)),
        mrz=zone.lines,
        specimen=specimen,
    )


def _stylesheet(font_config: FontConfiguration, fetcher: URLFetcher) -> CSS:
    fonts, latin = card_font_files(), latin_font_files()
    css = render_to_string(
        "pdf/card.css",
        {
            "font_regular": fonts[400].as_uri(),
            "font_bold": fonts[700].as_uri(),
            "font_latin_regular": latin[400].as_uri(),
            "font_latin_bold": latin[700].as_uri(),
            "font_ocrb": ocrb_font_file().as_uri(),
        },
    )
    return CSS(string=css, font_config=font_config, url_fetcher=fetcher)


def _skip_empty_margin_boxes() -> None:
    """Have WeasyPrint lay out a page's margin boxes only when one of them has content.

    WeasyPrint builds and sizes all sixteen margin boxes of every page (@top-left to
    @bottom-right-corner) before it finds that none is generated; with the card's pages, which
    have none, that was half of an empty page's layout. A page with a generated box (the HQ
    report's page numbers) is laid out by WeasyPrint's own function, unchanged; one without
    gets none, which is what WeasyPrint yields for it too. Installed once per process.
    """
    from weasyprint import layout
    from weasyprint.layout import page as page_layout

    if getattr(layout.make_margin_boxes, "skips_empty", False):
        return
    keywords = [f"@{name}" for name in MARGIN_BOXES]

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
        for keyword in keywords:
            style = context.style_for(page.page_type, keyword)
            if style is not None and style["content"] not in ("normal", "inhibit", "none"):
                yield from page_layout.make_margin_boxes(context, page, state)
                return

    make_margin_boxes.skips_empty = True  # type: ignore[attr-defined]
    layout.make_margin_boxes = make_margin_boxes


# The margin boxes weasyprint.layout.page.make_margin_boxes lays out.
MARGIN_BOXES = (
    [f"{side}-{place}" for side in ("top", "bottom") for place in ("left", "center", "right")]
    + [f"{side}-{place}" for side in ("left", "right") for place in ("top", "middle", "bottom")]
    + [f"{side}-{corner}-corner" for side in ("top", "bottom") for corner in ("left", "right")]
)
_skip_empty_margin_boxes()

_local = threading.local()


@dataclass
class _Renderer:
    key: tuple[str, ...]
    font_config: FontConfiguration
    fetcher: URLFetcher
    stylesheet: CSS
    # The pieces of the own-script faces (cards.script_fonts) already declared to font_config.
    pieces: set[script_fonts.Piece]
    # The layer every card shares (pdf/card_fixed.html), as PDF, by its labels and specimen mark.
    fixed: dict[tuple[object, ...], bytes] = field(default_factory=dict)


def _renderer() -> _Renderer:
    """The font configuration, fetcher and stylesheet, made once per thread and reused.

    Loading the @font-face fonts and parsing the stylesheet is half of a single card's rendering;
    WeasyPrint lets documents share them. One per thread, as Pango's objects are not shared
    across threads.
    """
    key = tuple(str(path) for path in [*card_font_files().values(), *latin_font_files().values()])
    cached = getattr(_local, "renderer", None)
    if cached is None or cached.key != key:
        font_config = FontConfiguration()
        fetcher = LocalFileFetcher()
        cached = _Renderer(key, font_config, fetcher, _stylesheet(font_config, fetcher), set())
        _local.renderer = cached
    return cached


def _declare_own_script_pieces(cards: Sequence[ResidenceCard]) -> None:
    """Declare to the thread's font configuration the pieces of the own-script faces that the
    names of `cards` draw and that no earlier document declared.

    A Chinese face is a hundred files: declaring them all would cost seconds per thread and
    most would never draw. Declared pieces stay in the configuration for later documents. A
    print run declares the pieces of all its cards before its first chunk: each declaration
    makes Pango drop its caches, which the next document pays for.
    """
    renderer, drawn = _renderer(), _drawable()
    needed = set()
    for card in cards:
        name, nationality = card.resident.name_native, card.resident.nationality.code  # type: ignore[attr-defined]  # a Country (django-countries); the plugin types a CharField's str
        family = native_name_family(name, nationality)
        if family:
            needed.update(script_fonts.pieces_for(name, family, drawn))
    new = needed - renderer.pieces
    if new:
        CSS(
            string=script_fonts.font_faces(new),
            font_config=renderer.font_config,
            url_fetcher=renderer.fetcher,
        )
        renderer.pieces |= new


def _html(
    cards: Sequence[ResidenceCard],
    labels: dict[str, tuple[str, str]],
    title: str,
    *,
    specimen: bool = False,
) -> str:
    _declare_own_script_pieces(cards)
    return render_to_string(
        "pdf/cards.html",
        {
            "faces": [card_face(c, specimen=specimen) for c in cards],
            "labels": labels,
            "title": title,
        },
    )


def _fixed_layer(labels: dict[str, tuple[str, str]], *, specimen: bool) -> bytes:
    """The front and back that every card of a print run shares, laid out once per thread.

    The band, the title and the labels whose place never moves are the same on every card:
    laying them out and drawing them on each card was most of a card's text (and the Khmer
    label lines cost the most to shape). Each card's pages then hold its own values alone.
    """
    renderer = _renderer()
    key = (tuple(sorted(labels.items())), specimen)
    if key not in renderer.fixed:
        html = render_to_string("pdf/card_fixed.html", {"labels": labels, "specimen": specimen})
        renderer.fixed[key] = _document_pdf(html)
    return renderer.fixed[key]


def _form(page: PageObject, writer: PdfWriter) -> EncodedStreamObject:
    """One page as a form XObject of `writer`: drawn by reference, its content stored once."""
    form = DecodedStreamObject()
    form.set_data(page.get_contents().get_data())  # type: ignore[union-attr]  # a WeasyPrint page has contents
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(page.mediabox),
            NameObject("/Resources"): cast(DictionaryObject, page["/Resources"]).clone(writer),
        }
    )
    return form.flate_encode()


def _joined(parts: Iterable[bytes], fixed: bytes, title: str) -> bytes:
    """The cards' pages in order (each of `parts` a PDF of whole cards, joined as it comes),
    each drawn over its face of the shared layer.

    The layer's front and back are form XObjects stored once in the file; every front page
    draws the first before its own content, every back page the second, so the file holds the
    shared text and its font subsets once, and a page prints what it printed laid out whole.
    """
    joined = PdfWriter()
    for part in parts:
        joined.append(PdfReader(io.BytesIO(part)))
    layer = PdfReader(io.BytesIO(fixed)).pages
    forms, prefixes = [], []
    for number, name in enumerate(["/CardFront", "/CardBack"]):
        # pypdf's writer adds an object (a stream must be indirect) through _add_object alone.
        forms.append((NameObject(name), joined._add_object(_form(layer[number], joined))))
        prefix = DecodedStreamObject()
        prefix.set_data(f"q {name} Do Q\n".encode())
        prefixes.append(joined._add_object(prefix))
    for number, page in enumerate(joined.pages):
        name, form = forms[number % 2]
        resources = cast(DictionaryObject, page["/Resources"])
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        cast(DictionaryObject, resources["/XObject"])[name] = form
        contents = page.raw_get("/Contents")
        streams = contents.get_object()
        own = list(streams) if isinstance(streams, ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([prefixes[number % 2], *own])
    joined.add_metadata({"/Title": title, "/Producer": "WeasyPrint"})
    output = io.BytesIO()
    joined.write(output)
    return output.getvalue()


def _document_pdf(html: str) -> bytes:
    renderer = _renderer()
    base_url = (Path(settings.BASE_DIR) / "static").resolve().as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=renderer.fetcher)
    return document.write_pdf(stylesheets=[renderer.stylesheet], font_config=renderer.font_config)


@contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Keep the garbage collector's full passes off the objects that were there before a run.

    Laying out a chunk makes and drops hundreds of thousands of objects, which set off full
    collections; each would walk the whole process (the app, the run's cards) again, about a
    tenth of a run's time. Frozen, those objects are left out of the passes (and are not freed
    during the run); the chunks' own garbage is collected as usual. Thawed afterwards. Only
    for print runs, which a worker renders one at a time; never around a web request.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def render_cards(
    cards: Sequence[ResidenceCard],
    *,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = CHUNK_SIZE,
) -> bytes:
    """One PDF holding the front and back of every card, in order.

    With `chunk_size=None` all cards go into one HTML document. Otherwise each chunk is written
    to PDF as soon as it is laid out and its layout dropped, so memory stays that of one chunk
    whatever the size of the run, and `progress(cards_done)` reports as the run goes; the chunks'
    PDFs are joined as they come (each keeps the subset of the fonts its own pages use). Every
    page is drawn over its face of the layer all cards share (`_fixed_layer`), laid out once.
    """
    if not cards:
        raise ValueError("no cards to render")
    labels = card_labels()
    title = cards[0].number if len(cards) == 1 else _("Residence cards")
    step = chunk_size or len(cards)
    _declare_own_script_pieces(cards)
    fixed = _fixed_layer(labels, specimen=False)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(cards), step):
            yield _document_pdf(_html(cards[start : start + step], labels, title))
            if progress is not None:
                progress(min(start + step, len(cards)))

    with _older_objects_frozen():
        return _joined(chunks(), fixed, title)


def render_card(card: ResidenceCard) -> bytes:
    """The printable card: front and back of one card, its QR code carrying the live token."""
    labels = card_labels()
    part = _document_pdf(_html([card], labels, card.number))
    return _joined([part], _fixed_layer(labels, specimen=False), card.number)


def render_specimen(card: ResidenceCard) -> bytes:
    """The on-screen preview: the card marked SPECIMEN on both faces, its QR code no token.

    Anyone who may read the card may preview it; a preview printed on a desk printer must not
    pass for the card, nor open the card's validity page.
    """
    with translation.override("en"):
        title = f"{_('SPECIMEN')} {card.number}"
    labels = card_labels()
    part = _document_pdf(_html([card], labels, title, specimen=True))
    return _joined([part], _fixed_layer(labels, specimen=True), title)
