"""A fixed sample card, the same at every call: for the reviewed reference images and the README.

Built in memory (unsaved instances), with a drawn photo and a fixed token, so that its pages
render to the same pixels wherever the same fonts and renderer are installed.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from cards import numbers
from cards.models import ResidenceCard
from provinces.models import Province
from residents.models import Resident

SAMPLE_PHOTO = "photos/sample/card-sample.png"
# Fixed so the QR code draws the same; opens no card (no card has it: tokens are random).
SAMPLE_TOKEN = "sample-token-not-a-real-card-0000"  # noqa: S105


def sample_photo_bytes() -> bytes:
    """A 413 x 531 portrait (35 x 45 mm at 300 dpi): a grey silhouette on a light background."""
    image = Image.new("RGB", (413, 531), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((131, 90, 281, 270), fill=(120, 132, 150))
    draw.ellipse((46, 300, 366, 640), fill=(120, 132, 150))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _stored_photo() -> str:
    if not default_storage.exists(SAMPLE_PHOTO):
        default_storage.save(SAMPLE_PHOTO, ContentFile(sample_photo_bytes()))
    return SAMPLE_PHOTO


# Holders of the sample card by nationality: the Vietnamese one is the README's specimen; the
# others are the reference images of names in other scripts (tests/cards/test_pdf.py).
SAMPLE_HOLDERS: dict[str, dict[str, str]] = {
    "VN": {"surname": "NGUYEN", "given_names": "THI MINH ANH", "name_km": "ង្វៀន ធី មិញ អាញ",
           "name_native": "Nguyễn Thị Minh Anh"},
    "CN": {"surname": "WANG", "given_names": "XIAOLI", "name_km": "វ៉ាង សៀវលី",
           "name_native": "王小丽"},
    "TW": {"surname": "CHEN", "given_names": "TAI MAN", "name_km": "ចិន តៃម៉ាន",
           "name_native": "陳大文"},
    "JP": {"surname": "YAMADA", "given_names": "SAKURA", "name_km": "យ៉ាម៉ាដា សាគូរ៉ា",
           "name_native": "山田さくら"},
    "KR": {"surname": "KIM", "given_names": "MINJUN", "name_km": "គីម មីនជុន",
           "name_native": "김민준"},
    "TH": {"surname": "JAIDEE", "given_names": "SOMCHAI", "name_km": "ចៃឌី សមឆាយ",
           "name_native": "สมชาย ใจดี"},
    "EG": {"surname": "ALI", "given_names": "MOHAMED", "name_km": "អាលី ម៉ូហាម៉ិត",
           "name_native": "محمد علي"},
}  # fmt: skip


def sample_card(*, photo: bool = True, nationality: str = "VN") -> ResidenceCard:
    """A resident's card issued in Phnom Penh on 26-11-2026, with every field filled: by default
    a Vietnamese woman's (her name in own script has the diacritics her passport name drops),
    or that of one of the other SAMPLE_HOLDERS."""
    province = Province(code="12", name_en="Phnom Penh", name_km="រាជធានីភ្នំពេញ")
    resident = Resident(
        **SAMPLE_HOLDERS[nationality],
        sex=Resident.Sex.FEMALE,
        date_of_birth=dt.date(1980, 5, 17),
        nationality=nationality,
        province=province,
        photo=_stored_photo() if photo else "",
    )
    return ResidenceCard(
        number=numbers.format_number(province_code="12", serial=123),
        resident=resident,
        province=province,
        issue_date=dt.date(2026, 11, 26),
        expiry_date=dt.date(2028, 11, 25),
        token=SAMPLE_TOKEN,
    )
