"""Screens of the end of residence, the transfers between provinces and the family links.

As everywhere: the record through a scoped selector first (another province: 404), then the
capability (403), then the service, which checks its actor again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.access import Capability
from accounts.models import User
from accounts.types import AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_record
from residents import endings, family, selectors, transfers
from residents.lifecycle_forms import (
    DecisionForm,
    EndingRequestForm,
    FamilyLinkForm,
    TransferProposeForm,
)
from residents.models import ProvinceTransfer, ResidenceEnding, Resident
from residents.services import ResidentsError

Can = Capability


def detail_context(user: User, resident: Resident, cards: list[Any]) -> dict[str, Any]:
    """What the resident's page shows of their end of residence, transfers and family."""
    from cards.services import card_reprint_offered  # cards stand above residents

    can_write = access.can(user, Can.RESIDENT_WRITE) and user.province_id == resident.province_id
    open_ending = None
    ending_list = endings.endings_of(resident=resident)
    for ending in ending_list:
        if ending.status == ResidenceEnding.Status.REQUESTED:
            open_ending = ending
    transfer_list = transfers.transfers_of(resident=resident)
    open_transfer = next(
        (t for t in transfer_list if t.status == ProvinceTransfer.Status.PROPOSED), None
    )
    current = resident.residence_ended_on is None
    return {
        "endings": ending_list,
        "open_ending": open_ending,
        "transfers": transfer_list,
        "open_transfer": open_transfer,
        "relatives": family.relatives_of(user=user, resident=resident),
        "can_request_ending": can_write and current and open_ending is None,
        "can_propose_transfer": can_write and current and open_transfer is None,
        "can_link_family": can_write and current,
        "family_form": FamilyLinkForm() if can_write and current else None,
        # A transferred resident's card, still the sending office's: the new one may reprint it.
        "reprintable_cards": [c for c in cards if card_reprint_offered(c, resident)]
        if access.can(user, Can.CARD_WRITE)
        else [],
    }


# --- End of residence ------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def ending_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    form = EndingRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content, content_type, name = form.cleaned_data["evidence"]
        try:
            endings.ending_request(
                resident=resident,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                ended_on=form.cleaned_data["ended_on"],
                notes=form.cleaned_data["notes"],
                evidence=content,
                evidence_type=content_type,
                evidence_name=name,
            )
        except ResidentsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("End of residence sent to a verifier for review."))
            return redirect("residents:detail", pk=resident.pk)
    return TemplateResponse(
        request, "residents/ending_form.html", {"form": form, "resident": resident}
    )


@login_required
@require_GET
def ending_queue(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.DECLARATION_REVIEW)
    return TemplateResponse(
        request,
        "residents/ending_queue.html",
        {"endings": list(endings.endings_awaiting_review_for(user=request.user)[:200])},
    )


@login_required
@require_GET
def ending_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    ending = endings.ending_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_READ)
    can_decide = (
        access.can(request.user, Can.DECLARATION_REVIEW)
        and ending.status == ResidenceEnding.Status.REQUESTED
        and ending.requested_by_id != request.user.pk
    )
    return TemplateResponse(
        request,
        "residents/ending_detail.html",
        {
            "ending": ending,
            "resident": ending.resident,
            "form": DecisionForm() if can_decide else None,
            "can_withdraw": access.can(request.user, Can.RESIDENT_WRITE)
            and ending.status == ResidenceEnding.Status.REQUESTED,
        },
    )


@login_required
@require_POST
def ending_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    ending = endings.ending_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("residents:ending-detail", pk=ending.pk)
    try:
        if form.cleaned_data["action"] == "approve":
            endings.ending_approve(ending=ending, actor=request.user)
            messages.success(request, _("End of residence approved; the card is revoked."))
        else:
            endings.ending_refuse(
                ending=ending, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("End of residence refused."))
    except ResidentsError as error:
        messages.error(request, str(error.message))
        return redirect("residents:ending-detail", pk=ending.pk)
    return redirect("residents:detail", pk=ending.resident_id)


@login_required
@require_POST
def ending_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    ending = endings.ending_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    try:
        endings.ending_withdraw(ending=ending, actor=request.user)
    except ResidentsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Request withdrawn."))
    return redirect("residents:detail", pk=ending.resident_id)


@login_required
@require_GET
def ending_evidence(request: AuthenticatedRequest, pk: int) -> FileResponse:
    ending = endings.ending_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_READ)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.DOCUMENT_VIEWED,
        obj=ending.resident,
        request=request,
        detail={"ending": ending.pk},
    )
    response = FileResponse(
        ending.evidence.open("rb"),
        content_type=ending.evidence_type,
        as_attachment=True,
        filename=ending.evidence_name,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Transfers -------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def transfer_propose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    form = TransferProposeForm(request.POST or None, current_province=resident.province_id)
    if request.method == "POST" and form.is_valid():
        try:
            transfers.transfer_propose(
                resident=resident,
                actor=request.user,
                to_province=form.cleaned_data["to_province"],
                reason=form.cleaned_data["reason"],
            )
        except ResidentsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Transfer proposed to %(province)s; the record stays here until it accepts.")
                % {"province": form.cleaned_data["to_province"].name},
            )
            return redirect("residents:detail", pk=resident.pk)
    return TemplateResponse(
        request, "residents/transfer_form.html", {"form": form, "resident": resident}
    )


@login_required
@require_GET
def transfer_list(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Can.RESIDENT_READ)
    return TemplateResponse(
        request,
        "residents/transfer_list.html",
        {
            "incoming": transfers.incoming_transfers_for(user=request.user),
            "outgoing": transfers.outgoing_transfers_for(user=request.user),
        },
    )


@login_required
@require_GET
def transfer_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    transfer = transfers.transfer_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_READ)
    open_ = transfer.status == ProvinceTransfer.Status.PROPOSED
    user = request.user
    can_decide = (
        open_
        and access.can(user, Can.DECLARATION_REVIEW)
        and user.province_id == transfer.to_province_id
    )
    return TemplateResponse(
        request,
        "residents/transfer_detail.html",
        {
            "transfer": transfer,
            "resident": transfer.resident,
            # The sender (or HQ) opens the record; the receiver, only once it is theirs.
            "resident_visible": access.in_scope(user, transfer.resident.province_id),
            "form": DecisionForm() if can_decide else None,
            "can_withdraw": open_
            and access.can(user, Can.RESIDENT_WRITE)
            and user.province_id == transfer.from_province_id,
        },
    )


@login_required
@require_POST
def transfer_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    transfer = transfers.transfer_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("residents:transfer-detail", pk=transfer.pk)
    try:
        if form.cleaned_data["action"] == "approve":
            transfers.transfer_accept(transfer=transfer, actor=request.user)
        else:
            transfers.transfer_refuse(
                transfer=transfer, actor=request.user, reason=form.cleaned_data["reason"]
            )
    except ResidentsError as error:
        messages.error(request, str(error.message))
        return redirect("residents:transfer-detail", pk=transfer.pk)
    if form.cleaned_data["action"] == "approve":
        messages.success(request, _("Transfer accepted: the resident is now your province's."))
        return redirect("residents:detail", pk=transfer.resident_id)
    messages.success(request, _("Transfer refused; the record stays with the sending province."))
    return redirect("residents:transfer-list")


@login_required
@require_POST
def transfer_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    transfer = transfers.transfer_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    try:
        transfers.transfer_withdraw(transfer=transfer, actor=request.user)
    except ResidentsError as error:
        messages.error(request, str(error.message))
        return redirect("residents:transfer-detail", pk=transfer.pk)
    messages.success(request, _("Transfer withdrawn."))
    return redirect("residents:detail", pk=transfer.resident_id)


# --- Family links ----------------------------------------------------------------------------
@login_required
@require_POST
def family_link_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    form = FamilyLinkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("residents:detail", pk=resident.pk)
    try:
        relative = family.relative_find_for(
            user=request.user, reference=form.cleaned_data["relative"]
        )
        family.family_link_add(
            resident=resident,
            relative=relative,
            relation=form.cleaned_data["relation"],
            actor=request.user,
        )
    except ResidentsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Family link added; both records show it."))
    return redirect("residents:detail", pk=resident.pk)


@login_required
@require_POST
def family_link_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    link = family.family_link_get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    back = request.POST.get("resident", "")
    try:
        family.family_link_remove(link=link, actor=request.user)
    except ResidentsError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Family link removed."))
    if back == str(link.relative_id) and access.in_scope(request.user, link.relative.province_id):
        return redirect("residents:detail", pk=link.relative_id)
    if access.in_scope(request.user, link.resident.province_id):
        return redirect("residents:detail", pk=link.resident_id)
    return redirect("residents:detail", pk=link.relative_id)
