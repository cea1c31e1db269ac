"""Screens of corrections after acknowledgement and of new passports.

As everywhere: the record through a scoped selector first (another province: 404), then the
role (403), then the service.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.access import Capability
from accounts.types import AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_record
from residents import corrections, history_view, passports, selectors, services
from residents.correction_forms import CorrectionForm, PassportForm
from residents.models import Correction

Can = Capability


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("", "---------"),
            ("approve", gettext_lazy("Approve")),
            ("refuse", gettext_lazy("Refuse")),
        ],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (required to refuse)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def correction_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    if not corrections.needs_correction(resident):
        return redirect("residents:edit", pk=resident.pk)
    # The form fills its own copy: the page keeps showing the record as it stands.
    form = CorrectionForm(
        request.POST or None,
        request.FILES or None,
        instance=copy.copy(resident),
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        content, content_type, name = form.cleaned_data["evidence"]
        try:
            correction = corrections.correction_request(
                resident=resident,
                actor=request.user,
                version=form.cleaned_data["version"] or 0,
                fields=form.resident_fields(),
                reason=form.cleaned_data["reason"],
                evidence=content,
                evidence_type=content_type,
                evidence_name=name,
            )
        except services.ResidentsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Correction requested: a verifier of the province decides it.")
            )
            return redirect("residents:correction-detail", pk=correction.pk)
    return TemplateResponse(
        request, "residents/correction_form.html", {"form": form, "resident": resident}
    )


@login_required
@require_GET
def correction_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    correction = selectors.correction_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_READ)
    history_view.describe_corrections([correction])
    can_decide = (
        access.can(request.user, Can.DECLARATION_REVIEW)
        and correction.status == Correction.Status.REQUESTED
        and correction.requested_by_id != request.user.pk
    )
    return TemplateResponse(
        request,
        "residents/correction_detail.html",
        {
            "correction": correction,
            "resident": correction.resident,
            "decision_form": DecisionForm() if can_decide else None,
        },
    )


@login_required
@require_POST
def correction_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    correction = selectors.correction_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose: approve or refuse."))
        return redirect("residents:correction-detail", pk=correction.pk)
    try:
        if form.cleaned_data["decision"] == "approve":
            decided = corrections.correction_approve(correction=correction, actor=request.user)
            if decided.new_card:
                messages.success(
                    request,
                    _(
                        "Correction approved. Card %(old)s is replaced by card %(new)s, with the "
                        "same expiry date, to be printed."
                    )
                    % {"old": decided.replaced_card, "new": decided.new_card},
                )
            else:
                messages.success(request, _("Correction approved: the record is corrected."))
        else:
            corrections.correction_refuse(
                correction=correction, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Correction refused: the record stays as it was."))
    except services.ResidentsError as error:
        messages.error(request, error.message)
    return redirect("residents:correction-detail", pk=correction.pk)


@login_required
@require_GET
def correction_evidence(request: AuthenticatedRequest, pk: int) -> FileResponse:
    correction = selectors.correction_get_for(user=request.user, pk=pk)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.DOCUMENT_VIEWED,
        obj=correction,
        request=request,
        detail={"correction": correction.pk},
    )
    response = FileResponse(
        correction.evidence.open("rb"),
        content_type=correction.evidence_type,
        as_attachment=True,
        filename=correction.evidence_name,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def correction_queue(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.DECLARATION_REVIEW)
    return TemplateResponse(
        request,
        "residents/correction_queue.html",
        {"corrections": selectors.correction_queue_for(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def passport_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    form = PassportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            passports.passport_replace(
                resident=resident, actor=request.user, passport=form.passport_input()
            )
        except services.DuplicatePassport as error:
            form.add_error("number", error.message)
        except services.ResidentsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("New passport recorded; the previous one is kept."))
            return redirect("residents:detail", pk=resident.pk)
    return TemplateResponse(
        request,
        "residents/passport_form.html",
        {
            "form": form,
            "resident": resident,
            "passports": selectors.passports_of(resident=resident),
        },
    )
