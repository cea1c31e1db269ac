"""Reads of accounts for the users pages: scoped by the one access policy."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import access
from accounts.models import User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _SecondFactor(TypedDict):
        has_second_factor: bool

    # A user as the users pages read one: with whether a confirmed second factor is set up.
    UserWithSecondFactor = WithAnnotations[User, _SecondFactor]

# Sort keys of the users list -> order_by (the primary key last: a stable order for pages).
SORTS: dict[str, tuple[str, ...]] = {
    "username": ("username", "pk"),
    "-username": ("-username", "-pk"),
    "name": ("last_name", "first_name", "pk"),
    "-name": ("-last_name", "-first_name", "-pk"),
    "role": ("role", "username", "pk"),
    "province": ("province_id", "username", "pk"),
    "last_login": ("-last_login", "pk"),
    "-last_login": ("last_login", "pk"),
    "joined": ("-date_joined", "-pk"),
}
RECENT_SIGN_IN_DAYS = 30


def _with_second_factor(queryset: QuerySet[User]) -> QuerySet[UserWithSecondFactor]:
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return queryset.annotate(has_second_factor=Exists(confirmed))


def user_list_for(
    *,
    user: User,
    q: str = "",
    role: str = "",
    province: Any = None,
    active: str = "",
    second_factor: str = "",
    last_login: str = "",
    sort: str = "username",
) -> QuerySet[UserWithSecondFactor]:
    """The users `user` may manage, filtered and sorted, each with `has_second_factor`.

    One query whatever the page size: the province is joined and the second factor is an
    EXISTS subquery, never a query per row.
    """
    access.require(user, access.Capability.USER_MANAGE)
    users = access.scope(User.objects.select_related("province"), user)
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    if role:
        users = users.filter(role=role)
    if province:
        users = users.filter(province=province)
    if active:
        users = users.filter(is_active=active == "yes")
    users = _with_second_factor(users)
    if second_factor:
        users = users.filter(has_second_factor=second_factor == "yes")
    recent = timezone.now() - dt.timedelta(days=RECENT_SIGN_IN_DAYS)
    if last_login == "never":
        users = users.filter(last_login__isnull=True)
    elif last_login == "recent":
        users = users.filter(last_login__gte=recent)
    elif last_login == "stale":
        users = users.filter(last_login__lt=recent)
    return users.order_by(*SORTS.get(sort, SORTS["username"]))


def user_get_for(*, user: User, pk: int) -> User:
    """One user `user` may manage: another province's is not found (404), then 403."""
    found = access.get_in_scope(_with_second_factor(User.objects.select_related("province")),
                                user, pk=pk)  # fmt: skip
    access.require(user, access.Capability.USER_MANAGE)
    return found
