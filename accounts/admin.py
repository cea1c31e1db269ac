from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from gdi_ims.validators import reject_control_characters

NAME_FIELDS = ("username", "first_name", "last_name", "email")


class _NoControlCharactersMixin:
    """Names shown to others may not hide control or direction-override characters."""

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


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = IMSUserChangeForm
    add_form = IMSUserCreationForm
    list_display = ("username", "get_full_name", "role", "province", "is_active", "last_login")
    list_filter = ("role", "province", "is_active")
    list_select_related = ("province",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ("role", "province")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ("role", "province")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # audit.receivers records the change with who made it and from where.
        obj._audit_actor, obj._audit_request = request.user, request
        super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        obj._audit_actor, obj._audit_request = request.user, request
        super().delete_model(request, obj)
