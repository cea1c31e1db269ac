from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.validators import reject_control_characters
from core.widgets import keep_choices
from provinces.models import Province


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The user name or password is wrong. Both are case-sensitive."),
        "inactive": _("This account is inactive. Ask your administrator to re-activate it."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Sign in"), css_class="w-100"))


class OTPCodeForm(forms.Form):
    """The six-digit code from the authenticator app."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template's form carries `next`
        self.helper.add_input(Submit("submit", _("Confirm"), css_class="w-100"))

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError(_("The code has six digits."))
        return code


class OwnPasswordChangeForm(PasswordChangeForm):
    """The signed-in user's own password change: the old one, then the new one twice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template's form carries `next`
        self.helper.add_input(Submit("submit", _("Change password"), css_class="w-100"))


YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
# How long a process offers the same provinces in the users' filter (the official list).
PROVINCES_KEPT_SECONDS = 600


class UserSearchForm(forms.Form):
    """The filters of the users list (GET)."""

    q = forms.CharField(label=_("Name or user name"), max_length=150, required=False,
                        validators=[reject_control_characters])  # fmt: skip
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Any role")), *User.Role.choices], required=False
    )
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.order_by("code"),
        required=False,
        empty_label=_("Any province"),
    )
    active = forms.ChoiceField(label=_("Active"), choices=YES_NO, required=False)
    second_factor = forms.ChoiceField(label=_("Two-factor set up"), choices=YES_NO, required=False)
    last_login = forms.ChoiceField(
        label=_("Last sign-in"),
        choices=[
            ("", _("Any time")),
            ("recent", _("In the last 30 days")),
            ("stale", _("More than 30 days ago")),
            ("never", _("Never")),
        ],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[
            ("username", _("User name")),
            ("-username", _("User name (Z–A)")),
            ("name", _("Name")),
            ("role", _("Role")),
            ("province", _("Province")),
            ("last_login", _("Last sign-in (latest first)")),
            ("-last_login", _("Last sign-in (earliest first)")),
            ("joined", _("Newest accounts")),
        ],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province = cast(forms.ModelChoiceField, self.fields["province"])
        keep_choices(province, key="users.provinces", seconds=PROVINCES_KEPT_SECONDS)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(Column("q"), Column("role"), Column("province"), Column("active")),
            Row(Column("second_factor"), Column("last_login"), Column("sort")),
        )
        self.helper.add_input(Submit("search", _("Search")))

    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v}


class _UserFieldsForm(forms.ModelForm):
    """The fields an administrator sets on a user; the model checks role against province."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "language", "role", "province"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields["role"].required = True
        province = cast(forms.ModelChoiceField, self.fields["province"])  # a ForeignKey's field
        province.queryset = Province.objects.order_by("code")
        self.fields["province"].help_text = _(
            "Required for provincial officers and verifiers; empty for HQ directors and "
            "administrators; optional for card clerks."
        )
        self.fields["language"].help_text = _(
            "The language of the e-mails this user receives (both when empty)."
        )
        language = cast(forms.ChoiceField, self.fields["language"])  # a field with choices
        language.choices = [("", _("Khmer and English")), *settings.LANGUAGES]


class UserCreateForm(_UserFieldsForm):
    class Meta(_UserFieldsForm.Meta):
        fields = ["username", *_UserFieldsForm.Meta.fields]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The invitation is sent to this address.")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("username"), Column("email")),
            Row(Column("first_name"), Column("last_name")),
            Row(Column("role"), Column("province")),
            Row(Column("phone"), Column("language")),
        )
        self.helper.add_input(Submit("submit", _("Create and invite")))


class UserEditForm(_UserFieldsForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("first_name"), Column("last_name")),
            Row(Column("email"), Column("phone")),
            Row(Column("role"), Column("province")),
            Row(Column("language")),
        )
        self.helper.add_input(Submit("submit", _("Save changes")))


class InvitationPasswordForm(SetPasswordForm):
    """The invited user's first password, typed twice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Set my password"), css_class="w-100"))


class PasswordResetRequestForm(PasswordResetForm):
    """The address to send a new-password link to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Your e-mail address")
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Send me a link"), css_class="w-100"))


class PasswordResetSetForm(SetPasswordForm):
    """The new password of a user who followed a reset link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Set my new password"), css_class="w-100"))


class RecoveryCodeForm(forms.Form):
    """One of the user's recovery codes, instead of the authenticator app's code."""

    recovery_code = forms.CharField(
        label=_("Recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(
            Submit("use_recovery_code", _("Use this recovery code"), css_class="w-100")
        )


class ReauthenticationForm(forms.Form):
    """The password again, and the authenticator code when the user has one."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, with_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", _("Confirm"), css_class="w-100"))
