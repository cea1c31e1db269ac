"""The expiring/expired badge of a card, judged by its dates (no query)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from cards import expiry

register = template.Library()


@register.simple_tag
def expiry_badge(
    expiry_date: dt.date | None, status: str = "", today: dt.date | None = None
) -> SafeString | str:
    """The badge of an expiring or expired card; nothing otherwise.

    Written in Python: list pages show it on many rows, and a template rendered per badge cost
    them a tenth of their time. A list passes `today`, read once for all its rows.
    """
    today = today or timezone.localdate()
    alert = expiry.alert_for(expiry_date, today, status)
    if not alert:
        return ""
    days = (expiry_date - today).days  # type: ignore[operator]  # an alert has a date
    if alert == expiry.ALERT_EXPIRED:
        ago = max(-days, 0)
        text = (
            ngettext("Card expired %(days)s day ago", "Card expired %(days)s days ago", ago)
            % {"days": ago}
            if ago
            else gettext("Card expired")
        )
        css, icon = "text-bg-danger", "exclamation-octagon"
    else:
        left = max(days, 0)
        text = (
            ngettext("Card expires in %(days)s day", "Card expires in %(days)s days", left)
            % {"days": left}
            if left
            else gettext("Card expires today")
        )
        css, icon = "text-bg-warning", "hourglass-split"
    return format_html(
        '<span class="badge {}" data-testid="expiry-badge" data-alert="{}">'
        '<i class="bi bi-{}" aria-hidden="true"></i> {}</span>',
        css,
        alert,
        icon,
        text,
    )
