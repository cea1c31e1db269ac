"""Template tags of the compilation (the dashboard, the province pages, the director's home)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from accounts.models import User
from compilation import charts, selectors
from compilation.models import ProvinceCompilation

register = template.Library()


@register.simple_tag
def province_headline(user: User) -> selectors.Headline | None:
    """The compilation headline for an HQ user (the director's home page); None for others."""
    if not user.is_authenticated or not selectors.is_hq(user):
        return None
    return selectors.headline_for(user=user)


# The badge of each list status: done, sent back, waiting for HQ, still with the province.
STATUS_TONES: dict[str, str] = {
    ProvinceCompilation.Status.FINISHED: "success",
    ProvinceCompilation.Status.RETURNED: "danger",
    ProvinceCompilation.Status.REOPENED: "danger",
    ProvinceCompilation.Status.SUBMITTED: "warning",
    ProvinceCompilation.Status.UNDER_REVIEW: "warning",
}


@register.filter
def list_tone(compilation: ProvinceCompilation) -> str:
    """The badge colour of a province list's status (Bootstrap's text-bg-* names)."""
    return STATUS_TONES.get(compilation.status, "secondary")


@register.simple_tag
def progress_bar(done: int, behind: int = 0, label: str = "") -> str:
    """A progress bar as SVG (compiled in front of entered), safe under the CSP."""
    return charts.progress_bar(done, behind=behind, label=label)


# What each figure counts, as the filters of the list that shows exactly those records.
DRILL_DOWNS: dict[str, tuple[str, dict[str, str]]] = {
    "residents": ("residents:list", {}),
    "draft": ("residents:list", {"status": "draft"}),
    "submitted": ("residents:list", {"status": "submitted"}),
    "returned": ("residents:list", {"status": "returned"}),
    "verified": ("residents:list", {"status": "verified"}),
    "rejected": ("residents:list", {"status": "rejected"}),
    "acknowledged": ("residents:list", {"status": "acknowledged"}),
    # Through verification: what the progress and its percentage count.
    "compiled": ("residents:list", {"status": "compiled"}),
    "cards_issued": ("cards:card-list", {"status": "issued"}),
    "cards_printed": ("cards:card-list", {"status": "printed"}),
    "cards_active": ("cards:card-list", {"status": "active"}),
    "cards_expiring": ("cards:card-list", {"status": "expiring"}),
    "cards_expired": ("cards:card-list", {"status": "expired"}),
    # Not through verification yet: the province list's "records not verified yet".
    "pending": ("residents:list", {"status": "pending"}),
    # Cards expiring within the window or expired: the province page's "renewals due".
    "renewals_due": ("jobs:renewals", {"state": "due"}),
}


@register.simple_tag
def drill_down(figure: str, province: str = "", district: str = "") -> str:
    """The URL of the list of exactly the records a figure counts (filters in the query)."""
    name, filters = DRILL_DOWNS[figure]
    query = dict(filters)
    if province:
        query["province"] = province
    if district:
        query["district"] = district
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


@register.simple_tag
def backlog_drill_down(province: str, low: int, high: int | None) -> str:
    """The verification queue of the province narrowed to one age bucket of the backlog.

    A bucket "low to high days" holds what waits at least `low` days and less than `high + 1`.
    """
    query = {"province": province}
    if low:
        query["older_than"] = str(low)
    if high is not None:
        query["newer_than"] = str(high + 1)
    return f"{reverse('residents:verification-queue')}?{urlencode(query)}"
