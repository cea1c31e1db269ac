"""Template tags of the provinces app."""

from __future__ import annotations

from django import template

from accounts.models import User
from provinces import charts, selectors

register = template.Library()


@register.simple_tag
def province_headline(user: User) -> selectors.Headline | None:
    """The compilation headline for an HQ user (the director's home page); None for others."""
    if not user.is_authenticated or not selectors.is_hq(user):
        return None
    return selectors.headline_for(user=user)


@register.simple_tag
def progress_bar(done: int, behind: int = 0, label: str = "") -> str:
    """A progress bar as SVG (compiled in front of entered), safe under the CSP."""
    return charts.progress_bar(done, behind=behind, label=label)
