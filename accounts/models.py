"""Users of the IMS: each has one role and, for provincial roles, one province."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest


class User(AbstractUser):
    class Role(models.TextChoices):
        OFFICER = "officer", _("Provincial officer")
        VERIFIER = "verifier", _("Provincial verifier")
        DIRECTOR = "director", _("HQ director")
        CLERK = "clerk", _("Card clerk")
        ADMIN = "admin", _("Administrator")

    # Provincial roles must have a province; national ones must not; a clerk may have either.
    PROVINCIAL_ROLES = (Role.OFFICER, Role.VERIFIER)
    NATIONAL_ROLES = (Role.DIRECTOR, Role.ADMIN)

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    province = models.ForeignKey(
        "provinces.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # Set when an administrator sets the password: they know it, so the user must replace it.
    must_change_password = models.BooleanField(
        _("must change password at next sign-in"), default=False
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # The language of the e-mails the user is sent; blank: unknown, so both languages.
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    # When the latest invitation was sent: a new one voids the links sent before it.
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)

    # Not stored; set on a loaded user by the code named. Annotated by the admin's user list:
    _has_second_factor: bool
    # Set by the admin for audit.receivers (who acted, from which request, sessions ended):
    _audit_actor: User | AnonymousUser | None
    _audit_request: HttpRequest | None
    _audit_sessions_ended: int
    # Set by django-otp's OTPMiddleware on the signed-in user of a request:
    is_verified: Callable[[], bool]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_province_matches_role",
                condition=(
                    Q(role__in=["officer", "verifier"], province__isnull=False)
                    | Q(role__in=["director", "admin"], province__isnull=True)
                    | Q(role="clerk")
                ),
                violation_error_message=_(
                    "Provincial officers and verifiers need a province; "
                    "HQ directors and administrators have none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.role in self.PROVINCIAL_ROLES and self.province_id is None:
            raise ValidationError({"province": _("A provincial user needs a province.")})
        if self.role in self.NATIONAL_ROLES and self.province_id is not None:
            raise ValidationError({"province": _("A national user has no province.")})

    @property
    def is_provincial(self) -> bool:
        """True when the user sees one province only."""
        return self.province_id is not None

    @property
    def is_national(self) -> bool:
        return self.province_id is None
