"""Sign-in (password, then a one-time code), set-up of the authenticator app, sign-out."""

from __future__ import annotations

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp.models import Device

from accounts import otp, services
from accounts.forms import OTPCodeForm, OwnPasswordChangeForm, SignInForm
from audit.models import AuditEvent
from audit.services import audit_record


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

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["next"] = _next_url(self.request)
        context["forced"] = self.request.user.must_change_password
        return context

    def form_valid(self, form: OwnPasswordChangeForm) -> HttpResponse:
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
    from urllib.parse import urlencode

    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


def _complete_second_factor(request: HttpRequest, device: Device) -> None:
    # A new session key once the second factor is in: the session is now worth more.
    request.session.cycle_key()
    django_otp.login(request, device)


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = otp.confirmed_device(request.user)
    if device is None:
        return HttpResponseRedirect(_with_next(request, "accounts:otp-enrol"))
    if request.user.is_verified():
        return HttpResponseRedirect(_next_url(request))
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
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
    return TemplateResponse(
        request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)}
    )


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
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
