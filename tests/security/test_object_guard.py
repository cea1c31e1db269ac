"""Every object URL, asked for with a real record of another province, answers 404, changes nothing.

The URL-guard test (test_url_guard.py) proves the role checks with ids that do not exist; this one
builds one real record of every kind in Siem Reap and requests each object URL with it, by GET and
by POST, as each Phnom Penh user. A record outside the user's province must be "not found",
exactly like a record that does not exist, whatever the user's role, and nothing may change:
no row written, no audit event, no card event. A new object URL fails the coverage test until it
is added to OBJECT_URLS (or, for the few that are not about a province's record, to NOT_SCOPED).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.security.conftest import build_world

pytestmark = pytest.mark.django_db

# url name -> the path arguments that name the Siem Reap record of `world`.
OBJECT_URLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "provinces:detail": lambda w: {"code": w["code"]},
    "provinces:estimate": lambda w: {"code": w["code"]},
    "provinces:submit": lambda w: {"code": w["code"]},
    "provinces:review": lambda w: {"code": w["code"]},
    "provinces:sign-off": lambda w: {"code": w["code"]},
    "provinces:return": lambda w: {"code": w["code"]},
    "provinces:reopen": lambda w: {"code": w["code"]},
    "provinces:province-throughput": lambda w: {"code": w["code"]},
    "residents:detail": lambda w: {"pk": w["resident"].pk},
    "residents:edit": lambda w: {"pk": w["resident"].pk},
    "residents:photo": lambda w: {"pk": w["resident"].pk},
    "residents:declaration-edit": lambda w: {"pk": w["declaration"].pk},
    "residents:declaration-submit": lambda w: {"pk": w["declaration"].pk},
    "residents:document-upload": lambda w: {"pk": w["declaration"].pk},
    "residents:document": lambda w: {"pk": w["document"].pk},
    "residents:document-check": lambda w: {"pk": w["document"].pk},
    "residents:review": lambda w: {"pk": w["declaration"].pk},
    "residents:duplicate-decide": lambda w: {"pk": w["duplicate"].pk},
    "residents:duplicate-merge": lambda w: {"pk": w["duplicate"].pk},
    "residents:declaration-acknowledge": lambda w: {"pk": w["verified"].pk},
    "residents:province-acknowledge": lambda w: {"code": w["code"]},
    "residents:correction-create": lambda w: {"pk": w["acknowledged"].resident_id},
    "residents:correction-detail": lambda w: {"pk": w["correction"].pk},
    "residents:correction-decide": lambda w: {"pk": w["correction"].pk},
    "residents:correction-evidence": lambda w: {"pk": w["correction"].pk},
    "residents:passport-create": lambda w: {"pk": w["resident"].pk},
    "jobs:renewal-start": lambda w: {"pk": w["card"].pk},
    "residents:ending-request": lambda w: {"pk": w["resident"].pk},
    "residents:ending-detail": lambda w: {"pk": w["ending"].pk},
    "residents:ending-decide": lambda w: {"pk": w["ending"].pk},
    "residents:ending-withdraw": lambda w: {"pk": w["ending"].pk},
    "residents:ending-evidence": lambda w: {"pk": w["ending"].pk},
    "residents:transfer-propose": lambda w: {"pk": w["resident"].pk},
    "residents:transfer-detail": lambda w: {"pk": w["transfer"].pk},
    "residents:transfer-decide": lambda w: {"pk": w["transfer"].pk},
    "residents:transfer-withdraw": lambda w: {"pk": w["transfer"].pk},
    "residents:family-link-add": lambda w: {"pk": w["resident"].pk},
    "residents:family-link-remove": lambda w: {"pk": w["family_link"].pk},
    "cards:card-reprint-transfer": lambda w: {"pk": w["card"].pk},
    "cards:card-detail": lambda w: {"pk": w["card"].pk},
    "cards:card-preview": lambda w: {"pk": w["card"].pk},
    "cards:card-download": lambda w: {"pk": w["card"].pk},
    "cards:card-renew": lambda w: {"pk": w["card"].pk},
    "cards:card-replace": lambda w: {"pk": w["card"].pk},
    "cards:card-revoke": lambda w: {"pk": w["card"].pk},
    "cards:card-hand-over": lambda w: {"pk": w["card"].pk},
    "cards:card-spoil": lambda w: {"pk": w["card"].pk},
    "cards:card-issue": lambda w: {"declaration_pk": w["acknowledged"].pk},
    "cards:print-run-detail": lambda w: {"pk": w["print_run"].pk},
    "cards:print-run-pdf": lambda w: {"pk": w["print_run"].pk},
    "cards:print-run-retry": lambda w: {"pk": w["print_run"].pk},
    "imports:batch-detail": lambda w: {"pk": w["batch"].pk},
    "imports:batch-progress": lambda w: {"pk": w["batch"].pk},
    "imports:batch-commit": lambda w: {"pk": w["batch"].pk},
    "imports:batch-retry": lambda w: {"pk": w["batch"].pk},
    "imports:batch-report": lambda w: {"pk": w["batch"].pk},
    "imports:batch-rejected": lambda w: {"pk": w["batch"].pk},
    "imports:batch-residents": lambda w: {"pk": w["batch"].pk},
    "imports:export-progress": lambda w: {"pk": w["export"].pk},
    "imports:export-file": lambda w: {"pk": w["export"].pk},
    "imports:export-retry": lambda w: {"pk": w["export"].pk},
    "jobs:notification-read": lambda w: {"pk": w["notification"].pk},
    "accounts:user-detail": lambda w: {"pk": w["user"].pk},
    "accounts:user-deactivate": lambda w: {"pk": w["user"].pk},
    "accounts:user-reactivate": lambda w: {"pk": w["user"].pk},
    "accounts:user-invite": lambda w: {"pk": w["user"].pk},
    "accounts:user-otp-reset": lambda w: {"pk": w["user"].pk},
}
# Object URLs that are not about one province's record.
NOT_SCOPED = {
    "cards:verify": "the public page a card's QR code opens (a secret token, no sign-in)",
    "jobs:run-detail": "a nightly job run covers every province (HQ only)",
    "jobs:run-now": "names a job, not a record (administrators only)",
    "accounts:invitation": "an invitation's one-time secret link (no sign-in)",
    "accounts:password-reset-confirm": "a password reset's one-time secret link (no sign-in)",
}

# Tables whose rows a refused request must leave exactly as they were.
WATCHED = [
    "residents.Resident",
    "residents.Declaration",
    "residents.DeclarationDocument",
    "residents.LikelyDuplicate",
    "residents.TravelDocument",
    "cards.ResidenceCard",
    "cards.CardEvent",
    "cards.PrintRun",
    "cards.PrintRunCard",
    "imports.ImportBatch",
    "imports.ExportLog",
    "jobs.Notification",
    "compilation.ProvinceCompilation",
    "compilation.ProvinceListEvent",
    "audit.AuditEvent",
]


@pytest.fixture
def world(other_officer: User, other_verifier: User, clerk: User) -> dict:
    """One record of every kind, all in Siem Reap."""
    return build_world(officer=other_officer, verifier=other_verifier, clerk=clerk)


def _object_url_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str = "") -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry, inner)
            elif isinstance(entry, URLPattern) and entry.pattern.converters:
                names.add(f"{namespace}{entry.name}")

    walk(get_resolver())
    return names


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in WATCHED}


def test_every_object_url_is_guarded_with_a_real_record_of_another_province():
    assert _object_url_names() == set(OBJECT_URLS) | set(NOT_SCOPED)


@pytest.fixture
def provincial_users(officer: User, verifier: User) -> list[User]:
    """Every role a Phnom Penh user can have, card clerk included."""
    clerk_pp = UserFactory(username="clerk_pp", role=User.Role.CLERK, province_id="12")
    return [officer, verifier, clerk_pp]


def _same_for_no_record(client, method: str, name: str) -> bool:
    arguments = {
        key: (999999 if isinstance(value, int) else "99")
        for key, value in OBJECT_URLS[name](_NO_WORLD).items()
    }
    return getattr(client, method)(reverse(name, kwargs=arguments)).status_code == 405


class _Missing(dict):
    """Stands for `world` when only the shape of a URL's arguments is needed."""

    def __missing__(self, key: str) -> Any:
        return type("Record", (), {"pk": 999999})()


_NO_WORLD = _Missing()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_provinces_records_are_not_found_and_nothing_changes(
    world, provincial_users, method
):
    leaks = []
    for user in provincial_users:
        client = client_for(user)
        before_user = snapshot()
        for name, arguments in sorted(OBJECT_URLS.items()):
            url = reverse(name, kwargs=arguments(world))
            status = getattr(client, method)(url).status_code
            # A view that does not take this method answers 405 before it looks at the record,
            # the same for any id: that tells nothing about the record either.
            if status != 404 and not (status == 405 and _same_for_no_record(client, method, name)):
                leaks.append(f"{user.role} {method.upper()} {url} -> {status}")
        after = snapshot()
        changed = {k: [r for r in after[k] if r not in before_user[k]] for k in WATCHED}
        changed = {k: v for k, v in changed.items() if v}
        assert after == before_user, f"{user.role}'s refused requests changed {changed}"
    assert leaks == [], "\n".join(leaks)
