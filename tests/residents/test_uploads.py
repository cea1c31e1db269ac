from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from residents.uploads import PHOTO_MAX_BYTES, PHOTO_PRINT_SIZE, clean_photo, sniff_document
from tests.residents.conftest import pdf_bytes


def image_file(fmt: str, size: tuple[int, int] = (30, 40), **save: object) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, format=fmt, **save)
    return SimpleUploadedFile(f"x.{fmt.lower()}", out.getvalue())


def test_a_png_photo_is_re_encoded_as_jpeg():
    photo = clean_photo(image_file("PNG"))

    image = Image.open(io.BytesIO(photo.read()))
    assert (image.format, image.size) == ("JPEG", (30, 40))
    assert photo.name.endswith(".jpg")


def test_the_photo_loses_its_metadata():
    exif = Image.Exif()
    exif[0x010F] = "Spy Camera Inc."  # Make
    photo = clean_photo(image_file("JPEG", exif=exif.tobytes()))

    assert Image.open(io.BytesIO(photo.read())).getexif() == {}


@pytest.mark.parametrize(
    ("uploaded", "stored"),
    [
        ((900, 1200), (398, 531)),  # a portrait: as tall as the card prints it (45 mm at 300 dpi)
        ((3000, 2000), (413, 275)),  # a landscape: as wide (35 mm)
        ((413, 531), (413, 531)),  # already at print size
        ((200, 260), (200, 260)),  # smaller: never enlarged
    ],
)
def test_a_photo_is_stored_at_most_at_the_cards_print_size(uploaded, stored):
    photo = clean_photo(image_file("JPEG", uploaded))

    assert PHOTO_PRINT_SIZE == (413, 531)
    assert Image.open(io.BytesIO(photo.read())).size == stored


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a" + b"\x00" * 20, "The photo must be a JPEG or PNG image."),
        (b"%PDF-1.4", "The photo must be a JPEG or PNG image."),
        (b"\xff\xd8\xff\xe0 truncated jpeg", "The photo must be a JPEG or PNG image."),
    ],
)
def test_a_photo_is_judged_by_content_not_name(content, message):
    with pytest.raises(ValidationError) as refused:
        clean_photo(SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg"))

    assert refused.value.messages == [message]


def test_a_gif_renamed_jpg_is_refused():
    with pytest.raises(ValidationError):
        clean_photo(SimpleUploadedFile("cat.jpg", image_file("GIF").read()))


def test_a_pixel_bomb_is_refused_before_decoding():
    # A tiny PNG declaring 10,000 x 10,000 pixels.
    bomb = image_file("PNG", (10_000, 10_000), optimize=True)
    assert bomb.size < PHOTO_MAX_BYTES

    with pytest.raises(ValidationError) as refused:
        clean_photo(bomb)

    assert refused.value.messages == ["The photo has too many pixels (at most 40 megapixels)."]


def test_an_oversized_photo_is_refused():
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * PHOTO_MAX_BYTES)

    with pytest.raises(ValidationError) as refused:
        clean_photo(big)

    assert refused.value.messages == ["The file is too large (at most 5 MB)."]


@pytest.mark.parametrize(
    ("content", "kind"),
    [("pdf", "application/pdf"), ("png", "image/png")],
)
def test_documents_are_typed_by_their_first_bytes(content, kind):
    if content == "pdf":
        upload = SimpleUploadedFile("anything.bin", pdf_bytes())
    else:
        upload = image_file("PNG")

    stored, content_type = sniff_document(upload)

    assert content_type == kind
    assert stored.name.endswith({"application/pdf": ".pdf", "image/png": ".png"}[kind])


def test_an_executable_named_pdf_is_refused():
    with pytest.raises(ValidationError):
        sniff_document(SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03"))
