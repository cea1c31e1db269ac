"""Every URL of the project is guarded: public on purpose, or refused to whoever may not use it.

The test walks the whole URL configuration, fills path converters with dummy values, and for
anonymous visitors and each role sends a GET and a POST. A URL either is in the short public
list, or is refused (redirect to sign-in, 403, 404 or 405) to anonymous visitors and to every
role not listed as allowed for it. A URL that is not in EXPECTED fails the test: add it there,
with the roles that may use it.

Dummy values: integers are 999999 (no such object), strings are "17" (Siem Reap): provincial
personas are in Phnom Penh, so a page about province 17 must be refused to them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PUBLIC = "public"
OFFICER, VERIFIER, DIRECTOR, CLERK, ADMIN = "officer", "verifier", "director", "clerk", "admin"
ALL = frozenset({OFFICER, VERIFIER, DIRECTOR, CLERK, ADMIN})
PROVINCIAL = frozenset({OFFICER, VERIFIER})
NATIONAL = frozenset({DIRECTOR, ADMIN})


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


# url name (or route, for unnamed patterns) -> PUBLIC or the roles that may use it.
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
    "audit:event-list": roles(ADMIN, DIRECTOR),
    # Provinces (issue 7). "17" is not the provincial personas' province: refused to them.
    # Some POST views answer an empty form with a redirect and a message before the service's
    # own role check refuses the step; those list the roles the view lets through.
    "provinces:dashboard": NATIONAL,
    "provinces:mine": roles(OFFICER, VERIFIER, DIRECTOR, ADMIN),  # national: redirect
    "provinces:refresh": NATIONAL,
    "provinces:export-csv": NATIONAL,
    "provinces:export-xlsx": NATIONAL,
    "provinces:report-pdf": NATIONAL,
    "provinces:detail": NATIONAL,
    "provinces:estimate": NATIONAL,
    "provinces:submit": roles(),  # the province's own verifier only
    "provinces:review": roles(DIRECTOR),
    "provinces:sign-off": roles(DIRECTOR),
    "provinces:return": NATIONAL,  # empty form refused before the service's director check
    # Residents and declarations (issue 3)
    "residents:list": ALL,
    "residents:create": roles(OFFICER),
    "residents:detail": ALL,
    "residents:edit": ALL,
    "residents:photo": ALL,
    "residents:district-options": ALL,
    "residents:commune-options": ALL,
    "residents:declaration-edit": ALL,
    "residents:declaration-submit": ALL,
    "residents:document-upload": ALL,
    "residents:document": ALL,
    "residents:verification-queue": roles(VERIFIER),
    "residents:review": ALL,
    "residents:duplicate-decide": ALL,
    "residents:returned": roles(OFFICER),
    "residents:acknowledgements": roles(DIRECTOR),
    "residents:declaration-acknowledge": ALL,
    "residents:province-acknowledge": roles(DIRECTOR),
    # Cards (issue 5). The public validity check is the QR address `cards:verify`.
    "cards:verify": PUBLIC,
    "cards:check": ALL,
    "cards:card-list": ALL,
    "cards:card-detail": ALL,
    "cards:card-preview": ALL,
    "cards:card-download": roles(CLERK),
    "cards:card-renew": roles(DIRECTOR, CLERK),
    "cards:card-replace": roles(DIRECTOR, CLERK),
    "cards:card-revoke": roles(DIRECTOR, CLERK),
    "cards:card-hand-over": roles(CLERK),
    "cards:card-spoil": roles(CLERK),
    "cards:due": roles(DIRECTOR, CLERK),
    "cards:card-issue": roles(DIRECTOR, CLERK),
    "cards:issue-province": roles(DIRECTOR, CLERK),
    "cards:print-run-list": roles(DIRECTOR, CLERK, ADMIN),
    "cards:print-run-create": roles(CLERK),
    "cards:print-run-detail": roles(DIRECTOR, CLERK, ADMIN),
    "cards:print-run-pdf": roles(CLERK),
    "cards:print-run-retry": roles(CLERK),
    # Imports and exports (issue 4)
    "imports:batch-list": roles(OFFICER, DIRECTOR),
    "imports:template": roles(OFFICER, DIRECTOR),
    "imports:batch-detail": roles(OFFICER, DIRECTOR),
    "imports:batch-progress": roles(OFFICER, DIRECTOR),
    "imports:batch-commit": roles(OFFICER, DIRECTOR),
    "imports:batch-retry": roles(OFFICER, DIRECTOR),
    "imports:batch-report": roles(OFFICER, DIRECTOR),
    "imports:batch-residents": roles(OFFICER, DIRECTOR),
    "imports:user-import": roles(ADMIN),
    "imports:export": roles(OFFICER, VERIFIER, DIRECTOR),
    "imports:export-download": roles(OFFICER, VERIFIER, DIRECTOR),
    # Nightly jobs (issue 6): administrators run jobs, HQ directors read the page; renewals due
    # for everyone with cards (provincial users: their province; "17" is refused to them).
    "jobs:job-list": NATIONAL,
    "jobs:run-detail": NATIONAL,
    "jobs:run-now": roles(ADMIN),
    "jobs:renewals": ALL,
    "jobs:renewals-csv": ALL,
    "jobs:renewals-xlsx": ALL,
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


def project_urls() -> Iterator[tuple[str, str]]:
    """(key, path) of every pattern: key is the namespaced name, or the route if unnamed."""

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
def role_clients(officer, verifier, director, clerk, administrator) -> dict[str, Client]:
    return {
        OFFICER: client_for(officer),
        VERIFIER: client_for(verifier),
        DIRECTOR: client_for(director),
        CLERK: client_for(clerk),
        ADMIN: client_for(administrator),
    }


def test_every_url_is_public_or_refused_to_anonymous_visitors_and_to_roles_without_access(
    role_clients,
):
    leaks: list[str] = []
    checked = 0
    for key, path in project_urls():
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


def test_allowed_roles_reach_their_pages_without_a_server_error(role_clients):
    """Our own pages only: the admin site's third-party views are not built for dummy ids."""
    errors = []
    for key, path in project_urls():
        expected = expectation_for(key)
        if not isinstance(expected, frozenset) or key.startswith("admin:"):
            continue
        for role in sorted(expected):
            response = role_clients[role].get(path)
            if response.status_code >= 500:
                errors.append(f"GET {path} ({key}) as {role}: {response.status_code}")

    assert errors == [], "\n".join(errors)
