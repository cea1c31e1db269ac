"""Role-based navigation: which menu entries each role sees.

Each app adds its entries here, next to the roles allowed to use them; views still check access
themselves (a hidden menu entry is a convenience, not a guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import User

Role = User.Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    icon: str = "circle"


ALL_ROLES = frozenset(Role.values)

NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", ALL_ROLES, "house"),
    NavItem(
        _("Residents"),
        "residents:list",
        frozenset({Role.OFFICER, Role.VERIFIER, Role.DIRECTOR, Role.CLERK, Role.ADMIN}),
        "people",
    ),
    NavItem(_("New resident"), "residents:create", frozenset({Role.OFFICER}), "person-plus"),
    NavItem(
        _("Returned to me"), "residents:returned", frozenset({Role.OFFICER}), "arrow-return-left"
    ),
    NavItem(
        _("Verification queue"),
        "residents:verification-queue",
        frozenset({Role.VERIFIER}),
        "check2-square",
    ),
    NavItem(
        _("Acknowledge"), "residents:acknowledgements", frozenset({Role.DIRECTOR}), "patch-check"
    ),
    NavItem(
        _("Dashboard"),
        "provinces:dashboard",
        frozenset({Role.DIRECTOR, Role.ADMIN}),
        "speedometer2",
    ),
    NavItem(
        _("My province"), "provinces:mine", frozenset({Role.OFFICER, Role.VERIFIER}), "geo-alt"
    ),
    NavItem(
        _("Audit trail"), "audit:event-list", frozenset({Role.ADMIN, Role.DIRECTOR}), "shield-check"
    ),
    NavItem(_("Cards"), "cards:card-list", ALL_ROLES, "person-vcard"),
    NavItem(_("Cards due"), "cards:due", frozenset({Role.CLERK, Role.DIRECTOR}), "card-checklist"),
    NavItem(_("Print runs"), "cards:print-run-list", frozenset({Role.CLERK}), "printer"),
    NavItem(_("Check a card"), "cards:check", ALL_ROLES, "qr-code-scan"),
    NavItem(
        _("Import lists"), "imports:batch-list", frozenset({Role.OFFICER, Role.DIRECTOR}), "upload"
    ),
    NavItem(
        _("Export"),
        "imports:export",
        frozenset({Role.OFFICER, Role.VERIFIER, Role.DIRECTOR}),
        "download",
    ),
    NavItem(
        _("Renewals due"),
        "jobs:renewals",
        frozenset({Role.OFFICER, Role.VERIFIER, Role.DIRECTOR, Role.CLERK, Role.ADMIN}),
        "arrow-repeat",
    ),
    NavItem(
        _("Notifications"),
        "jobs:notification-list",
        frozenset({Role.OFFICER, Role.VERIFIER}),
        "bell",
    ),
    NavItem(_("Jobs"), "jobs:job-list", frozenset({Role.ADMIN, Role.DIRECTOR}), "clock-history"),
    NavItem(_("Account security"), "accounts:security", ALL_ROLES, "shield-lock"),
    NavItem(_("Users"), "accounts:user-list", frozenset({Role.ADMIN}), "person-gear"),
    NavItem(_("Administration"), "admin:index", frozenset({Role.ADMIN}), "gear"),
]


def nav_items_for(user: User) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    return list(_menu(user.role, get_language(), get_script_prefix()))


@lru_cache(maxsize=64)
def _menu(role: str, language: str, prefix: str) -> tuple[dict[str, str], ...]:
    """A role's entries in one language, addresses reversed once per process (every page shows
    the menu; the URLs and labels only change with a deployment)."""
    return tuple(
        {"label": str(item.label), "url": reverse(item.url_name), "icon": item.icon}
        for item in NAV_ITEMS
        if role in item.roles
    )


@receiver(setting_changed)
def _forget_menus(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _menu.cache_clear()


def navigation(request: HttpRequest) -> dict[str, object]:
    from accounts.otp import owes_second_factor

    # Until the second factor is in (or a password an administrator set is changed), every
    # entry would only lead back to the code page (or the change-password page).
    if owes_second_factor(request.user) or getattr(request.user, "must_change_password", False):
        return {"nav_items": []}
    return {"nav_items": nav_items_for(request.user)}
