"""The rows of the cards list, written in Python.

Fifty rows of seven cells, each status label read through Django's lazy translations and each
badge a template tag of its own, cost the list more than the rest of its page. The markup is the
one the template wrote; the status labels and the "Pick" label are translated once per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from cards.models import ResidenceCard
from cards.templatetags.expiry_badges import expiry_badge
from core.templatetags.ims_rows import card_badge, dmy, url_of

register = template.Library()


@register.simple_tag
def card_rows(cards: Iterable[Any], can_print: bool) -> SafeString:
    """`<tr>`s of cards as cards.selectors.card_list_for gives them (a pick box to print)."""
    labels = {value: str(label) for value, label in ResidenceCard.Status.choices}
    pick = gettext("Pick")

    def row(card: Any) -> tuple[Any, ...]:
        province = card.province
        return (
            format_html(
                '<td><input class="form-check-input pick-box" type="checkbox" name="card"'
                ' value="{}" aria-label="{} {}"></td>',
                card.pk,
                pick,
                card.number,
            )
            if can_print
            else "",
            url_of(card.pk, "cards:card-detail"),
            card.number,
            card.resident.full_name,
            "" if province is None else province.name,
            dmy(card.issue_date),
            dmy(card.expiry_date),
            card_badge(card.status, labels.get(card.status, card.status)),
            expiry_badge(card.expiry_date, card.status),
        )

    html = format_html_join(
        "\n",
        '<tr>{}<td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{} {}</td></tr>",
        (row(card) for card in cards),
    )
    return html or format_html(
        '<tr><td colspan="7" class="text-muted">{}</td></tr>', gettext("No cards.")
    )
