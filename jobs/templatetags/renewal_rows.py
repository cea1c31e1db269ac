"""The rows of the renewals page, written in Python.

Each row had a url, a csrf token, a date through the localisation machinery and a chain of
`{% if card.renewal_state == ... %}`; written here, the state's badge is one lookup and every
translation and address pattern is read once per page. The markup is the one the template wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from cards.templatetags.expiry_badges import expiry_badge
from core.templatetags.ims_rows import (
    csrf_input,
    html_rows,
    local_times,
    names_in_language,
    url_maker,
)
from jobs import selectors

register = template.Library()

_NO_BADGE = format_html('<span class="text-muted">{}</span>', "—")
_STATE_BADGES = {
    selectors.STATE_READY: "text-bg-primary",
    selectors.STATE_IN_PROGRESS: "text-bg-info",
}


@register.simple_tag(takes_context=True)
def renewal_rows(context: template.Context, cards: Iterable[Any]) -> SafeString:
    """`<tr>`s of the cards due a renewal, as jobs.views.renewals describes them."""
    can_start, can_renew = context.get("can_start"), context.get("can_renew")
    renew, start = gettext("Renew card"), gettext("Start renewal")
    csrf = csrf_input(context) if can_start else ""
    card_url, renew_url = url_maker("cards:card-detail"), url_maker("cards:card-renew")
    start_url, resident_url = url_maker("jobs:renewal-start"), url_maker("residents:detail")
    dmy, _dmy_hm = local_times()
    name = names_in_language()
    today = timezone.localdate()

    def renewal(card: Any) -> SafeString:
        label = card.renewal_label
        if card.new_card:
            return format_html(
                '<a href="{}" class="badge text-bg-success text-decoration-none">{}</a>',
                card_url(card.new_card.pk),
                label,
            )
        if card.renewal_state == selectors.STATE_READY:
            action = (
                format_html(
                    ' <a class="btn btn-sm btn-primary" href="{}" data-testid="renew-card">{}</a>',
                    renew_url(card.pk),
                    renew,
                )
                if can_renew
                else ""
            )
        elif card.renewal_state == selectors.STATE_IN_PROGRESS:
            action = ""
        else:
            action = (
                format_html(
                    ' <form method="post" action="{}" class="d-inline">{}<button'
                    ' class="btn btn-sm btn-outline-primary" type="submit"'
                    ' data-testid="start-renewal">{}</button></form>',
                    start_url(card.pk),
                    csrf,
                    start,
                )
                if can_start
                else ""
            )
        css = _STATE_BADGES.get(card.renewal_state, "text-bg-light border")
        return format_html('<span class="badge {}">{}</span>{}', css, label, action)

    def row(card: Any) -> tuple[Any, ...]:
        resident = card.resident
        return (
            card.renewal_state,
            resident_url(card.resident_id),
            resident.full_name,
            format_html('<div class="small" lang="km">{}</div>', resident.name_km)
            if resident.name_km
            else "",
            card_url(card.pk),
            card.number,
            name(card.province),
            dmy(card.expiry_date),
            _NO_BADGE if card.new_card else expiry_badge(card.expiry_date, card.status, today),
            renewal(card),
            dmy(card.notified_at) or "—",
        )

    markup = html_rows(
        '<tr data-testid="renewal-row" data-state="{}"><td><a href="{}">{}</a>{}</td>'
        '<td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (row(card) for card in cards),
    )
    return markup or format_html(
        '<tr><td colspan="7" class="text-muted">{}</td></tr>', gettext("No card to renew.")
    )
