"""How the provinces' lists write a country, read into its ISO 3166-1 alpha-2 code.

The names come from the standards' data, not from a hand-kept list:
- django-countries: ISO 3166-1 short names (with ISO's inverted word orders, "Korea (the Republic
  of)"), their common and former names, and the alpha-2 and alpha-3 codes;
- pycountry: ISO 3166-1 official names ("People's Republic of China", "Kingdom of Thailand");
- CLDR, through Babel: every country's name in English and Khmer, and in the languages passports
  and lists are often written in besides (French, Chinese, Vietnamese, Thai, Korean, Japanese);
  and the name of a language whose main country bears its name ("Chinese" is China, "Lao" is
  Laos, "ចិន" is China), which is how most nationalities are written;
- DEMONYMS below: the English demonyms no language name gives ("American", "British",
  "Filipino") and a few Khmer everyday names, short and reviewed.

Words compare as a bag: without case, accents, punctuation, "the", "of", "and", and in any order,
so "Korea, Republic of", "Republic of Korea" and "Korea (the Republic of)" are one key; Khmer
compares without its (optional) spaces and without a leading "ជនជាតិ" or "ប្រទេស". A key that
two countries share ("Korea", from either Korea) is dropped unless DEMONYMS settles it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import pycountry
from babel import Locale
from babel.core import get_global
from django.utils import translation
from django_countries import countries
from django_countries.data import COUNTRIES

from core.text import INVISIBLE

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# CLDR locales whose country names are read besides English and Khmer.
LOCALES = ("en", "km", "fr", "zh", "zh_Hant", "vi", "th", "ko", "ja")

DEMONYMS = {
    "french": "FR", "malaysian": "MY", "lao pdr": "LA", "britain": "GB", "american": "US",
    "usa": "US", "us": "US", "british": "GB", "uk": "GB", "english": "GB",
    "scottish": "GB", "welsh": "GB", "great britain": "GB", "filipino": "PH", "filipina": "PH",
    "philippine": "PH", "pilipino": "PH", "burmese": "MM", "laotian": "LA", "korea": "KR",
    "korean": "KR", "south korean": "KR", "north korean": "KP", "dutch": "NL", "holland": "NL",
    "swiss": "CH", "danish": "DK", "dane": "DK", "irish": "IE", "new zealander": "NZ",
    "kiwi": "NZ", "portuguese": "PT", "taiwanese": "TW", "hongkonger": "HK", "hong konger": "HK",
    "macanese": "MO", "singaporean": "SG", "sri lankan": "LK", "bangladeshi": "BD",
    "pakistani": "PK", "israeli": "IL", "iranian": "IR", "iraqi": "IQ", "nigerian": "NG",
    "brazilian": "BR", "mexican": "MX", "canadian": "CA", "australian": "AU", "indian": "IN",
    "belgian": "BE", "austrian": "AT", "egyptian": "EG", "south african": "ZA",
    "cambodian": "KH", "khmer": "KH", "kampuchea": "KH", "prc": "CN", "mainland china": "CN",
    "chine": "CN", "viet nam": "VN", "yuon": "VN", "turk": "TR", "turkey": "TR",
    "saudi": "SA", "emirati": "AE", "uae": "AE", "czech republic": "CZ", "macedonian": "MK",
    "ivorian": "CI", "congolese": "CD", "kenyan": "KE", "ghanaian": "GH", "cameroonian": "CM",
    "ethiopian": "ET", "argentinian": "AR", "argentine": "AR", "chilean": "CL",
    "colombian": "CO", "peruvian": "PE", "venezuelan": "VE", "cuban": "CU", "afghan": "AF",
    "nepalese": "NP", "bhutanese": "BT", "maldivian": "MV", "timorese": "TL", "east timor": "TL",
    "bruneian": "BN", "kazakh": "KZ", "uzbek": "UZ", "norwegian": "NO", "luxembourger": "LU",
    "icelander": "IS",
    # Khmer everyday names that CLDR does not carry.
    "យួន": "VN", "ភូមា": "MM", "អាមេរិកាំង": "US", "កូរ៉េ": "KR", "អង់គ្លេស": "GB",
    "ខ្មែរ": "KH", "ហុងកុង": "HK", "ម៉ាកាវ": "MO",
}  # fmt: skip
_KM_PREFIXES = ("ជនជាតិ", "សញ្ជាតិ", "ប្រទេស")
_DROPPED = re.compile(r"[.'’`]")
_SPACED = re.compile(r"[,()\[\]\-/&:;*\"]")
_STOP_WORDS = frozenset({"the", "of", "and"})
_PAREN = re.compile(r"\s*\(([^)]*)\)\s*")


def _is_khmer(value: str) -> bool:
    return any("\u1780" <= ch <= "\u17ff" or "\u19e0" <= ch <= "\u19ff" for ch in value)


def key(value: str) -> str:
    """What two spellings of the same country have in common (see the module's docstring)."""
    value = unicodedata.normalize("NFKD", value)
    # Latin accents only: Khmer vowel signs and the coeng are letters of the word.
    value = "".join(ch for ch in value if not "\u0300" <= ch < "\u0370")
    value = unicodedata.normalize("NFC", value).casefold().translate(INVISIBLE)
    value = _SPACED.sub(" ", _DROPPED.sub("", value)).strip()
    if _is_khmer(value):
        value = "".join(value.split())
        for prefix in _KM_PREFIXES:
            if value.startswith(prefix) and len(value) > len(prefix):
                value = value[len(prefix) :]
        return value
    return " ".join(sorted(w for w in value.split() if w not in _STOP_WORDS))


def _variants(name: str) -> tuple[list[str], list[str]]:
    """The full name, and its shorter forms: without its parenthesis, and the parenthesis alone."""
    shorter = []
    if match := _PAREN.search(name):
        shorter = [_PAREN.sub(" ", name).strip(), match.group(1)]
    if "," in name:
        shorter.append(name.split(",", 1)[0])
    return [name], shorter


def _language_names() -> list[tuple[str, str]]:
    """(language name, country) where the language's main country bears its name: 'Thai', TH."""
    likely = get_global("likely_subtags")
    english, khmer = Locale("en"), Locale("km")
    pairs = []
    for language, name in english.languages.items():
        if "_" in language or language not in likely:
            continue
        territory = likely[language].split("_")[-1]
        if territory not in COUNTRIES:
            continue
        stem = key(name)[:3]
        country_words = key(english.territories.get(territory, "")).split()
        if len(stem) == 3 and any(word.startswith(stem) for word in country_words):
            pairs.append((name, territory))
            if language in khmer.languages:
                pairs.append((khmer.languages[language], territory))
    return pairs


@cache
def table() -> dict[str, str]:
    """Every key a country is known by, to its alpha-2 code."""
    full: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}

    def add(name: StrOrPromise, code: str) -> None:
        whole, shorter = _variants(str(name))
        for variant in whole:
            full.setdefault(key(variant), set()).add(code)
        for variant in shorter:
            short.setdefault(key(variant), set()).add(code)

    with translation.override("en"):
        for code, name in countries:
            add(code, code)
            add(name, code)
            add(COUNTRIES[code], code)
            if alpha3 := countries.alpha3(code):
                add(alpha3, code)
    for code, name in {**countries.COMMON_NAMES, **countries.OLD_NAMES}.items():
        if code in COUNTRIES:
            add(str(name), code)
    for record in pycountry.countries:
        if record.alpha_2 in COUNTRIES:
            for field in ("name", "official_name", "common_name"):
                if name := getattr(record, field, None):
                    add(name, record.alpha_2)
    for locale in LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if code in COUNTRIES:
                add(name, code)
    for name, code in _language_names():
        add(name, code)
    result = {k: codes.pop() for k, codes in short.items() if k and len(codes) == 1}
    result.update({k: codes.pop() for k, codes in full.items() if k and len(codes) == 1})
    result.update({key(name): code for name, code in DEMONYMS.items()})
    return result


def code_of(value: str) -> str | None:
    """The alpha-2 code `value` names, or None."""
    return table().get(key(value))


@lru_cache(maxsize=4096)
def closest(value: str, limit: int = 3) -> tuple[str, ...]:
    """The alpha-2 codes of the countries whose names are nearest to `value`, nearest first.

    Kept per value: a file repeats its unknown values on many rows, and each search reads every
    name."""
    wanted = key(value)
    if not wanted:
        return ()
    khmer = _is_khmer(wanted)
    names = [k for k in table() if _is_khmer(k) == khmer and len(k) > 3]
    found: list[str] = []
    for match in difflib.get_close_matches(wanted, names, n=20, cutoff=0.6):
        code = table()[match]
        if code not in found:
            found.append(code)
    return tuple(found[:limit])


def describe(codes: tuple[str, ...]) -> str:
    """'China (CN), Chile (CL)': the English names files are written with, and their codes."""
    with translation.override("en"):
        return ", ".join(f"{countries.name(code)} ({code})" for code in codes)
