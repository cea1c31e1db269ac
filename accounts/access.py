"""The IMS's one access policy: who may do what (capabilities), and which records they see (scope).

Every view, every service that changes state, the navigation and the URL-guard test read this
module; nothing else names roles to decide access. The order is always the same:

1. scope first: a record outside the user's province is not found (404), exactly like a record
   that does not exist, so that ids cannot be probed;
2. then the capability: a record the user may see but not act on is refused (403).

Provincial users (officers, verifiers, and clerks given a province) see their province only;
national users (HQ directors, administrators, national clerks) see every province.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from core.errors import NotAllowed

if TYPE_CHECKING:
    from accounts.models import User

M = TypeVar("M", bound=Model)

OFFICER, VERIFIER, DIRECTOR, CLERK, ADMIN = "officer", "verifier", "director", "clerk", "admin"
EVERYONE = frozenset({OFFICER, VERIFIER, DIRECTOR, CLERK, ADMIN})


class Capability(enum.StrEnum):
    # Residents and declarations
    RESIDENT_READ = "resident.read"
    RESIDENT_WRITE = "resident.write"  # create, edit, documents, submit a declaration
    DECLARATION_REVIEW = "declaration.review"  # verify, return, reject; decide duplicates
    DECLARATION_ACKNOWLEDGE = "declaration.acknowledge"
    # Cards
    CARD_READ = "card.read"
    CARD_CHECK = "card.check"  # look a card up by its number
    CARD_WRITE = "card.write"  # issue, renew, replace, revoke
    CARD_HAND_OVER = "card.hand_over"  # hand over, spoil
    CARD_PRINT = "card.print"  # print runs, the printable card (live QR token)
    PRINT_RUN_READ = "print_run.read"
    # Bulk data
    IMPORT = "import"
    EXPORT = "export"
    # Compilation and oversight
    PROVINCE_READ = "province.read"  # one's own province page
    PROVINCE_SUBMIT = "province.submit"
    HQ_DASHBOARD = "hq.dashboard"  # every province's progress, reports
    # Decisions per verifier and records entered per officer: the province's chief (the
    # provincial verifier, who answers for the province's list) for their province, HQ for all.
    THROUGHPUT_READ = "throughput.read"
    PROVINCE_SIGN_OFF = "province.sign_off"
    AUDIT_READ = "audit.read"
    JOB_READ = "job.read"
    JOB_RUN = "job.run"
    RENEWALS_READ = "renewals.read"
    NOTIFICATIONS = "notifications"  # expiry notices; returns and failures of one's own work
    USER_MANAGE = "user.manage"


# The whole table: capability -> the roles that hold it.
ROLES: dict[Capability, frozenset[str]] = {
    Capability.RESIDENT_READ: EVERYONE,
    Capability.RESIDENT_WRITE: frozenset({OFFICER}),
    Capability.DECLARATION_REVIEW: frozenset({VERIFIER}),
    Capability.DECLARATION_ACKNOWLEDGE: frozenset({DIRECTOR}),
    Capability.CARD_READ: EVERYONE,
    Capability.CARD_CHECK: EVERYONE,
    Capability.CARD_WRITE: frozenset({CLERK, DIRECTOR}),
    Capability.CARD_HAND_OVER: frozenset({CLERK}),
    Capability.CARD_PRINT: frozenset({CLERK}),
    Capability.PRINT_RUN_READ: frozenset({CLERK, DIRECTOR, ADMIN}),
    Capability.IMPORT: frozenset({OFFICER, DIRECTOR}),
    Capability.EXPORT: frozenset({OFFICER, VERIFIER, DIRECTOR}),
    Capability.PROVINCE_READ: frozenset({OFFICER, VERIFIER}),
    Capability.PROVINCE_SUBMIT: frozenset({VERIFIER}),
    Capability.HQ_DASHBOARD: frozenset({DIRECTOR, ADMIN}),
    Capability.THROUGHPUT_READ: frozenset({VERIFIER, DIRECTOR, ADMIN}),
    Capability.PROVINCE_SIGN_OFF: frozenset({DIRECTOR}),
    Capability.AUDIT_READ: frozenset({DIRECTOR, ADMIN}),
    Capability.JOB_READ: frozenset({DIRECTOR, ADMIN}),
    Capability.JOB_RUN: frozenset({ADMIN}),
    Capability.RENEWALS_READ: EVERYONE,
    Capability.NOTIFICATIONS: frozenset({OFFICER, VERIFIER, CLERK}),
    Capability.USER_MANAGE: frozenset({ADMIN}),
}


def can(user: User | Any, capability: Capability) -> bool:
    """Whether the (signed-in, active) user holds the capability."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and user.role in ROLES[capability]
    )


def require(user: User | Any, capability: Capability) -> None:
    """Refuse (403) a user without the capability. Call it after the record was scoped."""
    if not can(user, capability):
        raise NotAllowed()


def scope(queryset: QuerySet[M], user: User | Any, path: str = "province_id") -> QuerySet[M]:
    """The records of `queryset` the user may see: their province's, or all for national users.

    `path` names the province of a record (e.g. "resident__province_id").
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return queryset.none()
    if user.province_id:
        return queryset.filter(**{path: user.province_id})
    return queryset


def in_scope(user: User | Any, province_id: str | None) -> bool:
    """Whether a record of `province_id` is within the user's scope."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return not user.province_id or user.province_id == province_id


def get_in_scope(
    queryset: QuerySet[M], user: User | Any, path: str = "province_id", **lookup: Any
) -> M:
    """One record within the user's scope, or 404 (outside the scope as for no such record)."""
    found = scope(queryset, user, path).filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def require_in_scope(user: User | Any, province_id: str | None) -> None:
    """For services: an actor acting on a record outside their scope is refused (404)."""
    if not in_scope(user, province_id):
        raise Http404
