"""The card PDF: ID-1 pages, Khmer embedded, nothing fetched from outside, a QR that works."""

from __future__ import annotations

import gc
import io
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from cards import pdf, samples, script_fonts
from cards.models import CardEvent, ResidenceCard
from tests.pdf_glyphs import broken_glyphs, canvases
from tests.pdf_images import mismatches, page_images

pytestmark = pytest.mark.django_db

MM = 72 / 25.4
REFERENCES = Path(__file__).parent / "reference"
# Enough to see a hair-line or a Khmer sign out of place; 674 x 425 pixels a face.
FACE_DPI = 200


def pdftotext(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def qr_codes_on_page(content: bytes, page: int, folder: Path) -> list[str]:
    """The texts of the QR codes drawn on one page (1-based), read from a 300 dpi rendering."""
    pdf_file = folder / "decode.pdf"
    pdf_file.write_bytes(content)
    prefix = folder / f"decode-{page}"
    subprocess.run(
        ["pdftoppm", "-r", "300", "-f", str(page), "-l", str(page), "-png", str(pdf_file),
         str(prefix)],
        check=True,
    )  # fmt: skip
    (image,) = folder.glob(f"{prefix.name}*.png")
    return [code.text for code in zxingcpp.read_barcodes(Image.open(image))]


# The columns of a card's front, in mm (left, top, width, height): the names, the two columns at
# its foot, the card number under the photo.
FRONT_COLUMNS = [(29.4, 9.8, 53.7, 26), (29.4, 36, 27, 18), (57.6, 36, 25.5, 18), (3, 44, 26, 10)]


def values_under_labels(content: bytes) -> dict[str, str]:
    """English half of each label of the front ("Surname") -> the line right under it, read by
    place (pdftotext, one column of the face at a time), not in the order they are drawn."""
    found = {}
    for left, top, width, height in FRONT_COLUMNS:
        box = [round(v * MM) for v in (left, top, width, height)]
        text = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", "-r", "72", "-x", str(box[0]), "-y", str(box[1]),
             "-W", str(box[2]), "-H", str(box[3]), "-", "-"],
            input=content, capture_output=True, check=True,
        ).stdout.decode()  # fmt: skip
        lines = [line for line in text.splitlines() if line.strip()]
        found |= {line.split(" / ")[-1]: lines[i + 1] for i, line in enumerate(lines[:-1])}
    return found


def embedded_fonts(reader: PdfReader) -> set[str]:
    """The faces embedded for the pages, and for the shared layer they draw."""
    names = set()
    for page in reader.pages:
        for font in (f for _content, fonts in canvases(page) for f in fonts.values()):
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor or "/FontFile3" in descriptor:
                    names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    return names


def glyphs_drawn(reader: PdfReader, face: str, source: Path, chars: str) -> dict[str, bool]:
    """Whether each character's glyph has an outline in the embedded subset of `face` (subsets
    keep the source font's glyph ids and empty the glyphs not drawn)."""
    from fontTools.ttLib import TTFont

    font = TTFont(source)
    cmap = font.getBestCmap()
    for page in reader.pages:
        for entry in page["/Resources"]["/Font"].values():
            entry = entry.get_object()
            if str(entry["/BaseFont"]).split("+", 1)[-1] != face:
                continue
            descriptor = entry["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            subset = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
            glyf, order = subset["glyf"], subset.getGlyphOrder()
            return {
                c: bool(glyf[order[font.getGlyphID(cmap[ord(c)])]].numberOfContours) for c in chars
            }
    return dict.fromkeys(chars, False)


def test_a_card_pdf_is_two_id1_pages_with_khmer_embedded_and_the_card_details(issue):
    card = issue(name_km="វ៉ាង លី", surname="WANG", given_names="LI")

    content = pdf.render_card(card)

    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 2
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / MM, 1), round(height / MM, 1)) == (85.6, 54.0)
    assert embedded_fonts(reader) == {"Card-Khmer", "Card-Khmer-Bold", "Card-OCR-B"}
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert card.number in text
    # Surname and given names are fields of their own, each under its label (the English half
    # of a label: Khmer extracts lossily), found by place: the labels every card shares are
    # drawn from a layer of their own before the card's values (cards.pdf).
    under = values_under_labels(content)
    assert (under["Surname"], under["Given names"]) == ("WANG", "LI")
    assert under["Date of expiry"] == card.expiry_date.strftime("%d-%m-%Y")
    assert under["Card No."] == card.number
    # Text extraction splits some Khmer clusters with spaces: compare without spaces. (What is
    # drawn is right; extraction of shaped Khmer is lossy for a few ligatures.)
    compact = text.replace(" ", "")
    assert "ប័ណ្ណស្នាក់នៅអចិន្ត្រៃយ៍·Permanentresidencecard" in compact  # card title
    # Issuing province, Khmer and English. Drawn whole (see the glyph check below and the card
    # looked at as an image), but extraction maps a bold subscript glyph to another cluster once
    # the title no longer spaces its letters apart: compare the part that extracts faithfully.
    assert "ពេញ/PhnomPenh" in compact
    assert "វ៉ាងលី" in compact  # the name in Khmer
    assert "ភេទ/Sex" in compact
    assert "ចិន/China" in compact or "ចិ/China" in compact  # nationality in both languages
    assert card.issue_date.strftime("%d-%m-%Y") in text
    assert card.expiry_date.strftime("%d-%m-%Y") in text
    assert "17-05-1980" in text  # date of birth
    assert "Scan to check that this card is valid" in pdftotext(content)


def test_a_print_run_pdf_reports_progress_per_chunk_and_keeps_the_card_order(issue):
    cards = [issue(), issue(), issue()]
    seen: list[int] = []

    content = pdf.render_cards(cards, progress=seen.append, chunk_size=2)

    assert seen == [2, 3]
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 6
    fronts = [reader.pages[i].extract_text() for i in (0, 2, 4)]
    assert [next(c.number for c in cards if c.number in f) for f in fronts] == [
        c.number for c in cards
    ]


def test_a_photo_is_printed_on_the_card(issue, settings):
    card = issue()
    photo = Path(settings.MEDIA_ROOT) / "photos" / "p.png"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (60, 80), (200, 30, 30)).save(photo)
    card.resident.photo = "photos/p.png"
    card.resident.save(update_fields=["photo"])
    card.refresh_from_db()

    content = pdf.render_card(card)

    front = PdfReader(io.BytesIO(content)).pages[0]
    sizes = {image.image.size for image in front.images}
    assert (60, 80) in sizes  # the photo, as uploaded


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/logo.png",
        "https://example.org/font.ttf",
        "ftp://example.org/x",
    ],
)
def test_the_card_renderer_refuses_to_fetch_anything_but_data_and_project_files(url):
    with pytest.raises(pdf.RefusedURL):
        pdf.LocalFileFetcher().fetch(url)


def test_the_card_renderer_fetches_data_uris_and_the_packaged_font():
    fetcher = pdf.LocalFileFetcher()

    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    assert fetcher.fetch(pdf.khmer_font_file().as_uri()).read(4) == b"\x00\x01\x00\x00"


def test_a_path_escaping_a_project_folder_is_refused(settings):
    escape = Path(settings.KHMER_FONT_DIR).as_uri() + "/../../../../../../etc/passwd"

    with pytest.raises(pdf.RefusedURL):
        pdf.LocalFileFetcher().fetch(escape)


def test_the_qr_code_on_the_card_decodes_to_the_public_check_which_says_valid(issue, tmp_path):
    card = issue(status=ResidenceCard.Status.ACTIVE)
    pdf_file = tmp_path / "card.pdf"
    pdf_file.write_bytes(pdf.render_card(card))

    subprocess.run(
        ["pdftoppm", "-r", "300", "-f", "2", "-l", "2", "-png", str(pdf_file), str(tmp_path / "b")],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("b*.png")))
    codes = zxingcpp.read_barcodes(image)

    assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.QRCode]
    url = codes[0].text
    assert url == pdf.verify_url(card)
    assert card.token in url and str(card.pk) not in urlsplit(url).path.replace(card.token, "")
    response = Client().get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.context["validity"] == "valid"
    assert "Valid" in response.content.decode()
    assert card.events.filter(kind=CardEvent.Kind.VERIFIED).count() == 1


def test_every_card_of_a_print_run_in_chunks_carries_its_own_qr_and_the_khmer_face(issue, tmp_path):
    cards = [issue(), issue(), issue()]
    pdf_file = tmp_path / "run.pdf"

    pdf_file.write_bytes(pdf.render_cards(cards, chunk_size=2))

    reader = PdfReader(pdf_file)
    assert len(reader.pages) == 6
    assert embedded_fonts(reader) == {"Card-Khmer", "Card-Khmer-Bold", "Card-OCR-B"}
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / MM, 1), round(height / MM, 1)) == (85.6, 54.0)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(pdf_file), str(tmp_path / "p")], check=True
    )
    backs = sorted(tmp_path.glob("p*.png"))[1::2]
    decoded = [[c.text for c in zxingcpp.read_barcodes(Image.open(back))] for back in backs]
    assert decoded == [[pdf.verify_url(card)] for card in cards]


def test_every_face_of_a_print_run_draws_the_one_layer_every_card_shares(issue):
    cards = [issue(), issue(), issue()]

    content = pdf.render_cards(cards, chunk_size=2)

    reader = PdfReader(io.BytesIO(content))
    layers = [
        {page["/Resources"]["/XObject"].raw_get(name).idnum for page in reader.pages[side::2]}
        for side, name in enumerate(["/CardFront", "/CardBack"])
    ]
    assert [len(layer) for layer in layers] == [1, 1] and layers[0] != layers[1]
    pages = pdftotext(content).split("\f")
    for card, front, back in zip(cards, pages[0::2], pages[1::2], strict=False):
        # The shared labels and each card's own values, on every card.
        assert "Permanent residence card" in front and "Date of expiry" in front
        assert card.number in front and card.expiry_date.strftime("%d-%m-%Y") in front
        assert "General Department of Immigration" in back and "Date of issue" in back
        assert card.number in back and card.issue_date.strftime("%d-%m-%Y") in back


def test_the_glyph_check_sees_a_broken_cluster_in_the_layer_every_card_shares(issue, monkeypatch):
    labels = pdf.card_labels()
    # A Khmer vowel sign with no consonant to sit on, at the head of the title.
    title_km, title_en = labels["title"]
    monkeypatch.setattr(
        pdf, "card_labels", lambda: {**labels, "title": ("\u17b6" + title_km, title_en)}
    )

    found = broken_glyphs(pdf.render_card(issue()))

    assert found == ["page 1: dotted circle in Card-Khmer-Bold"]


def test_margin_boxes_are_laid_out_on_the_pages_that_have_one_and_skipped_on_the_others(
    issue, monkeypatch
):
    from weasyprint import HTML
    from weasyprint.css import PAGE_MARGIN_BOXES
    from weasyprint.layout import page as page_layout

    laid_out = []
    full = page_layout.make_margin_boxes

    def counted(context, page, state):  # type: ignore[no-untyped-def]
        laid_out.append(page)
        return full(context, page, state)

    monkeypatch.setattr(page_layout, "make_margin_boxes", counted)
    card = issue()

    pdf.render_card(card)
    assert laid_out == []
    numbered = HTML(
        string="<style>@page { @bottom-right { content: 'page ' counter(page) ' of '"
        " counter(pages) } }</style><p>one</p><p style='break-before: page'>two</p>"
    ).write_pdf()

    assert len(laid_out) == 2
    pages = pdftotext(numbered).split("\f")
    assert ["page 1 of 2" in pages[0], "page 2 of 2" in pages[1]] == [True, True]
    # Every margin box WeasyPrint lays out is one the card renderer looks for.
    assert set(pdf.MARGIN_BOXES) == PAGE_MARGIN_BOXES - {"footnote", "note-area"}


def test_a_print_run_leaves_the_garbage_collector_as_it_found_it_even_when_it_fails(
    issue, monkeypatch
):
    cards = [issue(), issue(), issue()]
    frozen = gc.get_freeze_count()

    pdf.render_cards(cards, chunk_size=2)
    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()

    calls = []
    real = pdf._document_pdf

    def fail_on_the_second_chunk(html: str) -> bytes:
        calls.append(html)
        if len(calls) == 2:
            raise RuntimeError("layout failed")
        return real(html)

    monkeypatch.setattr(pdf, "_document_pdf", fail_on_the_second_chunk)
    with pytest.raises(RuntimeError, match="layout failed"):
        pdf.render_cards(cards, chunk_size=2)
    assert gc.get_freeze_count() == frozen


@pytest.mark.parametrize("render", [pdf.render_card, pdf.render_specimen])
def test_a_card_draws_no_broken_khmer_cluster_and_no_missing_glyph(issue, render):
    card = issue(name_km="វ៉ាង លី", surname="WANG", given_names="LI")

    content = render(card)

    assert broken_glyphs(content) == []


def test_a_specimen_is_the_card_marked_in_both_languages_with_a_qr_that_opens_nothing(
    issue, tmp_path
):
    card = issue(status=ResidenceCard.Status.ACTIVE)

    content = pdf.render_specimen(card)

    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 2
    compact = [page.extract_text().replace(" ", "") for page in reader.pages]
    assert all("SPECIMEN" in text and "គំរូ" in text for text in compact)
    # The Khmer note extracts lossily (see above): the English half, and the drawn glyphs.
    assert "Specimen:notavalidcard" in compact[1]
    assert card.number in compact[0] and card.number in compact[1]
    assert reader.metadata.title == f"SPECIMEN {card.number}"
    assert qr_codes_on_page(content, 2, tmp_path) == [pdf.SPECIMEN_QR_PAYLOAD]


def test_a_printable_card_carries_no_specimen_mark(issue):
    card = issue(status=ResidenceCard.Status.ACTIVE)

    content = pdf.render_card(card)

    assert "SPECIMEN" not in pdftotext(content) and "Specimen" not in pdftotext(content)


def test_a_name_in_own_script_is_printed_in_an_embedded_face_and_one_the_fonts_lack_is_left_out(
    issue,
):
    vietnamese = issue(
        surname="NGUYEN", given_names="THI MINH ANH", name_native="Nguyễn Thị Minh Anh"
    )
    # Ethiopic: no packaged face draws it.
    ethiopian = issue(surname="HAILE", given_names="SELASSIE", nationality="ET",
                      name_native="ኃይለ ሥላሴ")  # fmt: skip

    shown, left_out = pdf.render_card(vietnamese), pdf.render_card(ethiopian)

    reader = PdfReader(io.BytesIO(shown))
    assert "Name in own script" in reader.pages[0].extract_text()
    # Text extraction of the subset loses letters: ask the embedded face whether a letter the
    # Khmer face lacks (ễ, drawn precomposed) was drawn from it.
    assert glyphs_drawn(reader, "Card-Latin-Bold", pdf.latin_font_files()[700], "ễ") == {"ễ": True}
    front = PdfReader(io.BytesIO(left_out)).pages[0].extract_text()
    assert "Name in own script" not in front and "ኃ" not in front
    # Neither draws an empty box nor a broken cluster, nor takes a font of the machine.
    assert broken_glyphs(shown) == [] and broken_glyphs(left_out) == []


# (nationality, name in own script, the face it is drawn in)
OWN_SCRIPTS = [
    ("CN", "王小丽", "SC"),
    ("TW", "陳大文", "TC"),
    ("HK", "李嘉欣", "TC"),
    ("JP", "山田さくら", "JP"),
    ("JP", "田中太郎", "JP"),  # kanji alone: a Japanese national's are drawn the Japanese way
    ("KR", "김민준", "KR"),
    ("TH", "สมชาย ใจดี", "Thai"),
    ("EG", "محمد علي", "Arabic"),
    ("LA", "ສົມພອນ ວົງສາ", "Lao"),
    ("MM", "မောင်မောင်", "Myanmar"),
    ("IL", "דוד כהן", "Hebrew"),
    ("IN", "कमल", "Latin"),  # Noto Sans draws Devanagari too
    ("GE", "გიორგი ბერიძე", "Georgian"),
    ("RU", "Иван Петров", "Latin"),
    ("GR", "Γιώργος Παπαδόπουλος", "Latin"),
]
CARD_FACES = {"Card-Khmer", "Card-Khmer-Bold", "Card-OCR-B"}
# Marks that text extraction puts around right-to-left text or between clusters.
EXTRACTION_NOISE = dict.fromkeys(map(ord, " \n\u200b\u200e\u200f\u202a\u202b\u202c"), None)


def front_text(content: bytes) -> str:
    pages = pdftotext(content).split("\f")
    return pages[0]


@pytest.mark.parametrize(("nationality", "name", "face"), OWN_SCRIPTS)
def test_a_name_in_own_script_is_printed_in_its_packaged_face_embedded_as_a_subset(
    issue, nationality, name, face
):
    card = issue(nationality=nationality, name_native=name)

    content = pdf.render_card(card)

    reader = PdfReader(io.BytesIO(content))
    own = embedded_fonts(reader) - CARD_FACES
    assert own and all(f.startswith(f"Card-{face}-") for f in own), own
    front = front_text(content)
    assert "Name in own script" in front
    assert name.translate(EXTRACTION_NOISE) in front.translate(EXTRACTION_NOISE)
    # No dotted circle, no .notdef, no face of the machine.
    assert broken_glyphs(content) == []


@pytest.mark.parametrize(("nationality", "name"), [("CN", "王小丽"), ("JP", "山田さくら"),
                                                   ("KR", "김민준")])  # fmt: skip
def test_every_character_of_a_cjk_name_is_drawn_from_its_piece_of_the_face(
    issue, nationality, name
):
    card = issue(nationality=nationality, name_native=name)

    reader = PdfReader(io.BytesIO(pdf.render_card(card)))

    family = pdf.native_name_family(name, nationality)
    for char in name:
        piece = script_fonts.pieces(family)[ord(char)]
        embedded = f"{piece.css_family.replace(' ', '-')}-Bold"
        source = script_fonts.truetype(piece.path)
        # Each piece a face of its own: its glyph drawn from its own file, never another's.
        assert glyphs_drawn(reader, embedded, source, char) == {char: True}


def test_the_subset_of_a_cjk_piece_is_a_fraction_of_the_piece(issue):
    card = issue(nationality="CN", name_native="王")

    reader = PdfReader(io.BytesIO(pdf.render_card(card)))

    piece = script_fonts.pieces("SC")[ord("王")]
    sizes = list(
        {
            len(
                d.get_object()["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            )
            for page in reader.pages
            for entry in page["/Resources"]["/Font"].values()
            if str(entry.get_object()["/BaseFont"]).endswith(f"+Card-SC-{piece.name}-Bold")
            for d in entry.get_object()["/DescendantFonts"]
        }
    )
    assert len(sizes) == 1
    assert sizes[0] < script_fonts.truetype(piece.path).stat().st_size / 4


def test_a_print_run_in_chunks_prints_every_name_in_its_own_script(issue):
    names = [("CN", "王小丽"), ("KR", "김민준"), ("CN", "陈伟"), ("TH", "สมชาย ใจดี"),
             ("JP", "山田さくら")]  # fmt: skip
    cards = [issue(nationality=n, name_native=name) for n, name in names]

    content = pdf.render_cards(cards, chunk_size=2)

    fronts = pdftotext(content).split("\f")[0::2]
    assert [name.replace(" ", "") in front.replace(" ", "") for (_n, name), front in
            zip(names, fronts, strict=False)] == [True] * 5  # fmt: skip
    assert broken_glyphs(content) == []


def test_the_glyph_check_sees_a_broken_cluster_in_another_script(issue):
    # A Thai vowel sign with no consonant to sit on: the shaper draws it on a dotted circle.
    card = issue(nationality="TH", name_native="\u0e31\u0e01")

    found = broken_glyphs(pdf.render_card(card))

    assert found == ["page 1: dotted circle in Card-Thai-thai-Bold"]


# --- Visual regression: the faces as reviewed ---------------------------------------------------


@pytest.mark.parametrize(
    ("render", "name"), [(pdf.render_card, "card"), (pdf.render_specimen, "specimen")]
)
def test_both_faces_of_the_sample_card_look_as_reviewed_in_khmer_and_english(
    render, name, tmp_path
):
    content = render(samples.sample_card())

    front, back = page_images(content, dpi=FACE_DPI, folder=tmp_path)

    assert broken_glyphs(content) == []
    faces = {f"{name}-front": front, f"{name}-back": back}
    assert mismatches(faces, references=REFERENCES, folder=tmp_path) == []


def test_the_faces_of_a_print_run_look_as_reviewed_drawn_over_the_layer_every_card_shares(
    tmp_path,
):
    content = pdf.render_cards([samples.sample_card()])

    front, back = page_images(content, dpi=FACE_DPI, folder=tmp_path)

    assert broken_glyphs(content) == []
    faces = {"card-front": front, "card-back": back}
    assert mismatches(faces, references=REFERENCES, folder=tmp_path) == []


@pytest.mark.parametrize("nationality", ["CN", "TW", "JP", "KR", "TH", "EG"])
def test_the_front_of_a_card_with_a_name_in_another_script_looks_as_reviewed(nationality, tmp_path):
    content = pdf.render_card(samples.sample_card(nationality=nationality))

    front, _back = page_images(content, dpi=FACE_DPI, folder=tmp_path)

    assert broken_glyphs(content) == []
    name = f"card-front-{nationality.lower()}"
    assert mismatches({name: front}, references=REFERENCES, folder=tmp_path) == []


def test_a_field_moved_by_a_millimetre_is_seen(tmp_path, monkeypatch):
    real = pdf.render_to_string

    def moved(template: str, context: dict) -> str:
        extra = "\n.names { left: 30.4mm; }" if template == "pdf/card.css" else ""
        return real(template, context) + extra

    monkeypatch.setattr(pdf, "render_to_string", moved)
    monkeypatch.setattr(pdf._local, "renderer", None, raising=False)  # the stylesheet anew

    content = pdf.render_card(samples.sample_card())

    front, back = page_images(content, dpi=FACE_DPI, folder=tmp_path)
    found = mismatches(
        {"card-front": front, "card-back": back}, references=REFERENCES, folder=tmp_path
    )
    assert [line.split(":")[0] for line in found] == ["card-front"]
