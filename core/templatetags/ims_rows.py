"""Filters for the cells of list pages, written in Python: one template node per cell.

A list page repeats each cell fifty times; a per-row `{% include %}` of a badge, `{% url %}`,
`|date` through the localisation machinery or a country's name through django-countries' lazy
translations cost more than the rest of the page. These write the same markup directly.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core import formats
from core.countries import country_name

register = template.Library()

_SENTINEL = 987654321


@lru_cache(maxsize=256)
def _pattern(name: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    # The address of `name` for one integer argument, split around it, reversed once per process.
    head, tail = reverse(name, args=[_SENTINEL], urlconf=urlconf).split(str(_SENTINEL))
    return head, tail


@register.filter
def url_of(pk: Any, name: str) -> str:
    """`{{ resident.pk|url_of:"residents:detail" }}`: `{% url name pk %}` for a URL of one id."""
    head, tail = _pattern(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"


def url_maker(name: str) -> Callable[[Any], str]:
    """`url_of(pk, name)` for every row of a page, the address's pattern looked up once."""
    head, tail = _pattern(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{int(pk)}{tail}"


def _escaped(value: Any) -> str:
    # django.utils.html.conditional_escape without its lazy-string wrapper (a tenth of a cell's
    # cost): markup already safe is kept, anything else is escaped as Django's escape() does.
    as_html = getattr(value, "__html__", None)
    return as_html() if as_html is not None else html.escape(str(value))


def html_rows(row_html: str, rows: Iterable[Sequence[Any]], *, separator: str = "\n") -> SafeString:
    """`format_html_join(separator, row_html, rows)`, the same markup at a fifth of its cost."""
    # Every value is escaped (or was safe already) before it is placed: the whole is safe.
    return mark_safe(separator.join(row_html.format(*map(_escaped, row)) for row in rows))  # noqa: S308


def html_of(markup: str, *values: Any) -> SafeString:
    """`format_html(markup, *values)` at a fraction of its cost (each value escaped, or safe)."""
    return mark_safe(markup.format(*map(_escaped, values)))  # noqa: S308


def local_times() -> tuple[Callable[[Any], str], Callable[[Any], str]]:
    """`dmy` and `dmy_hm` for every row of a page, the active time zone looked up once."""
    zone = timezone.get_current_timezone()

    def local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return value.astimezone(zone)
        return value

    def day(value: Any) -> str:
        return "" if value is None or value == "" else local(value).strftime(formats.DATE)

    def day_time(value: Any) -> str:
        return "" if value is None else local(value).strftime(formats.DATE_TIME)

    return day, day_time


def names_in_language() -> Callable[[Any], str]:
    """`obj.name` of a division or basis (`name_km` in Khmer, else `name_en`), the language read
    once per page; empty for none."""
    attribute = "name_km" if get_language() == "km" else "name_en"
    return lambda obj: "" if obj is None else getattr(obj, attribute)


@register.filter
def dmy(value: dt.date | dt.datetime | None) -> str:
    """DD-MM-YYYY (the IMS's date format in both languages, core.formats); empty for no date."""
    return formats.day(value)


@register.filter
def dmy_hm(value: dt.datetime | None) -> str:
    """DD-MM-YYYY HH:MM in local time; empty for no time."""
    return formats.day_time(value)


@register.filter
def country(code: Any) -> str:
    """A country's name in the active language (core.countries), from its code or Country."""
    code = str(getattr(code, "code", code) or "")
    return country_name(code, get_language()) if code else ""


_DECLARATION_BADGES = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-primary",
    "returned": "text-bg-warning",
    "verified": "text-bg-success",
    "rejected": "text-bg-danger",
}


@register.simple_tag
def declaration_badge(status: str, label: str) -> SafeString:
    """The badge of templates/residents/_status_badge.html, without rendering it per row."""
    if not status:
        return format_html('<span class="text-muted">{}</span>', "—")
    css = _DECLARATION_BADGES.get(status, "text-bg-dark")
    return format_html(
        '<span class="badge status-{} {}" data-testid="status">{}</span>', status, css, label
    )


_CARD_BADGES = {
    "revoked": "text-bg-danger",
    "expired": "text-bg-danger",
    "replaced": "text-bg-secondary",
    "expiring": "text-bg-warning",
    "active": "text-bg-success",
}


@register.simple_tag
def card_badge(status: str, label: str) -> SafeString:
    """The badge of templates/cards/_status.html, without rendering it per row."""
    return format_html(
        '<span class="badge {}" data-testid="card-status">{}</span>',
        _CARD_BADGES.get(status, "text-bg-info"),
        label,
    )


@register.simple_tag
def nav_links(items: list[dict[str, str]], path: str) -> SafeString:
    """The section menu's `<li>`s (gdi_ims.navigation), the current page's marked."""
    return format_html_join(
        "\n",
        '<li class="nav-item"><a class="nav-link text-nowrap{}"{} href="{}">'
        '<i class="bi bi-{}" aria-hidden="true"></i> {}</a></li>',
        (
            (
                " active" if item["url"] == path else "",
                mark_safe(' aria-current="page"') if item["url"] == path else "",
                item["url"],
                item["icon"],
                item["label"],
            )
            for item in items
        ),
    )


@register.filter
def utc_dmy_hms(value: dt.datetime | None) -> str:
    """DD-MM-YYYY HH:MM:SS in UTC (the audit trail's times)."""
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime(f"{formats.DATE_TIME}:%S")


@register.filter
def pairs(mapping: dict[str, Any] | None) -> str:
    """`key=value, key=value` of a dict (an audit event's detail); a dash for none."""
    if not mapping:
        return "—"
    return ", ".join(f"{key}={value}" for key, value in mapping.items())


def csrf_input(context: template.Context) -> SafeString:
    """`{% csrf_token %}` for rows written in Python: once per page, the same in every form."""
    request = context.get("request")
    token = context.get("csrf_token") or (get_token(request) if request is not None else "")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
