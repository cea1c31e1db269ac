"""The rows of the residents list, written in Python.

Fifty rows of a dozen template nodes each (a link, a date, a country's name, the status badge,
the card's expiry badge) cost the list more than everything else on the page; written here they
cost a fraction of that. The markup is the one the template wrote (tests and the browser
journeys read its data-testid attributes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from core import formats
from core.countries import country_name
from core.templatetags.ims_rows import (
    declaration_badge,
    html_of,
    html_rows,
    names_in_language,
    url_maker,
)
from residents import hooks

register = template.Library()


@register.simple_tag
def card_badge(expiry_date: dt.date | None) -> SafeString:
    """The expiring or expired badge of a resident's card of record (drawn by cards' receiver)."""
    badges = hooks.card_expiry_badge.collect(expiry_date=expiry_date)
    # Each answer is a receiver's own markup (format_html); plain text would be escaped here.
    return html_of("{}" * len(badges), *badges)


@register.simple_tag
def resident_rows(residents: Iterable[Any]) -> SafeString:
    """`<tr>`s of residents as residents.selectors.resident_list_for gives them."""
    language = get_language()
    detail_url = url_maker("residents:detail")
    name = names_in_language()

    badges: dict[tuple[str, str], SafeString] = {}

    def status_badge(status: str, label: str) -> SafeString:
        if (status, label) not in badges:
            badges[status, label] = declaration_badge(status, label)
        return badges[status, label]

    def row(resident: Any) -> tuple[Any, ...]:
        passport = resident.current_passport
        nationality = str(resident.nationality.code or "")
        names = html_of("")
        if resident.name_km:
            names = html_of('<div class="small khmer" lang="km">{}</div>', resident.name_km)
        # The name in its own script, drawn by the shipped faces (static/css/ims.css).
        if resident.name_native:
            names = html_of(
                '{}<div class="small own-script" dir="auto" data-testid="name-native">{}</div>',
                names,
                resident.name_native,
            )
        born = resident.date_of_birth
        return (
            resident.pk,
            detail_url(resident.pk),
            resident.full_name,
            names,
            formats.day(born),
            country_name(nationality, language) if nationality else "",
            (passport.masked_number if passport else "") or "—",
            name(resident.province),
            name(resident.address_district),
            status_badge(resident.latest_status, resident.latest_status_label),
            card_badge(getattr(resident, "card_expiry_date", None)),
        )

    return html_rows(
        '<tr data-testid="resident-row"><td>{}</td><td><a href="{}">{}</a>{}</td><td>{}</td>'
        '<td>{}</td><td class="font-monospace">{}</td><td>{}</td><td>{}</td><td>{} {}</td></tr>',
        (row(resident) for resident in residents),
    )
