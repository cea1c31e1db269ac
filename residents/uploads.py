"""Checks of uploaded files by their content, never by their name or the browser's content type."""

from __future__ import annotations

import io
import logging
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

logger = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# A 24-megapixel camera photo passes; a small file decoding to gigapixels (pixel bomb) does not.
PHOTO_MAX_PIXELS = 40_000_000
# Photos are stored at the size the card prints them: 35 x 45 mm at 300 dpi. More pixels are
# never printed, yet every card of a print run would carry them (a 900 x 1200 photo makes a card's
# PDF four times larger); the screens show the photo smaller still.
PHOTO_PRINT_SIZE = (413, 531)
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024

MAGIC = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def _read(upload: UploadedFile, limit: int) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    return data


def _open_image(data: bytes, invalid: ValidationError, too_many: Promise) -> Image.Image:
    """Open a JPEG or PNG after checking its declared size: a pixel bomb is never decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in {"JPEG", "PNG"}:
                raise invalid
            width, height = probe.size
            if width * height > PHOTO_MAX_PIXELS:
                raise Image.DecompressionBombError(f"{width} x {height}")
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise invalid from error
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValidationError(
            too_many % {"mp": PHOTO_MAX_PIXELS // 1_000_000}, code="too_many_pixels"
        ) from error
    return image


def clean_photo(upload: UploadedFile) -> ContentFile:
    """Accept a JPEG or PNG photo by content; return it re-encoded as JPEG without metadata, at
    most at the card's print size.

    Only the pixels are kept: a new image is made from them, so no segment of the upload
    (EXIF with a GPS position, XMP, a JPEG comment, PNG text chunks, an ICC profile, anything
    smuggled after the image) can reach the stored file.
    """
    data = _read(upload, PHOTO_MAX_BYTES)
    invalid = ValidationError(_("The photo must be a JPEG or PNG image."), code="invalid_photo")
    too_many = _("The photo has too many pixels (at most %(mp)s megapixels).")
    image = _open_image(data, invalid, too_many).convert("RGB")
    image.thumbnail(PHOTO_PRINT_SIZE, Image.Resampling.LANCZOS)  # never enlarged
    pixels_only = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    pixels_only.save(out, format="JPEG", quality=88, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


# --- PDF: parsed, and refused when it could run anything ---------------------------------------
PDF_REFUSALS = {
    "not_pdf": _("This file starts like a PDF but is not a readable PDF document."),
    "encrypted": _("This PDF is protected by a password; upload it without the protection."),
    "javascript": _(
        "This PDF contains JavaScript, which is not accepted. Print it to a new PDF or scan the "
        "paper, and upload that."
    ),
    "launch": _(
        "This PDF opens another program or file, which is not accepted. Print it to a new PDF "
        "or scan the paper, and upload that."
    ),
    "actions": _(
        "This PDF runs actions by itself when it is opened, printed or closed, which is not "
        "accepted. Print it to a new PDF or scan the paper, and upload that."
    ),
    "embedded": _(
        "This PDF has other files embedded in it, which is not accepted. Upload each document "
        "as a file of its own."
    ),
}
# Keys and action types a viewer may act on by itself; any of them anywhere refuses the file.
_PDF_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",
    "/AA": "actions",
    "/EmbeddedFiles": "embedded",
    "/EmbeddedFile": "embedded",
    "/RichMedia": "embedded",
    "/XFA": "javascript",  # XML forms carry their own scripts
}
_PDF_ACTIONS = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/ImportData": "launch",
    "/GoToE": "embedded",
    "/RichMediaExecute": "javascript",
}
_PDF_MAX_OBJECTS = 200_000


def _pdf_refusal(data: bytes) -> str | None:
    """Why the PDF is refused (a key of PDF_REFUSALS), or None when it is a plain document.

    Every object of the file is read, referenced or not (an incremental update can hide an
    action in an object the first trailer never mentions), and every dictionary searched.
    """
    if not data.rstrip(b"\x00\t\n\f\r ").endswith(b"%%EOF"):
        return "not_pdf"  # HTML or anything else after the PDF, or a PDF cut short
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return "encrypted"
        if len(reader.pages) == 0:
            return "not_pdf"
        pending: list[object] = [reader.trailer]
        for generation, numbers in reader.xref.items():
            pending += [IndirectObject(n, generation, reader) for n in numbers]
        pending += [IndirectObject(n, 0, reader) for n in reader.xref_objStm]
        seen: set[tuple[int, int]] = set()
        while pending:
            item = pending.pop()
            if isinstance(item, IndirectObject):
                if (item.idnum, item.generation) in seen:
                    continue
                seen.add((item.idnum, item.generation))
                if len(seen) > _PDF_MAX_OBJECTS:
                    return "not_pdf"
                item = item.get_object()
            if isinstance(item, DictionaryObject):
                for key, value in dict.items(item):
                    if key in _PDF_KEYS:
                        return _PDF_KEYS[key]
                    if key == "/S" and isinstance(value, NameObject) and value in _PDF_ACTIONS:
                        return _PDF_ACTIONS[value]
                    if key == "/Subtype" and value == "/FileAttachment":
                        return "embedded"
                    pending.append(value)
            elif isinstance(item, ArrayObject):
                pending.extend(list.__iter__(item))
    except Exception:  # pypdf raises many kinds on a malformed file: all mean "not a PDF"
        logger.info("uploaded PDF does not parse", exc_info=True)
        return "not_pdf"
    return None


# --- Image documents: metadata dropped without re-encoding (a scan keeps every pixel) ---------
# PNG chunks that say how to draw the pixels; text, EXIF, ICC profiles, times and private
# chunks are dropped, and so is anything after IEND.
_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT",
             b"pHYs", b"bKGD"}  # fmt: skip
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _strip_png(data: bytes) -> bytes:
    out, position = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if kind in _PNG_KEEP:
            out.append(data[position:end])
        if kind == b"IEND":
            return b"".join(out)
        position = end
    raise ValueError("PNG without IEND")


def _strip_jpeg(data: bytes) -> bytes:
    """The JPEG without its APPn (EXIF, XMP, JFIF, ICC) and COM segments, nor bytes after EOI.

    Only Adobe's 12-byte APP14, which says how to read the colours, is kept.
    """
    out, position = bytearray(data[:2]), 2
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("JPEG marker expected")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return bytes(out + b"\xff\xd9")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[position : position + 2]
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        segment = data[position : position + 2 + length]
        metadata = 0xE0 <= marker <= 0xEF or marker == 0xFE
        adobe = marker == 0xEE and length == 14 and segment[4:9] == b"Adobe"
        if not metadata or adobe:
            out += segment
        position += 2 + length
        if marker == 0xDA:  # the scan's coded data runs to the next marker that is not RSTn
            end = position
            while True:
                end = data.index(b"\xff", end)
                following = data[end + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    end += 2
                    continue
                break
            out += data[position:end]
            position = end
    raise ValueError("JPEG without EOI")


def sniff_document(upload: UploadedFile) -> tuple[ContentFile, str]:
    """Accept a PDF, JPEG or PNG by its content; return it under a random name with its type.

    A PDF must parse and may run nothing; an image must decode within the pixel limit, and is
    stored without its metadata segments.
    """
    data = _read(upload, DOCUMENT_MAX_BYTES)
    invalid = ValidationError(
        _("Supporting documents must be PDF, JPEG or PNG files."), code="invalid_document"
    )
    content_type = next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)
    if content_type is None:
        raise invalid
    if content_type == "application/pdf":
        if (refusal := _pdf_refusal(data)) is not None:
            raise ValidationError(PDF_REFUSALS[refusal], code=f"pdf_{refusal}")
    else:
        too_many = _("The image has too many pixels (at most %(mp)s megapixels).")
        _open_image(data, invalid, too_many)
        try:
            data = _strip_png(data) if content_type == "image/png" else _strip_jpeg(data)
        except (ValueError, IndexError) as error:
            raise invalid from error
        _open_image(data, invalid, too_many)  # what is stored still decodes
    name = f"{timezone.now():%Y%m}-{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    return ContentFile(data, name=name), content_type
