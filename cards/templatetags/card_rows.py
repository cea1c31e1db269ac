"""The rows of the cards list, written in Python.

Fifty rows of seven cells, each status label read through Django's lazy translations and each
badge a template tag of its own, cost the list more than the rest of its page. The markup is the
one the template wrote; the status labels and the "Pick" label are translated once per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from cards.models import ResidenceCard
from cards.templatetags.expiry_badges import expiry_badge
from core.templatetags.ims_rows import (
    card_badge,
    csrf_input,
    html_of,
    html_rows,
    local_times,
    names_in_language,
    url_maker,
)

register = template.Library()


@register.simple_tag
def card_rows(cards: Iterable[Any], can_print: bool) -> SafeString:
    """`<tr>`s of cards as cards.selectors.card_list_for gives them (a pick box to print)."""
    labels = {value: str(label) for value, label in ResidenceCard.Status.choices}
    pick = gettext("Pick")
    today = timezone.localdate()
    detail_url = url_maker("cards:card-detail")
    dmy, _dmy_hm = local_times()
    name = names_in_language()

    def row(card: Any) -> tuple[Any, ...]:
        return (
            html_of(
                '<td><input class="form-check-input pick-box" type="checkbox" name="card"'
                ' value="{}" aria-label="{} {}"></td>',
                card.pk,
                pick,
                card.number,
            )
            if can_print
            else "",
            detail_url(card.pk),
            card.number,
            card.resident.full_name,
            name(card.province),
            dmy(card.issue_date),
            dmy(card.expiry_date),
            card_badge(card.status, labels.get(card.status, card.status)),
            expiry_badge(card.expiry_date, card.status, today),
        )

    markup = html_rows(
        '<tr>{}<td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{} {}</td></tr>",
        (row(card) for card in cards),
    )
    return markup or format_html(
        '<tr><td colspan="7" class="text-muted">{}</td></tr>', gettext("No cards.")
    )


@register.simple_tag(takes_context=True)
def due_rows(context: template.Context, declarations: Iterable[Any]) -> SafeString:
    """`<tr>`s of the residents due a card (cards.selectors.CARDS_DUE), each with its issue form."""
    csrf = csrf_input(context)
    issue_url = url_maker("cards:card-issue")
    dmy, _dmy_hm = local_times()
    name = names_in_language()
    issue = gettext("Issue card")

    def row(declaration: Any) -> tuple[Any, ...]:
        resident = declaration.resident
        return (
            resident.full_name,
            name(resident.province),
            name(resident.address_district),
            dmy(declaration.acknowledged_at),
            dmy(declaration.declared_on),
            issue_url(declaration.pk),
            csrf,
            issue,
        )

    markup = html_rows(
        '<tr data-testid="queue-row">\n'
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        '      <td class="text-end"><form method="post" action="{}">{}<button'
        ' class="btn btn-sm btn-outline-primary" type="submit">{}</button></form></td>\n'
        "    </tr>",
        (row(declaration) for declaration in declarations),
    )
    return markup or format_html(
        '<tr><td colspan="6" class="text-muted">{}</td></tr>',
        gettext("Every acknowledged resident has a card."),
    )
