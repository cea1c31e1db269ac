"""Screens of the end of residence, the transfers between provinces and the family links.

As everywhere: the record through a scoped selector first (another province: 404), then the
capability (403), then the service, which checks its actor again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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
ViewFunction = Callable[..., HttpResponse]


def detail_context(user: User, resident: Resident) -> dict[str, Any]:
    """What the resident's page shows of their end of residence, transfers and family."""
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


# --- Deciding a request: one set of views per transition table --------------------------------
@dataclass(frozen=True)
class Decision:
    """A maker-checker request's screens (an end of residence, a transfer): what differs.

    The request is read through its scoped selector (another province: 404), then the
    capability is asked (403), then the service decides, checking its actor again; the
    transition table (the model's `can_move_to`) stays the service's.
    """

    name: str  # the request's name in its template's context
    template: str
    detail_url: str
    get_for: Callable[..., Any]
    approve: Callable[[Any, User], Any]
    refuse: Callable[[Any, User, str], Any]
    withdraw: Callable[[Any, User], Any]
    can_decide: Callable[[User, Any], bool]
    can_withdraw: Callable[[User, Any], bool]
    approved: Promise
    refused: Promise
    withdrawn: Promise
    # Where a refusal leads (a URL name); None: the resident's page.
    refused_to: str | None = None
    # Whether a withdrawal the service refused goes back to the request (else the resident).
    withdraw_refused_to_detail: bool = False
    extra_context: Callable[[User, Any], dict[str, Any]] = lambda user, request: {}


def _to_resident(request_: Any) -> HttpResponse:
    return redirect("residents:detail", pk=request_.resident_id)


def decision_detail(request: AuthenticatedRequest, pk: int, *, decision: Decision) -> HttpResponse:
    found = decision.get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_READ)
    return TemplateResponse(
        request,
        decision.template,
        {
            decision.name: found,
            "resident": found.resident,
            **decision.extra_context(request.user, found),
            "form": DecisionForm() if decision.can_decide(request.user, found) else None,
            "can_withdraw": decision.can_withdraw(request.user, found),
        },
    )


def decision_decide(request: AuthenticatedRequest, pk: int, *, decision: Decision) -> HttpResponse:
    found = decision.get_for(user=request.user, pk=pk)
    access.require(request.user, Can.DECLARATION_REVIEW)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(decision.detail_url, pk=found.pk)
    approve = form.cleaned_data["action"] == "approve"
    try:
        if approve:
            decision.approve(found, request.user)
        else:
            decision.refuse(found, request.user, form.cleaned_data["reason"])
    except ResidentsError as error:
        messages.error(request, str(error.message))
        return redirect(decision.detail_url, pk=found.pk)
    messages.success(request, str(decision.approved if approve else decision.refused))
    if approve or decision.refused_to is None:
        return _to_resident(found)
    return redirect(decision.refused_to)


def decision_withdraw(
    request: AuthenticatedRequest, pk: int, *, decision: Decision
) -> HttpResponse:
    found = decision.get_for(user=request.user, pk=pk)
    access.require(request.user, Can.RESIDENT_WRITE)
    try:
        decision.withdraw(found, request.user)
    except ResidentsError as error:
        messages.error(request, str(error.message))
        if decision.withdraw_refused_to_detail:
            return redirect(decision.detail_url, pk=found.pk)
    else:
        messages.success(request, str(decision.withdrawn))
    return _to_resident(found)


def _views(decision: Decision) -> tuple[ViewFunction, ViewFunction, ViewFunction]:
    """The detail, decide and withdraw views of one transition table's requests."""

    def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        return decision_detail(request, pk, decision=decision)

    def decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        return decision_decide(request, pk, decision=decision)

    def withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
        return decision_withdraw(request, pk, decision=decision)

    for view in (detail, decide, withdraw):  # named as the URLs' views were: ending_detail...
        view.__name__ = view.__qualname__ = f"{decision.name}_{view.__name__}"
    return (
        login_required(require_GET(detail)),
        login_required(require_POST(decide)),
        login_required(require_POST(withdraw)),
    )


def _ending_can_decide(user: User, ending: ResidenceEnding) -> bool:
    return (
        access.can(user, Can.DECLARATION_REVIEW)
        and ending.status == ResidenceEnding.Status.REQUESTED
        and ending.requested_by_id != user.pk
    )


def _ending_can_withdraw(user: User, ending: ResidenceEnding) -> bool:
    return (
        access.can(user, Can.RESIDENT_WRITE) and ending.status == ResidenceEnding.Status.REQUESTED
    )


def _transfer_can_decide(user: User, transfer: ProvinceTransfer) -> bool:
    return (
        transfer.status == ProvinceTransfer.Status.PROPOSED
        and access.can(user, Can.DECLARATION_REVIEW)
        and user.province_id == transfer.to_province_id
    )


def _transfer_can_withdraw(user: User, transfer: ProvinceTransfer) -> bool:
    return (
        transfer.status == ProvinceTransfer.Status.PROPOSED
        and access.can(user, Can.RESIDENT_WRITE)
        and user.province_id == transfer.from_province_id
    )


def _transfer_context(user: User, transfer: ProvinceTransfer) -> dict[str, Any]:
    # The sender (or HQ) opens the record; the receiver, only once it is theirs.
    return {"resident_visible": access.in_scope(user, transfer.resident.province_id)}


ENDING = Decision(
    name="ending",
    template="residents/ending_detail.html",
    detail_url="residents:ending-detail",
    get_for=endings.ending_get_for,
    approve=lambda ending, actor: endings.ending_approve(ending=ending, actor=actor),
    refuse=lambda ending, actor, reason: endings.ending_refuse(
        ending=ending, actor=actor, reason=reason
    ),
    withdraw=lambda ending, actor: endings.ending_withdraw(ending=ending, actor=actor),
    can_decide=_ending_can_decide,
    can_withdraw=_ending_can_withdraw,
    approved=gettext_lazy("End of residence approved; the card is revoked."),
    refused=gettext_lazy("End of residence refused."),
    withdrawn=gettext_lazy("Request withdrawn."),
)

TRANSFER = Decision(
    name="transfer",
    template="residents/transfer_detail.html",
    detail_url="residents:transfer-detail",
    get_for=transfers.transfer_get_for,
    approve=lambda transfer, actor: transfers.transfer_accept(transfer=transfer, actor=actor),
    refuse=lambda transfer, actor, reason: transfers.transfer_refuse(
        transfer=transfer, actor=actor, reason=reason
    ),
    withdraw=lambda transfer, actor: transfers.transfer_withdraw(transfer=transfer, actor=actor),
    can_decide=_transfer_can_decide,
    can_withdraw=_transfer_can_withdraw,
    approved=gettext_lazy("Transfer accepted: the resident is now your province's."),
    refused=gettext_lazy("Transfer refused; the record stays with the sending province."),
    withdrawn=gettext_lazy("Transfer withdrawn."),
    refused_to="residents:transfer-list",
    withdraw_refused_to_detail=True,
    extra_context=_transfer_context,
)

ending_detail, ending_decide, ending_withdraw = _views(ENDING)
transfer_detail, transfer_decide, transfer_withdraw = _views(TRANSFER)


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
