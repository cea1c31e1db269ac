"""Checks of uploaded files by their content, never by their name or the browser's content type."""

from __future__ import annotations

import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# A 24-megapixel camera photo passes; a small file decoding to gigapixels (pixel bomb) does not.
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_MAX_SIDE = 1200
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


def clean_photo(upload: UploadedFile) -> ContentFile:
    """Accept a JPEG or PNG photo by content; return it re-encoded as JPEG without metadata.

    Re-encoding drops EXIF (GPS position, camera serial) and anything smuggled after the image.
    """
    data = _read(upload, PHOTO_MAX_BYTES)
    invalid = ValidationError(_("The photo must be a JPEG or PNG image."), code="invalid_photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in {"JPEG", "PNG"}:
                raise invalid
            width, height = probe.size
            if width * height > PHOTO_MAX_PIXELS:
                raise ValidationError(
                    _("The photo has too many pixels (at most %(mp)s megapixels).")
                    % {"mp": PHOTO_MAX_PIXELS // 1_000_000},
                    code="too_many_pixels",
                )
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise invalid from error
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("The photo has too many pixels (at most %(mp)s megapixels).")
            % {"mp": PHOTO_MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from error
    image = image.convert("RGB")
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def sniff_document(upload: UploadedFile) -> tuple[ContentFile, str]:
    """Accept a PDF, JPEG or PNG by its first bytes; return it under a random name with its type."""
    data = _read(upload, DOCUMENT_MAX_BYTES)
    content_type = next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)
    if content_type is None:
        raise ValidationError(
            _("Supporting documents must be PDF, JPEG or PNG files."), code="invalid_document"
        )
    if content_type != "application/pdf":
        try:
            Image.open(io.BytesIO(data)).verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise ValidationError(
                _("Supporting documents must be PDF, JPEG or PNG files."),
                code="invalid_document",
            ) from error
    name = f"{timezone.now():%Y%m}-{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    return ContentFile(data, name=name), content_type
