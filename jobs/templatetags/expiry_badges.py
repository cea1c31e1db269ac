"""The expiring/expired badge of a card, judged by its dates (no query)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.template.loader import render_to_string
from django.utils import timezone

from cards import expiry

register = template.Library()


@register.simple_tag
def expiry_badge(expiry_date: dt.date | None, status: str = "") -> str:
    """The badge of an expiring or expired card; nothing (and no template rendered) otherwise.

    Most cards of a list are neither: rendering the badge's template for each row anyway cost
    list pages a tenth of their time.
    """
    today = timezone.localdate()
    alert = expiry.alert_for(expiry_date, today, status)
    if not alert:
        return ""
    days = (expiry_date - today).days  # type: ignore[operator]  # an alert has a date
    context = {"alert": alert, "days_left": max(days, 0), "days_ago": max(-days, 0)}
    return render_to_string("jobs/_expiry_badge.html", context)
