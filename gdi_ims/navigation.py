"""Navigation: which menu entries each role sees, read from the access policy.

Each entry names the capability its page needs (accounts.access); views still check access
themselves (a hidden menu entry is a convenience, not a guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.access import Capability
from accounts.models import User


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    # What the entry's page needs (accounts.access); None: every signed-in user.
    capability: Capability | None
    icon: str = "circle"

    def shown_to(self, role: str) -> bool:
        return self.capability is None or role in access.ROLES[self.capability]


Can = Capability

NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", None, "house"),
    NavItem(_("Residents"), "residents:list", Can.RESIDENT_READ, "people"),
    NavItem(_("New resident"), "residents:create", Can.RESIDENT_WRITE, "person-plus"),
    NavItem(_("Returned to me"), "residents:returned", Can.RESIDENT_WRITE, "arrow-return-left"),
    NavItem(
        _("Verification queue"),
        "residents:verification-queue",
        Can.DECLARATION_REVIEW,
        "check2-square",
    ),
    NavItem(_("Likely duplicates"), "residents:duplicates", Can.DECLARATION_REVIEW, "people-fill"),
    NavItem(
        _("Ends of residence"), "residents:ending-queue", Can.DECLARATION_REVIEW, "box-arrow-right"
    ),
    NavItem(_("Transfers"), "residents:transfer-list", Can.PROVINCE_READ, "arrow-left-right"),
    NavItem(
        _("Acknowledge"), "residents:acknowledgements", Can.DECLARATION_ACKNOWLEDGE, "patch-check"
    ),
    NavItem(_("Dashboard"), "provinces:dashboard", Can.HQ_DASHBOARD, "speedometer2"),
    NavItem(_("My province"), "provinces:mine", Can.PROVINCE_READ, "geo-alt"),
    NavItem(_("Audit trail"), "audit:event-list", Can.AUDIT_READ, "shield-check"),
    NavItem(_("Cards"), "cards:card-list", Can.CARD_READ, "person-vcard"),
    NavItem(_("Cards due"), "cards:due", Can.CARD_WRITE, "card-checklist"),
    NavItem(_("Print runs"), "cards:print-run-list", Can.CARD_PRINT, "printer"),
    NavItem(_("Check a card"), "cards:check", Can.CARD_CHECK, "qr-code-scan"),
    NavItem(_("Import lists"), "imports:batch-list", Can.IMPORT, "upload"),
    NavItem(_("Export"), "imports:export", Can.EXPORT, "download"),
    NavItem(_("Renewals due"), "jobs:renewals", Can.RENEWALS_READ, "arrow-repeat"),
    NavItem(_("Notifications"), "jobs:notification-list", Can.NOTIFICATIONS, "bell"),
    NavItem(_("Jobs"), "jobs:job-list", Can.JOB_READ, "clock-history"),
    NavItem(_("Account security"), "accounts:security", None, "shield-lock"),
    NavItem(_("Users"), "accounts:user-list", Can.USER_MANAGE, "person-gear"),
    NavItem(_("Administration"), "admin:index", Can.USER_MANAGE, "gear"),
]


def nav_items_for(user: User | AnonymousUser) -> list[dict[str, str]]:
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
        if item.shown_to(role)
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
