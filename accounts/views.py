"""Sign-in (password, then a one-time code), set-up of the authenticator app, sign-out; the
users pages of administrators and the invitation a new user follows."""

from __future__ import annotations

import csv
from collections.abc import Callable
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.models import Device

from accounts import access, invitations, otp, reauth, selectors, services, sessions, throttle
from accounts.access import Capability
from accounts.forms import (
    InvitationPasswordForm,
    OTPCodeForm,
    OwnPasswordChangeForm,
    PasswordResetRequestForm,
    PasswordResetSetForm,
    ReauthenticationForm,
    RecoveryCodeForm,
    SignInForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from accounts.models import User
from accounts.types import AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_record
from audit.services import client_ip as audit_client_ip


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password change; the page a forced change sends them to."""

    form_class = OwnPasswordChangeForm
    template_name = "accounts/password_change.html"
    request: AuthenticatedRequest  # Django's PasswordChangeView requires the sign-in

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["next"] = _next_url(self.request)
        context["forced"] = self.request.user.must_change_password
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = self.request.user
        services.password_change_own(user=user, raw_password=form.cleaned_data["new_password1"])
        # This session goes on with the new password; the user's other sessions end.
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password is changed."))
        return HttpResponseRedirect(_next_url(self.request))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(request: HttpRequest, url_name: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


def _complete_second_factor(request: HttpRequest, device: Device) -> None:
    # A new session key once the second factor is in: the session is now worth more.
    request.session.cycle_key()
    django_otp.login(request, device)


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: AuthenticatedRequest) -> HttpResponse:
    device = otp.confirmed_device(request.user)
    if device is None:
        return HttpResponseRedirect(_with_next(request, "accounts:otp-enrol"))
    if request.user.is_verified():
        return HttpResponseRedirect(_next_url(request))
    using_recovery = request.method == "POST" and "recovery_code" in request.POST
    form = OTPCodeForm(None if using_recovery else (request.POST or None))
    recovery_form = RecoveryCodeForm(request.POST if using_recovery else None)
    if using_recovery and recovery_form.is_valid():
        used = services.recovery_code_use(
            user=request.user, code=recovery_form.cleaned_data["recovery_code"]
        )
        if used is not None:
            _complete_second_factor(request, used)
            left = otp.recovery_codes_left(request.user)
            audit_record(actor=request.user, action=AuditEvent.Action.OTP_VERIFIED,
                         request=request, detail={"recovery_code": True, "left": left})  # fmt: skip
            messages.warning(
                request,
                ngettext(
                    "You signed in with a recovery code: %(left)d is left. Make new ones soon.",
                    "You signed in with a recovery code: %(left)d are left. Make new ones soon.",
                    left,
                )
                % {"left": left},
            )
            return HttpResponseRedirect(_next_url(request))
        audit_record(actor=request.user, action=AuditEvent.Action.OTP_FAILED, request=request,
                     detail={"recovery_code": True})  # fmt: skip
        recovery_form.add_error(
            "recovery_code", _("This recovery code is wrong or was already used.")
        )
    elif request.method == "POST" and form.is_valid():
        # django-otp refuses a code already used (last_t) and throttles repeated failures.
        verified = django_otp.verify_token(
            request.user, device.persistent_id, form.cleaned_data["code"]
        )
        if verified is not None:
            _complete_second_factor(request, verified)
            audit_record(actor=request.user, action=AuditEvent.Action.OTP_VERIFIED, request=request)
            return HttpResponseRedirect(_next_url(request))
        audit_record(actor=request.user, action=AuditEvent.Action.OTP_FAILED, request=request)
        form.add_error(
            "code",
            _("This code is wrong or was already used. Wait for the next code and try again."),
        )
    context = {
        "form": form,
        "recovery_form": recovery_form,
        "has_recovery_codes": otp.recovery_device(request.user) is not None,
        "next": _next_url(request),
    }
    return TemplateResponse(request, "accounts/otp_verify.html", context)


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: AuthenticatedRequest) -> HttpResponse:
    if otp.confirmed_device(request.user) is not None:
        return HttpResponseRedirect(_with_next(request, "accounts:otp-verify"))
    device = otp.enrolment_device(request.user, request.session)
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session.pop(otp.ENROLMENT_SESSION_KEY, None)
            _complete_second_factor(request, device)
            audit_record(actor=request.user, action=AuditEvent.Action.OTP_ENROLLED, request=request)
            messages.success(request, _("Two-factor sign-in is set up."))
            return HttpResponseRedirect(_next_url(request))
        audit_record(actor=request.user, action=AuditEvent.Action.OTP_FAILED, request=request)
        form.add_error(
            "code", _("This code is wrong. Check the time on your phone and try the next code.")
        )
    context = {
        "form": form,
        "next": _next_url(request),
        "qr": otp.qr_data_uri(device),
        "secret": otp.secret_base32(device),
        "required": otp.requires_second_factor(request.user),
    }
    return TemplateResponse(request, "accounts/otp_enrol.html", context)


# --- Users: administrators create and manage accounts ------------------------------------------
USERS_PAGE_SIZE = 50
EXPORT_HEADER = ["username", "first_name", "last_name", "email", "phone", "role", "province",
                 "active", "second_factor", "last_login", "date_joined"]  # fmt: skip


@login_required
@require_GET
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    form = UserSearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    users = selectors.user_list_for(user=request.user, **filters)
    page = Paginator(users, USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "accounts/user_list.html", {"form": form, "page": page})


def _csv_cell(value: object) -> str:
    # A spreadsheet would run a cell starting like a formula: make it text.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
def user_export(request: AuthenticatedRequest) -> HttpResponse:
    form = UserSearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    users = selectors.user_list_for(user=request.user, **filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="users.csv"'
    response.write("\ufeff")  # spreadsheets read the file as UTF-8 (Khmer names)
    writer = csv.writer(response)
    writer.writerow(EXPORT_HEADER)
    rows = 0
    for user in users.iterator(chunk_size=500):
        writer.writerow(
            [_csv_cell(value) for value in (
                user.username, user.first_name, user.last_name, user.email, user.phone,
                user.role, user.province_id or "", "yes" if user.is_active else "no",
                "yes" if user.has_second_factor else "no",
                user.last_login.isoformat() if user.last_login else "",
                user.date_joined.isoformat(),
            )]
        )  # fmt: skip
        rows += 1
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORTED,
        request=request,
        detail={"what": "users", "rows": rows, **{k: str(v) for k, v in filters.items()}},
    )
    return response


def _invited_page(request: HttpRequest, user: User, *, emailed: bool) -> HttpResponse:
    """After an invitation: the e-mail went, or the link is shown once (never stored)."""
    if emailed:
        messages.success(
            request, _("The invitation was e-mailed to %(email)s.") % {"email": user.email}
        )
        return redirect("accounts:user-detail", pk=user.pk)
    link = request.build_absolute_uri(invitations.invitation_path(user))
    context = {"invited": user, "link": link, "hours": invitations.MAX_AGE_SECONDS // 3600}
    return TemplateResponse(request, "accounts/user_invited.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Capability.USER_MANAGE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, emailed = services.user_create(actor=request.user, **form.cleaned_data)
        except services.AccountsError as error:
            form.add_error(None, error.message)
        else:
            return _invited_page(request, user, emailed=emailed)
    return TemplateResponse(request, "accounts/user_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = selectors.user_get_for(user=request.user, pk=pk)
    form = UserEditForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        if {"role", "province"} & set(form.changed_data) and not reauth.is_recent(request):
            # A new role or province is a sensitive action: the password and code again first.
            return reauth.ask(request)
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        # The form worked on `user`: start again from the stored row.
        stored = selectors.user_get_for(user=request.user, pk=pk)
        try:
            changed = services.user_update(actor=request.user, user=stored, **data)
        except services.AccountsError as error:
            form.add_error(None, error.message)
        else:
            if {"role", "province_id"} & set(changed):
                messages.success(request, _("Changes saved. The user was signed out everywhere."))
            else:
                messages.success(request, _("Changes saved."))
            return redirect("accounts:user-detail", pk=pk)
    context = {
        "managed": selectors.user_get_for(user=request.user, pk=pk) if form.errors else user,
        "form": form,
        "is_self": user.pk == request.user.pk,
    }
    return TemplateResponse(request, "accounts/user_detail.html", context)


def _user_action(
    request: AuthenticatedRequest, pk: int, act: Callable[[User], str]
) -> HttpResponse:
    user = selectors.user_get_for(user=request.user, pk=pk)
    try:
        message = act(user)
    except services.AccountsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, message)
    return redirect("accounts:user-detail", pk=pk)


@login_required
@require_POST
def user_deactivate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def act(user: User) -> str:
        services.user_deactivate(actor=request.user, user=user)
        return _("The account is deactivated and its sessions are ended.")

    return _user_action(request, pk, act)


@login_required
@require_POST
def user_reactivate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def act(user: User) -> str:
        services.user_reactivate(actor=request.user, user=user)
        return _("The account is active again.")

    return _user_action(request, pk, act)


@login_required
@reauth.recent_authentication_required
@require_POST
def user_otp_reset(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def act(user: User) -> str:
        if user.pk == request.user.pk:
            raise services.AccountsError(
                _("Another administrator must reset your own two-factor sign-in.")
            )
        services.otp_reset(actor=request.user, user=user)
        return _("Two-factor sign-in is reset: the user was signed out and sets it up again.")

    return _user_action(request, pk, act)


@login_required
@require_POST
def user_invite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = selectors.user_get_for(user=request.user, pk=pk)
    try:
        emailed = services.user_invite(actor=request.user, user=user)
    except services.AccountsError as error:
        messages.error(request, str(error.message))
        return redirect("accounts:user-detail", pk=pk)
    user.refresh_from_db()
    return _invited_page(request, user, emailed=emailed)


# --- The invited user sets their password -------------------------------------------------------
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = invitations.user_for_token(token)
    except invitations.InvalidInvitation as error:
        return TemplateResponse(
            request, "accounts/invitation_accept.html", {"error": error.message}, status=400
        )
    form = InvitationPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                user=user, raw_password=form.cleaned_data["new_password1"]
            )
        except services.AccountsError as error:
            return TemplateResponse(
                request, "accounts/invitation_accept.html", {"error": error.message}, status=400
            )
        login(request, user, backend="accounts.backends.UserBackend")
        messages.success(request, _("Your password is set. Now set up two-factor sign-in."))
        # Then the second factor, then recovery codes for the day the phone is lost.
        after = urlencode({"next": reverse("accounts:recovery-codes")})
        return HttpResponseRedirect(f"{reverse('accounts:otp-enrol')}?{after}")
    context = {"form": form, "invited": user}
    return TemplateResponse(request, "accounts/invitation_accept.html", context)


# --- Forgotten password --------------------------------------------------------------------------
class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a link by e-mail: the same answer whether or not the address is on file."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        ip = audit_client_ip(self.request)
        within = throttle.allow(
            scope="reset-ip", who=ip or "unknown", limit=settings.PASSWORD_RESET_RATE_PER_IP,
            window=3600,
        ) & throttle.allow(
            scope="reset-email", who=email, limit=settings.PASSWORD_RESET_RATE_PER_EMAIL,
            window=3600,
        )  # fmt: skip
        services.password_reset_request(email=email, ip=ip, throttled=not within)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = PasswordResetSetForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        services.password_reset_complete(
            user=form.user, raw_password=form.cleaned_data["new_password1"]
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Account security: one's own second factor, recovery codes and sessions --------------------
@login_required
@require_GET
def account_security(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "has_second_factor": otp.confirmed_device(request.user) is not None,
        "required": otp.requires_second_factor(request.user),
        "recovery_codes_left": otp.recovery_codes_left(request.user),
        "has_recovery_codes": otp.recovery_device(request.user) is not None,
        "sessions": sessions.sessions_of(request.user),
        "current_key": request.session.session_key,
    }
    return TemplateResponse(request, "accounts/account_security.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: AuthenticatedRequest) -> HttpResponse:
    if otp.confirmed_device(request.user) is None:
        messages.info(request, _("Set up two-factor sign-in first."))
        return HttpResponseRedirect(_with_next(request, "accounts:otp-enrol"))
    codes = None
    if request.method == "POST":
        codes = [
            otp.format_recovery_code(code)
            for code in services.recovery_codes_generate(user=request.user)
        ]
    context = {
        "codes": codes,
        "left": otp.recovery_codes_left(request.user),
        "next": _next_url(request),
    }
    return TemplateResponse(request, "accounts/recovery_codes.html", context)


@login_required
@require_POST
def sessions_end_others(request: AuthenticatedRequest) -> HttpResponse:
    ended = services.sessions_end_others(user=request.user, keep=request.session.session_key)
    messages.success(
        request,
        ngettext(
            "%(count)d other session was signed out.",
            "%(count)d other sessions were signed out.",
            ended,
        )
        % {"count": ended},
    )
    return redirect("accounts:security")


# --- Re-authentication before sensitive actions -------------------------------------------------
@sensitive_post_parameters("password", "code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reauthenticate(request: AuthenticatedRequest) -> HttpResponse:
    device = otp.confirmed_device(request.user)
    form = ReauthenticationForm(request.POST or None, with_code=device is not None)
    if request.method == "POST" and form.is_valid():
        # authenticate(): a wrong password counts towards the lockout like at sign-in.
        checked = authenticate(
            request, username=request.user.get_username(), password=form.cleaned_data["password"]
        )
        if checked is None or checked.pk != request.user.pk:
            form.add_error("password", _("This password is wrong."))
        elif (
            device is not None
            and django_otp.verify_token(
                request.user, device.persistent_id, form.cleaned_data["code"]
            )
            is None
        ):
            audit_record(actor=request.user, action=AuditEvent.Action.OTP_FAILED,
                         request=request, detail={"reauthentication": True})  # fmt: skip
            form.add_error("code", _("This code is wrong or was already used."))
        else:
            reauth.stamp(request)
            audit_record(actor=request.user, action=AuditEvent.Action.OTP_VERIFIED,
                         request=request, detail={"reauthentication": True})  # fmt: skip
            return HttpResponseRedirect(_next_url(request))
    context = {"form": form, "next": _next_url(request)}
    return TemplateResponse(request, "accounts/reauthenticate.html", context)
