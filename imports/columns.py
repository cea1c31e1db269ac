"""The columns of an import file: English and Khmer headers, and how headers are recognised."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise  # shown in the interface, in the reader's language
    en: str  # template header, English part (never translated: files travel between offices)
    km: str  # template header, Khmer part
    required: bool = False
    max_length: int = 150
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def header(self) -> str:
        return f"{self.en} / {self.km}"


COLUMNS: tuple[Column, ...] = (
    Column("surname", _("Surname"), "Surname", "នាមត្រកូល", True, 100,
           ("last name", "family name", "nom")),
    Column("given_names", _("Given names"), "Given names", "នាមខ្លួន", False, 150,
           ("given name", "first name", "first names", "forenames")),
    Column("name_km", _("Name in Khmer"), "Name in Khmer", "ឈ្មោះជាអក្សរខ្មែរ", False, 150,
           ("khmer name",)),
    Column("name_native", _("Name in own script"), "Name in own script", "ឈ្មោះជាអក្សរដើម",
           False, 150, ("native name", "chinese name")),
    Column("sex", _("Sex"), "Sex", "ភេទ", True, 10, ("gender",)),
    Column("date_of_birth", _("Date of birth"), "Date of birth", "ថ្ងៃខែឆ្នាំកំណើត", True, 30,
           ("dob", "birth date", "birthdate")),
    Column("place_of_birth", _("Place of birth"), "Place of birth", "ទីកន្លែងកំណើត", False, 150,
           ("birthplace",)),
    Column("nationality", _("Nationality"), "Nationality", "សញ្ជាតិ", True, 60,
           ("citizenship", "country")),
    Column("passport_number", _("Passport number"), "Passport number", "លេខលិខិតឆ្លងដែន",
           True, 40, ("passport", "passport no", "passport no.", "travel document number")),
    Column("passport_country", _("Passport issuing country"), "Passport issuing country",
           "ប្រទេសចេញលិខិតឆ្លងដែន", False, 60, ("issuing country",)),
    Column("passport_issue_date", _("Passport issue date"), "Passport issue date",
           "ថ្ងៃចេញលិខិតឆ្លងដែន", False, 30, ("date of issue",)),
    Column("passport_expiry_date", _("Passport expiry date"), "Passport expiry date",
           "ថ្ងៃផុតកំណត់លិខិតឆ្លងដែន", False, 30, ("date of expiry", "expiry date")),
    Column("arrival_date", _("Date of first arrival"), "Date of first arrival",
           "ថ្ងៃមកដល់កម្ពុជាលើកដំបូង", False, 30, ("arrival date", "date of arrival")),
    Column("phone", _("Phone"), "Phone", "លេខទូរស័ព្ទ", False, 40, ("telephone", "mobile")),
    Column("occupation", _("Occupation"), "Occupation", "មុខរបរ", False, 120, ("job",)),
    Column("employer", _("Employer"), "Employer", "និយោជក", False, 150, ()),
    Column("province", _("Province"), "Province", "រាជធានី/ខេត្ត", False, 60,
           ("province code", "ខេត្ត", "រាជធានី")),
    Column("district", _("District"), "District", "ក្រុង/ស្រុក/ខណ្ឌ", True, 60,
           ("district code", "khan", "srok", "ស្រុក", "ខណ្ឌ")),
    Column("commune", _("Commune"), "Commune", "ឃុំ/សង្កាត់", True, 60,
           ("commune code", "sangkat", "khum", "ឃុំ", "សង្កាត់")),
    Column("village", _("Village"), "Village", "ភូមិ", False, 150, ()),
    Column("street", _("House and street"), "House and street", "ផ្ទះ និងផ្លូវ", False, 200,
           ("address", "street")),
    Column("basis", _("Basis of residence"), "Basis of residence", "មូលដ្ឋាននៃការស្នាក់នៅ",
           True, 120, ("basis",)),
    Column("declared_on", _("Date of declaration"), "Date of declaration", "ថ្ងៃប្រកាស", False,
           30, ("declaration date",)),
)  # fmt: skip

BY_KEY = {c.key: c for c in COLUMNS}
# The column the file of rejected rows adds after the template's: known, and ignored on upload.
PROBLEMS_HEADER = "Problems / បញ្ហា"
# The running number lists start with ("No.", "ល.រ"): a column of no one's data, ignored quietly.
SERIAL_HEADERS = frozenset({"no", "no.", "nº", "n°", "#", "sr", "s/n", "sl no", "sl. no.", "ល.រ",
                            "លរ", "ល.រ.", "ល/រ"})  # fmt: skip
REQUIRED = tuple(c.key for c in COLUMNS if c.required)


def normalise_header(text: object) -> str:
    """Headers compare without case, accents, stars, stray spaces or zero-width characters."""
    value = unicodedata.normalize("NFC", str(text or ""))
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    value = value.replace("*", " ").replace("_", " ").replace(":", " ")
    return " ".join(value.casefold().split())


def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.key, column.en, column.km, column.header, *column.aliases):
            names.setdefault(normalise_header(name), column.key)
    return names


_NAMES = _names()


def column_for(header: object) -> str | None:
    """The column a header names, in English or Khmer, alone or as the template's "EN / KM"."""
    text = normalise_header(header)
    if not text:
        return None
    if text in _NAMES:
        return _NAMES[text]
    # "Surname / នាមត្រកូល", "Surname (នាមត្រកូល)" and the like: any part that names a column.
    for part in text.replace("(", "/").replace(")", "/").replace("|", "/").split("/"):
        key = _NAMES.get(part.strip())
        if key:
            return key
    return None
