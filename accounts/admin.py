from __future__ import annotations

from typing import Any

# django-otp's own device admin shows each secret and its QR code: imported first so that it is
# registered (once) before it is replaced below, whatever the order of INSTALLED_APPS.
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.forms import Field
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import User
from accounts.sessions import end_sessions_of
from accounts.types import AuthenticatedRequest
from core.errors import NotAllowed
from core.validators import reject_control_characters

NAME_FIELDS = ("username", "first_name", "last_name", "email")


class _NoControlCharactersMixin:
    """Names shown to others may not hide control or direction-override characters."""

    fields: dict[str, Field]  # the form's, which this mixin comes before

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in NAME_FIELDS:
            if name in self.fields:
                self.fields[name].validators.append(reject_control_characters)


class IMSUserChangeForm(_NoControlCharactersMixin, UserChangeForm):
    pass


class IMSUserCreationForm(_NoControlCharactersMixin, AdminUserCreationForm):
    # The admin's add page lays out `usable_password`, which only AdminUserCreationForm has
    # (a plain UserCreationForm made the page fail with a FieldError).
    pass


class IMSAdminPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "set password" form, saved through the accounts services (audited).

    Another user's password set here must be changed by them at their next sign-in.
    """

    def save(self, commit: bool = True) -> User:
        actor = getattr(self.user, "_audit_actor", None)
        if actor is None:
            raise NotAllowed()
        usable = self.cleaned_data.get("set_usable_password", True)
        raw_password = self.cleaned_data["password1"] if usable else None
        if actor.pk == self.user.pk:
            if raw_password is None:
                raise NotAllowed()  # nobody signs themselves out of password sign-in
            services.password_change_own(user=self.user, raw_password=raw_password)
        else:
            services.password_set_by_administrator(
                actor=actor, user=self.user, raw_password=raw_password
            )
        return self.user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = IMSUserChangeForm
    add_form = IMSUserCreationForm
    change_password_form = IMSAdminPasswordChangeForm
    list_display = (
        "username",
        "get_full_name",
        "role",
        "province",
        "is_active",
        "has_second_factor",
        "last_login",
    )
    list_filter = ("role", "province", "is_active")
    list_select_related = ("province",)
    readonly_fields = ("must_change_password",)
    actions = ["reset_second_factor"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (gettext_lazy("Role and scope"), {"fields": ("role", "province")}),
        (gettext_lazy("Sign-in"), {"fields": ("must_change_password",)}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (gettext_lazy("Role and scope"), {"fields": ("role", "province")}),
    )

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Every page about one user (the password page included) knows who is acting on it.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._audit_actor, obj._audit_request = request.user, request
        return obj

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(_has_second_factor=Exists(confirmed))

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # audit.receivers records the change with who made it and from where.
        obj._audit_actor, obj._audit_request = request.user, request
        if not change and obj.has_usable_password():
            # The administrator chose the first password: the new user replaces it at sign-in.
            obj.must_change_password = True
        if change and "is_active" in form.changed_data and not obj.is_active:
            # As the IMS's deactivate button does (services.user_deactivate): the user is signed
            # out everywhere at once; the receiver records how many sessions ended.
            obj._audit_sessions_ended = end_sessions_of(obj)
        super().save_model(request, obj, form, change)
        if change and {"role", "province"} & set(form.changed_data):
            # As on the IMS's users page: a new scope applies at once, not at the next sign-in.
            end_sessions_of(obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        obj._audit_actor, obj._audit_request = request.user, request
        super().delete_model(request, obj)

    @admin.display(boolean=True, description=gettext_lazy("Two-factor sign-in"))
    def has_second_factor(self, obj: User) -> bool:
        return obj._has_second_factor

    @admin.action(description=gettext_lazy("Reset two-factor sign-in of the selected users"))
    def reset_second_factor(
        self, request: AuthenticatedRequest, queryset: QuerySet[User]
    ) -> HttpResponse | None:
        """A deliberate step: a confirmation page first, then the reset of each user."""
        users = list(queryset.order_by("username"))
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Reset two-factor sign-in"),
                "opts": self.model._meta,
                "users": users,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/accounts/user/otp_reset_confirm.html", context)
        done = 0
        for user in users:
            try:
                services.otp_reset(actor=request.user, user=user)
            except PermissionDenied:
                messages.error(
                    request,
                    _("%(user)s: another administrator must reset your own two-factor sign-in.")
                    % {"user": user.username},
                )
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext(
                    "Two-factor sign-in reset for %(count)d user: signed out, and told by e-mail "
                    "where an address is on file.",
                    "Two-factor sign-in reset for %(count)d users: signed out, and told by e-mail "
                    "where an address is on file.",
                    done,
                )
                % {"count": done},
            )
        return None


# The devices, read-only: never their secret or QR code. A device is removed only by resetting
# the user's two-factor sign-in (above), which is audited and tells the user.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
