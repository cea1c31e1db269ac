"""Every URL of the project is guarded: public on purpose, or refused to whoever may not use it.

The test walks the whole URL configuration, fills path converters with dummy values, and for
anonymous visitors and each role sends a GET and a POST. A URL either is in the short public
list, or is refused (redirect to sign-in, 403, 404 or 405) to anonymous visitors and to every
role not listed as allowed for it. A URL that is not in EXPECTED fails the test: add it there,
with the roles that may use it.

Object URLs name real records of Phnom Penh, the provincial personas' own province, so the role
check behind the scope check is what is tested (test_object_guard.py requests them with
Siem Reap records: 404 for everyone there). Other path values are dummies: integers 999999,
strings "17" (Siem Reap).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import access
from accounts.access import Capability
from tests.conftest import client_for
from tests.security.conftest import build_world
from tests.security.test_object_guard import OBJECT_URLS

pytestmark = pytest.mark.django_db

PUBLIC = "public"
OFFICER, VERIFIER, DIRECTOR, CLERK, ADMIN = "officer", "verifier", "director", "clerk", "admin"
ALL = frozenset({OFFICER, VERIFIER, DIRECTOR, CLERK, ADMIN})
PROVINCIAL = frozenset({OFFICER, VERIFIER})
NATIONAL = frozenset({DIRECTOR, ADMIN})


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


def can(capability: Capability) -> frozenset[str]:
    """The roles the access policy gives this capability: the table is the expectation."""
    return access.ROLES[capability]


Can = Capability


# url name (or route, for unnamed patterns) -> PUBLIC or the roles that may use it, read from
# the access policy wherever a capability decides.
EXPECTED: dict[str, str | frozenset[str]] = {
    # Public on purpose: signing in and out, language, health, the public card check.
    "accounts:login": PUBLIC,
    "accounts:logout": PUBLIC,
    "set_language": PUBLIC,
    "healthz": PUBLIC,
    "admin:login": PUBLIC,
    "admin:logout": PUBLIC,
    # Foundation and accounts
    "home": ALL,
    "accounts:otp-verify": ALL,
    "accounts:otp-enrol": ALL,
    "accounts:password-change": ALL,
    "accounts:recovery-codes": ALL,
    "accounts:security": ALL,
    "accounts:reauth": ALL,
    "accounts:sessions-end-others": ALL,
    # The invitation link: public, its signed token is the key (a dummy one is refused).
    "accounts:invitation": PUBLIC,
    # Forgotten password: public, the same answer whether or not an address is on file.
    "accounts:password-reset": PUBLIC,
    "accounts:password-reset-done": PUBLIC,
    "accounts:password-reset-confirm": PUBLIC,
    "accounts:password-reset-complete": PUBLIC,
    # Users (administrators only)
    "accounts:user-list": roles(ADMIN),
    "accounts:user-export": roles(ADMIN),
    "accounts:user-create": roles(ADMIN),
    "accounts:user-detail": roles(ADMIN),
    "accounts:user-deactivate": roles(ADMIN),
    "accounts:user-reactivate": roles(ADMIN),
    "accounts:user-invite": roles(ADMIN),
    "accounts:user-otp-reset": roles(ADMIN),
    # Audit
    "audit:event-list": can(Can.AUDIT_READ),
    # Provinces. "17" is not the provincial personas' province: refused to them.
    "provinces:dashboard": can(Can.HQ_DASHBOARD),
    "provinces:mine": roles(OFFICER, VERIFIER, DIRECTOR, ADMIN),  # national: redirect
    "provinces:refresh": can(Can.HQ_DASHBOARD),
    "provinces:export-csv": can(Can.HQ_DASHBOARD),
    "provinces:export-xlsx": can(Can.HQ_DASHBOARD),
    "provinces:report-pdf": can(Can.HQ_DASHBOARD),
    "provinces:detail": can(Can.HQ_DASHBOARD) | can(Can.PROVINCE_READ),
    "provinces:estimate": can(Can.PROVINCE_SIGN_OFF),
    "provinces:submit": can(Can.PROVINCE_SUBMIT),
    "provinces:review": can(Can.PROVINCE_SIGN_OFF),
    "provinces:sign-off": can(Can.PROVINCE_SIGN_OFF),
    "provinces:return": can(Can.PROVINCE_SIGN_OFF),
    "provinces:reopen": can(Can.PROVINCE_SIGN_OFF),
    # Every province's throughput is HQ's; a province's, its chief's too.
    "provinces:throughput": can(Can.THROUGHPUT_READ) & can(Can.HQ_DASHBOARD),
    "provinces:province-throughput": can(Can.THROUGHPUT_READ),
    # Residents and declarations
    "residents:list": can(Can.RESIDENT_READ),
    "residents:create": can(Can.RESIDENT_WRITE),
    "residents:detail": can(Can.RESIDENT_READ),
    "residents:edit": can(Can.RESIDENT_WRITE),
    "residents:photo": can(Can.RESIDENT_READ),
    "residents:district-options": ALL,
    "residents:commune-options": ALL,
    "residents:declaration-edit": can(Can.RESIDENT_WRITE),
    "residents:declaration-submit": can(Can.RESIDENT_WRITE),
    "residents:document-upload": can(Can.RESIDENT_WRITE),
    "residents:document": can(Can.RESIDENT_READ),
    "residents:document-check": can(Can.DECLARATION_REVIEW),
    "residents:verification-queue": can(Can.DECLARATION_REVIEW),
    "residents:verification-next": can(Can.DECLARATION_REVIEW),
    "residents:review": can(Can.DECLARATION_REVIEW),
    "residents:duplicate-decide": can(Can.DECLARATION_REVIEW),
    "residents:duplicate-merge": can(Can.DECLARATION_REVIEW),
    "residents:duplicates": can(Can.DECLARATION_REVIEW),
    "residents:returned": can(Can.RESIDENT_WRITE),
    "residents:acknowledgements": can(Can.DECLARATION_ACKNOWLEDGE),
    "residents:declaration-acknowledge": can(Can.DECLARATION_ACKNOWLEDGE),
    "residents:province-acknowledge": can(Can.DECLARATION_ACKNOWLEDGE),
    "residents:correction-create": can(Can.RESIDENT_WRITE),
    "residents:correction-queue": can(Can.DECLARATION_REVIEW),
    "residents:correction-detail": can(Can.RESIDENT_READ),
    "residents:correction-decide": can(Can.DECLARATION_REVIEW),
    "residents:correction-evidence": can(Can.RESIDENT_READ),
    "residents:passport-create": can(Can.RESIDENT_WRITE),
    # End of residence, transfers between provinces, family links
    "residents:ending-request": can(Can.RESIDENT_WRITE),
    "residents:ending-queue": can(Can.DECLARATION_REVIEW),
    "residents:ending-detail": can(Can.RESIDENT_READ),
    "residents:ending-decide": can(Can.DECLARATION_REVIEW),
    "residents:ending-withdraw": can(Can.RESIDENT_WRITE),
    "residents:ending-evidence": can(Can.RESIDENT_READ),
    "residents:transfer-propose": can(Can.RESIDENT_WRITE),
    "residents:transfer-list": can(Can.RESIDENT_READ),
    "residents:transfer-detail": can(Can.RESIDENT_READ),
    "residents:transfer-decide": can(Can.DECLARATION_REVIEW),
    "residents:transfer-withdraw": can(Can.RESIDENT_WRITE),
    "residents:family-link-add": can(Can.RESIDENT_WRITE),
    "residents:family-link-remove": can(Can.RESIDENT_WRITE),
    "cards:card-reprint-transfer": can(Can.CARD_WRITE),
    # Cards. The public validity check is the QR address `cards:verify`.
    "cards:verify": PUBLIC,
    "cards:check": can(Can.CARD_CHECK),
    "cards:card-list": can(Can.CARD_READ),
    "cards:card-detail": can(Can.CARD_READ),
    "cards:card-preview": can(Can.CARD_READ),
    "cards:card-download": can(Can.CARD_PRINT),
    "cards:card-renew": can(Can.CARD_WRITE),
    "cards:card-replace": can(Can.CARD_WRITE),
    "cards:card-revoke": can(Can.CARD_WRITE),
    "cards:card-hand-over": can(Can.CARD_HAND_OVER),
    "cards:card-spoil": can(Can.CARD_HAND_OVER),
    "cards:due": can(Can.CARD_WRITE),
    "cards:card-issue": can(Can.CARD_WRITE),
    "cards:issue-province": can(Can.CARD_WRITE),
    "cards:print-run-list": can(Can.PRINT_RUN_READ),
    "cards:print-run-create": can(Can.CARD_PRINT),
    "cards:print-run-detail": can(Can.PRINT_RUN_READ),
    "cards:print-run-pdf": can(Can.CARD_PRINT),
    "cards:print-run-retry": can(Can.CARD_PRINT),
    # Imports and exports
    "imports:batch-list": can(Can.IMPORT),
    "imports:template": can(Can.IMPORT),
    "imports:batch-detail": can(Can.IMPORT),
    "imports:batch-progress": can(Can.IMPORT),
    "imports:batch-commit": can(Can.IMPORT),
    "imports:batch-retry": can(Can.IMPORT),
    "imports:batch-report": can(Can.IMPORT),
    "imports:batch-rejected": can(Can.IMPORT),
    "imports:batch-residents": can(Can.IMPORT),
    "imports:user-import": can(Can.USER_MANAGE),
    "imports:export": can(Can.EXPORT),
    "imports:export-download": can(Can.EXPORT),
    "imports:export-progress": can(Can.EXPORT),
    "imports:export-file": can(Can.EXPORT),
    "imports:export-retry": can(Can.EXPORT),
    # Nightly jobs: administrators run jobs, HQ directors read the page; renewals due
    # for everyone with cards (provincial users: their province; "17" is refused to them).
    "jobs:job-list": can(Can.JOB_READ),
    "jobs:run-detail": can(Can.JOB_READ),
    "jobs:run-now": can(Can.JOB_RUN),
    "jobs:renewals": can(Can.RENEWALS_READ),
    "jobs:renewal-start": can(Can.RESIDENT_WRITE),
    "jobs:renewals-csv": can(Can.RENEWALS_READ),
    "jobs:renewals-xlsx": can(Can.RENEWALS_READ),
    "jobs:notification-list": ALL,
    "jobs:notification-read": ALL,
    "jobs:notifications-read-all": ALL,
}

# Everything in the admin site is for administrators (staff) only.
ADMIN_SITE = roles(ADMIN)

DUMMY = {
    "int": "999999",
    "str": "17",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000001",
}
REFUSED_STATUSES = {403, 404, 405}
SIGN_IN_PAGES = ("/accounts/login/", "/admin/login/")


def _fill_route(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: DUMMY.get(m[1] or "str", "x"), route)


def _fill_regex(regex: str) -> str:
    regex = regex.lstrip("^").rstrip("$").replace("\\Z", "")

    def group(match: re.Match[str]) -> str:
        body = match[1]
        return body.split("|")[0] if re.fullmatch(r"[\w|/-]+", body) else "x"

    return re.sub(r"\(\?P<\w+>([^)]*)\)", group, regex).replace("\\", "")


def _fill(pattern: object) -> str:
    route = getattr(pattern, "_route", None)
    return _fill_route(route) if route is not None else _fill_regex(pattern._regex)


def project_urls(world: dict | None = None) -> Iterator[tuple[str, str]]:
    """(key, path) of every pattern: key is the namespaced name, or the route if unnamed.

    With `world`, an object URL names a real record of the personas' own province, so that the
    role checks are seen behind the scope check (a missing id is refused to everyone).
    """
    for key, path in _dummy_urls():
        if world is not None and key in OBJECT_URLS:
            path = reverse(key, kwargs=OBJECT_URLS[key](world))
        yield key, path


def _dummy_urls() -> Iterator[tuple[str, str]]:

    def walk(patterns: list, prefix: str, namespace: str | None) -> Iterator[tuple[str, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                yield from walk(p.url_patterns, prefix + _fill(p.pattern), ns)
            elif isinstance(p, URLPattern):
                path = "/" + prefix + _fill(p.pattern)
                if p.name:
                    yield (f"{namespace}:{p.name}" if namespace else p.name), path
                else:
                    yield f"{namespace or ''}:{p.pattern}", path

    yield from walk(get_resolver().url_patterns, "", None)


def expectation_for(key: str) -> str | frozenset[str] | None:
    if key in EXPECTED:
        return EXPECTED[key]
    if key.startswith("admin:"):
        return ADMIN_SITE
    return None


def is_refused(response) -> bool:
    if response.status_code in REFUSED_STATUSES:
        return True
    location = response.get("Location", "") if response.status_code == 302 else ""
    return location.startswith(SIGN_IN_PAGES) or response.get("HX-Redirect", "").startswith(
        SIGN_IN_PAGES
    )


def test_every_url_has_an_expectation():
    missing = sorted(key for key, _path in project_urls() if expectation_for(key) is None)

    assert missing == [], f"add these URL names to EXPECTED in {__file__}: {missing}"


@pytest.fixture
def home_world(officer, verifier, clerk) -> dict:
    """A real record of every kind in Phnom Penh, the provincial personas' own province."""
    return build_world(officer=officer, verifier=verifier, clerk=clerk)


@pytest.fixture
def role_clients(officer, verifier, director, clerk, administrator) -> dict[str, Client]:
    return {
        OFFICER: client_for(officer),
        VERIFIER: client_for(verifier),
        DIRECTOR: client_for(director),
        CLERK: client_for(clerk),
        ADMIN: client_for(administrator),
    }


def test_every_url_is_public_or_refused_to_anonymous_visitors_and_to_roles_without_access(
    role_clients, home_world
):
    leaks: list[str] = []
    checked = 0
    for key, path in project_urls(home_world):
        expected = expectation_for(key)
        if expected is None or expected == PUBLIC:
            continue
        visitors = {"anonymous": Client()} | {
            role: client for role, client in role_clients.items() if role not in expected
        }
        for who, client in visitors.items():
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                checked += 1
                if not is_refused(response):
                    leaks.append(
                        f"{method.upper()} {path} ({key}) as {who}: {response.status_code}"
                    )

    assert leaks == [], "\n".join(leaks)
    assert checked > 100


def test_allowed_roles_reach_their_pages_without_a_server_error(role_clients, home_world):
    """Our own pages only: the admin site's third-party views are not built for dummy ids."""
    errors = []
    for key, path in project_urls(home_world):
        expected = expectation_for(key)
        if not isinstance(expected, frozenset) or key.startswith("admin:"):
            continue
        for role in sorted(expected):
            response = role_clients[role].get(path)
            if response.status_code >= 500:
                errors.append(f"GET {path} ({key}) as {role}: {response.status_code}")

    assert errors == [], "\n".join(errors)
