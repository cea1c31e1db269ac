"""Template tags of the provinces app."""

from __future__ import annotations

from django import template

from accounts.models import User
from provinces import selectors

register = template.Library()


@register.simple_tag
def province_headline(user: User) -> selectors.Headline | None:
    """The compilation headline for an HQ user (the director's home page); None for others."""
    if not user.is_authenticated or not selectors.is_hq(user):
        return None
    return selectors.headline_for(user=user)
