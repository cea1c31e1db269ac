"""Country names as django-countries spells them, marked so that our catalogue translates them.

django-countries ships no Khmer; listing the nationalities GDI meets most often here puts their
names in the project's .po file, and Django then shows them in Khmer wherever a country is named
(on the cards above all). Other countries fall back to English.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

COMMON_NATIONALITIES = [
    gettext_noop("China"),
    gettext_noop("Vietnam"),
    gettext_noop("Thailand"),
    gettext_noop("South Korea"),
    gettext_noop("North Korea"),
    gettext_noop("Japan"),
    gettext_noop("United States of America"),
    gettext_noop("United Kingdom"),
    gettext_noop("France"),
    gettext_noop("Germany"),
    gettext_noop("Australia"),
    gettext_noop("Canada"),
    gettext_noop("India"),
    gettext_noop("Philippines"),
    gettext_noop("Malaysia"),
    gettext_noop("Singapore"),
    gettext_noop("Indonesia"),
    gettext_noop("Laos"),
    gettext_noop("Myanmar"),
    gettext_noop("Russia"),
    gettext_noop("Taiwan"),
    gettext_noop("Hong Kong"),
    gettext_noop("Italy"),
    gettext_noop("Spain"),
    gettext_noop("New Zealand"),
    gettext_noop("Netherlands"),
    gettext_noop("Switzerland"),
    gettext_noop("Pakistan"),
    gettext_noop("Bangladesh"),
    gettext_noop("Nepal"),
    gettext_noop("Sri Lanka"),
]
