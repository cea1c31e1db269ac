"""The expiring/expired badge of a card, judged by its dates (no query)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from cards import expiry

register = template.Library()


@register.inclusion_tag("jobs/_expiry_badge.html")
def expiry_badge(expiry_date: dt.date | None, status: str = "") -> dict[str, object]:
    today = timezone.localdate()
    alert = expiry.alert_for(expiry_date, today, status)
    days = (expiry_date - today).days if alert else 0
    return {"alert": alert, "days_left": max(days, 0), "days_ago": max(-days, 0)}
