"""Country names in the reader's language, from CLDR (Babel), for every ISO 3166-1 country.

django-countries ships English names and no Khmer; its translations come through gettext, which
would need 249 hand-written Khmer names in the catalogue. CLDR has them all. `COUNTRIES_OVERRIDE`
(built by `override()` in the settings) gives django-countries one lazy name per code, so every
form choice, filter, list, export and report that names a country through django-countries reads
the active language's name, with no special case anywhere else.

English keeps django-countries' own names (the import reader matches spreadsheet values against
them); every other language reads CLDR's, falling back to English where CLDR has none.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from django.utils.encoding import force_str
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import override as language_override

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@cache
def english_name(code: str) -> str:
    """django-countries' English name of `code` (its common name where it has one)."""
    from django_countries import Countries
    from django_countries.data import COUNTRIES

    with language_override("en"):
        return force_str(Countries.COMMON_NAMES.get(code) or COUNTRIES[code])


@cache
def _territories(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(language.replace("-", "_")).territories)
    except (UnknownLocaleError, ValueError):
        return {}


def country_name(code: str, language: str | None = None) -> str:
    """The name of the country `code` in `language` (the active language by default)."""
    language = (language or get_language() or "en").lower()
    if language == "en" or language.startswith("en-"):
        return english_name(code)
    return _territories(language).get(code) or english_name(code)


_lazy_name = lazy(country_name, str)


def override() -> dict[str, StrOrPromise]:
    """`COUNTRIES_OVERRIDE`: every country's name, evaluated in the language active when read."""
    from django_countries.data import COUNTRIES

    return {code: _lazy_name(code) for code in COUNTRIES}
