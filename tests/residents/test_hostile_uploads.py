"""Hostile uploads through the forms: refused with a clear message, and nothing stored.

PDFs are parsed (one that could run anything is refused), images are judged by their declared
pixels before decoding, and a photo keeps its pixels only: the stored bytes are read back.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from residents.models import DeclarationDocument, Resident
from tests.residents.conftest import pdf_bytes, resident_post_data

pytestmark = pytest.mark.django_db
PAYLOAD = "<script>alert(document.cookie)</script>"


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- Hostile PDFs, built with pypdf -----------------------------------------------------------
def _js_action() -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }
    )


def open_action_javascript(writer, page):
    writer.root_object[NameObject("/OpenAction")] = _js_action()


def _document_javascript(writer, page):
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), _js_action()])}
    )
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def _launch(writer, page):
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )


def _page_additional_actions(writer, page):
    go_to = DictionaryObject(
        {NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): ArrayObject([NumberObject(0)])}
    )
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): go_to})


def _embedded_file(writer, page):
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")


def _link_running_js(writer, page):
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 100, 100)]),
            NameObject("/A"): _js_action(),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])


def _escaped_names() -> bytes:
    # "/J#53" is "/JS" and "/Jav#61Script" is "/JavaScript" once a reader decodes the escapes.
    def tamper(writer, page):
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaQQScript"),
                NameObject("/JQQQ"): TextStringObject("app.alert(1)"),
            }
        )

    data = pdf_bytes(tamper)
    return data.replace(b"/JavaQQScript", b"/Jav#61Script").replace(b"/JQQQ", b"/J#53")


def _password_protected() -> bytes:
    def tamper(writer, page):
        writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")

    return pdf_bytes(tamper)


JAVASCRIPT = "This PDF contains JavaScript, which is not accepted."
NOT_A_PDF = "This file starts like a PDF but is not a readable PDF document."
HOSTILE_PDFS = [
    ("open-action-javascript", lambda: pdf_bytes(open_action_javascript), JAVASCRIPT),
    ("document-javascript", lambda: pdf_bytes(_document_javascript), JAVASCRIPT),
    ("link-javascript", lambda: pdf_bytes(_link_running_js), JAVASCRIPT),
    ("escaped-names", _escaped_names, JAVASCRIPT),
    ("launch", lambda: pdf_bytes(_launch), "This PDF opens another program or file"),
    ("additional-actions", lambda: pdf_bytes(_page_additional_actions), "runs actions by itself"),
    ("embedded-file", lambda: pdf_bytes(_embedded_file), "has other files embedded in it"),
    ("html-after-prefix", lambda: f"%PDF-1.4\n<html>{PAYLOAD}</html>".encode(), NOT_A_PDF),
    ("html-after-eof", lambda: pdf_bytes() + f"<html>{PAYLOAD}</html>".encode(), NOT_A_PDF),
    ("prefix-alone", lambda: b"%PDF-1.7\n", NOT_A_PDF),
    ("cut-short", lambda: pdf_bytes()[:200], NOT_A_PDF),
    ("garbage-with-eof", lambda: b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n", NOT_A_PDF),
    ("password", _password_protected, "This PDF is protected by a password"),
]


def _post_document(client, declaration, data: bytes, name: str = "proof.pdf"):
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return client.post(
        f"/residents/declarations/{declaration.pk}/documents/", {"file": upload}, follow=True
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [(make, message) for _name, make, message in HOSTILE_PDFS],
    ids=[name for name, *_ in HOSTILE_PDFS],
)
def test_a_pdf_that_could_run_anything_or_does_not_parse_is_refused_and_not_stored(
    officer_client, declaration, make, message
):
    response = _post_document(officer_client, declaration, make())

    assert response.status_code == 200
    assert message in response.content.decode()
    assert DeclarationDocument.objects.count() == 0
    assert stored_files() == []


def test_the_pdf_refusal_reads_in_khmer(officer_client, declaration):
    officer_client.post("/i18n/setlang/", {"language": "km", "next": "/"})

    response = _post_document(officer_client, declaration, pdf_bytes(open_action_javascript))

    assert "ឯកសារ PDF នេះមាន JavaScript ដែលមិនត្រូវបានទទួលយកទេ។" in response.content.decode()
    assert DeclarationDocument.objects.count() == 0


def test_plain_pdfs_an_owner_password_a_web_link_or_opening_at_a_page_are_stored(
    officer_client, declaration
):
    plain = pdf_bytes()

    def owner_only(writer, page):
        writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")

    def link_and_open_at_page(writer, page):
        writer.add_annotation(0, Link(rect=(10, 10, 90, 30), url="https://www.example.org/"))
        writer.root_object[NameObject("/OpenAction")] = ArrayObject(
            [page.indirect_reference, NameObject("/Fit")]
        )

    _post_document(officer_client, declaration, plain)
    _post_document(officer_client, declaration, pdf_bytes(owner_only))
    _post_document(officer_client, declaration, pdf_bytes(link_and_open_at_page))

    assert declaration.documents.count() == 3
    first = declaration.documents.order_by("id").first()
    assert first.file.read() == plain


# --- Pixel bombs ----------------------------------------------------------------------------
def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header declares `width` x `height` grey pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [7_000, 20_000, 60_000], ids=["49-mp", "400-mp", "3600-mp"])
def test_a_pixel_bomb_png_as_a_supporting_document_is_refused_and_not_stored(
    officer_client, declaration, side
):
    bomb = png_declaring(side, side)
    assert len(bomb) < 100_000

    response = _post_document(officer_client, declaration, bomb, name="scan.png")

    assert response.status_code == 200
    assert "The image has too many pixels (at most 40 megapixels)." in response.content.decode()
    assert DeclarationDocument.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize("side", [7_000, 20_000, 60_000], ids=["49-mp", "400-mp", "3600-mp"])
def test_a_pixel_bomb_png_as_a_photo_is_refused_and_nothing_is_saved(officer_client, side):
    upload = SimpleUploadedFile("me.png", png_declaring(side, side), content_type="image/png")

    response = officer_client.post(
        "/residents/new/", {**resident_post_data(), "photo_upload": upload}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["photo_upload"] == [
        "The photo has too many pixels (at most 40 megapixels)."
    ]
    assert Resident.objects.count() == 0
    assert stored_files() == []


# --- Photos keep their pixels only ----------------------------------------------------------
def _jpeg_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = PAYLOAD  # Make
    exif[0x9286] = PAYLOAD  # UserComment
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{PAYLOAD}</rdf:Description>'
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 120, 40)).save(
        out, format="JPEG", comment=PAYLOAD.encode(), exif=exif.tobytes(), xmp=xmp.encode(),
        icc_profile=b"\x00" * 128 + PAYLOAD.encode(),
    )  # fmt: skip
    return out.getvalue()


def _png_with_text_chunks() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", PAYLOAD)
    info.add_text("Description", PAYLOAD, zip=True)
    info.add_itxt("XML:com.adobe.xmp", PAYLOAD)
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (10, 20, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(
    "make", [_jpeg_with_metadata, _png_with_text_chunks], ids=["jpeg-com-exif-xmp", "png-text"]
)
def test_a_photo_is_stored_without_any_metadata_segment(officer_client, make):
    data = make()
    assert PAYLOAD.encode() in data
    upload = SimpleUploadedFile("me.jpg", data, content_type="image/jpeg")

    officer_client.post("/residents/new/", {**resident_post_data(), "photo_upload": upload})

    stored = Resident.objects.get().photo.read()
    assert b"script" not in stored
    assert b"alert" not in stored
    image = Image.open(io.BytesIO(stored))
    assert (image.format, image.size) == ("JPEG", (60, 80))
    assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    assert dict(image.getexif()) == {}
    assert _markers(stored) == [0xD8, 0xE0, 0xDB, 0xC0, 0xC4, 0xDA]


def _markers(jpeg: bytes) -> list[int]:
    """The distinct JPEG markers before the image data, in order: no APPn but JFIF, no COM."""
    found, position = [], 0
    while position < len(jpeg) - 1 and jpeg[position] == 0xFF:
        marker = jpeg[position + 1]
        if marker not in found:
            found.append(marker)
        if marker == 0xD8:
            position += 2
            continue
        if marker == 0xDA:
            break
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        position += 2 + length
    return found


def _progressive_jpeg_with_metadata() -> bytes:
    out = io.BytesIO()
    picture = Image.effect_noise((64, 48), 40).convert("RGB")
    picture.save(out, format="JPEG", progressive=True, comment=PAYLOAD.encode(),
                 exif=Image.Exif().tobytes())  # fmt: skip
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (_jpeg_with_metadata, "scan.jpg"),
        (_progressive_jpeg_with_metadata, "scan.jpg"),
        (_png_with_text_chunks, "scan.png"),
        (lambda: _png_with_text_chunks() + f"<html>{PAYLOAD}</html>".encode(), "scan.png"),
    ],
    ids=["jpeg", "progressive-jpeg", "png", "png-with-html-after-iend"],
)
def test_an_image_document_is_stored_without_metadata_and_with_every_pixel(
    officer_client, declaration, make, name
):
    data = make()
    assert PAYLOAD.encode() in data

    _post_document(officer_client, declaration, data, name=name)

    stored = declaration.documents.get().file.read()
    assert b"alert" not in stored
    original, kept = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(stored))
    assert (kept.format, kept.size) == (original.format, original.size)
    assert kept.tobytes() == original.tobytes()
    assert "comment" not in kept.info and "exif" not in kept.info and "xmp" not in kept.info
