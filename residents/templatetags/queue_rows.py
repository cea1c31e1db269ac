"""The rows of the work queues (verification, acknowledgements, returned), written in Python.

Fifty rows of a template loop, with a `{% url %}`, a `{% csrf_token %}`, a date through the
localisation machinery and a `{% blocktranslate %}` in each, cost a queue's page more than the
rest of it. The markup is the one the templates wrote (tests and the browser journeys read its
data-testid attributes); every translation and address pattern is looked up once per page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.figures import figure
from core.templatetags.ims_rows import (
    csrf_input,
    html_rows,
    local_times,
    names_in_language,
    url_maker,
)

register = template.Library()

_WARNING_ICON = format_html('<i class="bi bi-{}" aria-hidden="true"></i> ', "exclamation-triangle")


def filled(text: str) -> Callable[..., SafeString]:
    """`{% blocktranslate with name=value %}...{% endblocktranslate %}` of a translated `text`.

    The translation's `%(name)s` become format_html's `{name}`: the values are escaped into it,
    and so is the translation (plain text: escaping leaves what a reader sees as it was).
    """
    pattern = re.sub(r"%\((\w+)\)s", r"{\1}", text.replace("{", "{{").replace("}", "}}"))

    def fill(**values: Any) -> SafeString:
        return format_html(pattern, **values)

    return fill


def duplicates_badge(*, icon: bool) -> Callable[[int | None], SafeString | str]:
    """The "Likely duplicates: n" badge of a row with open flags; nothing for a row without."""
    label = filled(gettext("Likely duplicates: %(count)s"))
    mark = _WARNING_ICON if icon else ""

    def badge(count: int | None) -> SafeString | str:
        if not count:
            return ""
        return format_html(
            '<span class="badge text-bg-warning" data-testid="duplicate-badge">{}{}</span>',
            mark,
            label(count=count),
        )

    return badge


def _rows(template_html: str, rows: Iterable[tuple[Any, ...]], empty: SafeString) -> SafeString:
    return html_rows(template_html, rows) or empty


@register.simple_tag(takes_context=True)
def verification_rows(context: template.Context, declarations: Iterable[Any]) -> SafeString:
    """`<tr>`s of the verification queue (residents.queues.VERIFICATION's page)."""
    user_pk = context["user"].pk
    now: dt.datetime = context["now"]
    query = context.get("query") or ""
    suffix = f"?{query}" if query else ""
    badge = duplicates_badge(icon=True)
    held = filled(gettext("Held by %(verifier)s"))
    review = gettext("Review")
    review_url = url_maker("residents:review")
    dmy, dmy_hm = local_times()
    name = names_in_language()

    def row(declaration: Any) -> tuple[Any, ...]:
        resident = declaration.resident
        holder = declaration.claimed_by_id
        held_badge = (
            format_html(
                '<span class="badge text-bg-secondary" data-testid="held-badge">'
                '<i class="bi bi-lock" aria-hidden="true"></i> {}</span>',
                held(verifier=declaration.claimed_by),
            )
            if holder
            and holder != user_pk
            and declaration.claimed_until is not None
            and declaration.claimed_until > now
            else ""
        )
        return (
            dmy_hm(declaration.submitted_at),
            resident.full_name,
            dmy(resident.date_of_birth),
            name(resident.address_district),
            name(declaration.basis),
            declaration.created_by,
            badge(declaration.open_flags),
            held_badge,
            review_url(declaration.pk) + suffix,
            review,
        )

    return _rows(
        '<tr data-testid="queue-row"><td class="text-nowrap">{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}\n{}</td>"
        '<td><a class="btn btn-sm btn-primary" href="{}">{}</a></td></tr>',
        (row(declaration) for declaration in declarations),
        format_html(
            '<tr><td colspan="8" class="text-muted">{}</td></tr>', gettext("Nothing to verify.")
        ),
    )


@register.simple_tag(takes_context=True)
def acknowledgement_rows(context: template.Context, declarations: Iterable[Any]) -> SafeString:
    """`<tr>`s of the acknowledgements queue, each with its own acknowledge form."""
    csrf = csrf_input(context)
    badge = duplicates_badge(icon=False)
    acknowledge = gettext("Acknowledge")
    detail_url = url_maker("residents:detail")
    acknowledge_url = url_maker("residents:declaration-acknowledge")
    dmy, _dmy_hm = local_times()
    name = names_in_language()

    def row(declaration: Any) -> tuple[Any, ...]:
        resident = declaration.resident
        return (
            detail_url(declaration.resident_id),
            resident.full_name,
            name(resident.province),
            name(declaration.basis),
            declaration.reviewed_by,
            dmy(declaration.reviewed_at),
            badge(declaration.open_flags),
            acknowledge_url(declaration.pk),
            csrf,
            acknowledge,
        )

    return _rows(
        '<tr data-testid="queue-row"><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
        "<td>{} · {}</td><td>{}</td>"
        '<td><form method="post" action="{}">{}<button class="btn btn-sm btn-outline-success"'
        ' type="submit">{}</button></form></td></tr>',
        (row(declaration) for declaration in declarations),
        format_html(
            '<tr><td colspan="6" class="text-muted">{}</td></tr>',
            gettext("No verified declaration waits in this province."),
        ),
    )


@register.simple_tag
def returned_rows(declarations: Iterable[Any]) -> SafeString:
    """`<tr>`s of the declarations returned to their maker, with the verifier's reason."""
    badge = duplicates_badge(icon=False)
    detail_url = url_maker("residents:detail")
    _dmy, dmy_hm = local_times()

    def row(declaration: Any) -> tuple[Any, ...]:
        return (
            detail_url(declaration.resident_id),
            declaration.resident.full_name,
            dmy_hm(declaration.reviewed_at),
            declaration.reviewed_by,
            linebreaksbr(declaration.status_reason, autoescape=True),
            badge(declaration.open_flags),
        )

    return _rows(
        '<tr data-testid="returned-row"><td><a href="{}">{}</a></td>'
        '<td class="text-nowrap">{}</td><td>{}</td><td data-testid="returned-reason">{}</td>'
        "<td>{}</td></tr>",
        (row(declaration) for declaration in declarations),
        format_html(
            '<tr><td colspan="5" class="text-muted">{}</td></tr>',
            gettext("Nothing was returned to you."),
        ),
    )


@register.simple_tag(takes_context=True)
def count_links(
    context: template.Context, links: Iterable[tuple[dict[str, Any], str]], chosen: Any
) -> SafeString:
    """The links of one facet of a queue's counts (districts, bases, makers), `chosen` marked."""
    khmer = context.get("LANGUAGE_CODE") == "km"
    return html_rows(
        '<a class="list-group-item list-group-item-action d-flex justify-content-between{}"'
        ' href="{}">{}<span class="badge text-bg-light">{}</span></a>',
        (
            (
                " active" if chosen == row["value"] else "",
                url,
                row["label_km"] if khmer else row["label"],
                figure(row["count"]),
            )
            for row, url in links
        ),
        separator="",
    )


@register.simple_tag
def province_summary(summary: Iterable[dict[str, Any]], chosen: Any) -> SafeString:
    """The acknowledgements page's provinces, each with its count, the chosen one marked."""
    name = names_in_language()
    code = chosen.code if chosen else None
    return html_rows(
        '<a class="list-group-item list-group-item-action d-flex justify-content-between{}"'
        ' href="?province={}">\n        {} <span class="badge text-bg-light">{}</span>\n      </a>',
        (
            (
                " active" if row["province"].code == code else "",
                row["province"].code,
                name(row["province"]),
                row["verified"],
            )
            for row in summary
        ),
    )
