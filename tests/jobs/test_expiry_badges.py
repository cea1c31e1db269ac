"""The expiry badge of a card in a list: only for an expiring or expired card."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.utils import timezone

BADGE = Template("{% load expiry_badges %}[{% expiry_badge expiry status %}]")


def _badge(expiry: dt.date | None, status: str = "") -> str:
    return BADGE.render(Context({"expiry": expiry, "status": status}))


def test_a_card_expired_three_days_ago_says_so():
    html = _badge(timezone.localdate() - dt.timedelta(days=3))

    assert 'data-alert="expired"' in html
    assert "Card expired 3 days ago" in html


def test_a_card_expiring_in_ten_days_says_so():
    html = _badge(timezone.localdate() + dt.timedelta(days=10))

    assert 'data-alert="expiring"' in html
    assert "Card expires in 10 days" in html


def test_a_card_valid_for_a_year_or_no_card_gets_no_badge():
    assert _badge(timezone.localdate() + dt.timedelta(days=365)) == "[]"
    assert _badge(None) == "[]"
