"""Transfers between provinces: the sending office proposes, the receiving office decides.

An officer of the resident's (sending) province proposes the move with its reason; until a
verifier of the receiving province accepts it, the record stays with the sender, and the receiver
sees the proposal in its incoming list (the proposal, never the record: that stays out of its
scope). On acceptance the resident's province changes, and with it who sees the record, which
counts it holds and who works on it. The history (the resident's province change and the transfer
rows) stays with the record; the card keeps its issuing province, and the receiving province is
offered a reprint (cards.services.card_reprint_after_transfer).

The receiver's verifier decides because accepting makes that office answerable for the record,
the same responsibility as verifying a declaration; the sender's officer may withdraw a proposal.
"""

from __future__ import annotations

import pghistory
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from provinces.models import Province
from residents import hooks
from residents.models import ProvinceTransfer, Resident
from residents.services import (
    IllegalTransition,
    NotAllowed,
    ResidentsError,
    _lock_resident,
    _require_officer_of,
    _required_reason,
)

Status = ProvinceTransfer.Status
Action = AuditEvent.Action


def _guard(transfer: ProvinceTransfer, status: str) -> None:
    if not transfer.can_move_to(status):
        raise IllegalTransition(
            _("This transfer is now %(current)s; it cannot become %(target)s.")
            % {
                "current": transfer.get_status_display().lower(),
                "target": str(Status(status).label).lower(),
            }
        )


def _lock_transfer(transfer_id: int) -> tuple[Resident, ProvinceTransfer]:
    """Lock the resident, then the transfer: the order every resident service keeps."""
    resident_id = ProvinceTransfer.objects.values_list("resident_id", flat=True).get(pk=transfer_id)
    resident = _lock_resident(resident_id)
    return resident, ProvinceTransfer.objects.select_for_update().get(pk=transfer_id)


def _require_receiving_verifier(actor: User, transfer: ProvinceTransfer) -> None:
    if (
        not access.can(actor, Capability.DECLARATION_REVIEW)
        or actor.province_id != transfer.to_province_id
    ):
        raise NotAllowed(_("Only a verifier of the receiving province can decide this transfer."))


# --- Writes ----------------------------------------------------------------------------------
@transaction.atomic
def transfer_propose(
    *, resident: Resident, actor: User, to_province: Province, reason: str
) -> ProvinceTransfer:
    """Propose moving the resident to another province office; the record stays here meanwhile."""
    locked = _lock_resident(resident.pk)
    _require_officer_of(actor, locked.province_id)
    reason = (reason or "").strip()
    if not reason:
        raise ResidentsError(_("Give the reason for the move."))
    if to_province.pk == locked.province_id:
        raise ResidentsError(_("Choose another province than the resident's own."))
    if locked.residence_ended_on is not None:
        raise IllegalTransition(_("This residence has ended: it cannot be transferred."))
    if locked.transfers.filter(status=Status.PROPOSED).exists():
        raise IllegalTransition(_("A transfer of this resident is already awaiting a decision."))
    with pghistory.context(user=actor.pk, action="transfer.propose"):
        try:
            with transaction.atomic():
                transfer = ProvinceTransfer.objects.create(
                    resident=locked,
                    from_province_id=locked.province_id,
                    to_province=to_province,
                    reason=reason,
                    proposed_by=actor,
                )
        except IntegrityError as error:
            raise IllegalTransition(
                _("A transfer of this resident is already awaiting a decision.")
            ) from error
        audit_record(
            actor=actor,
            action=Action.TRANSFER_PROPOSED,
            obj=locked,
            detail={"transfer": transfer.pk, "from": locked.province_id, "to": to_province.pk},
        )
    return transfer


@transaction.atomic
def transfer_accept(*, transfer: ProvinceTransfer, actor: User) -> ProvinceTransfer:
    """Accept a proposed transfer: the resident becomes the receiving province's record."""
    resident, locked = _lock_transfer(transfer.pk)
    _require_receiving_verifier(actor, locked)
    _guard(locked, Status.ACCEPTED)
    if resident.province_id != locked.from_province_id or resident.residence_ended_on:
        # The record changed hands or ended since the proposal: it no longer describes it.
        raise IllegalTransition(_("This resident's record changed since the proposal."))
    with pghistory.context(user=actor.pk, action="transfer.accept"):
        locked.status = Status.ACCEPTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        resident.province_id = locked.to_province_id
        resident.version += 1
        resident.save()
        audit_record(
            actor=actor,
            action=Action.TRANSFER_DECIDED,
            obj=resident,
            detail={
                "transfer": locked.pk,
                "decision": Status.ACCEPTED,
                "from": locked.from_province_id,
                "to": locked.to_province_id,
            },
        )
    hooks.province_figures_changed(province_ids=[locked.from_province_id, locked.to_province_id])
    return locked


@transaction.atomic
def transfer_refuse(*, transfer: ProvinceTransfer, actor: User, reason: str) -> ProvinceTransfer:
    """Refuse a proposed transfer with the reason; the record stays with the sender."""
    resident, locked = _lock_transfer(transfer.pk)
    _require_receiving_verifier(actor, locked)
    reason = _required_reason(reason)
    _guard(locked, Status.REFUSED)
    with pghistory.context(user=actor.pk, action="transfer.refuse"):
        locked.status = Status.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.save()
        audit_record(
            actor=actor,
            action=Action.TRANSFER_DECIDED,
            obj=resident,
            detail={"transfer": locked.pk, "decision": Status.REFUSED},
        )
    return locked


@transaction.atomic
def transfer_withdraw(*, transfer: ProvinceTransfer, actor: User) -> ProvinceTransfer:
    """The sending province's officer withdraws a proposal not yet decided."""
    resident, locked = _lock_transfer(transfer.pk)
    _require_officer_of(actor, locked.from_province_id)
    _guard(locked, Status.WITHDRAWN)
    with pghistory.context(user=actor.pk, action="transfer.withdraw"):
        locked.status = Status.WITHDRAWN
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.TRANSFER_DECIDED,
            obj=resident,
            detail={"transfer": locked.pk, "decision": Status.WITHDRAWN},
        )
    return locked


# --- Reads -----------------------------------------------------------------------------------
def _visible(user: User) -> QuerySet[ProvinceTransfer]:
    """Transfers the user may see: those from or to their province (every one, nationally)."""
    transfers = ProvinceTransfer.objects.select_related(
        "resident", "from_province", "to_province", "proposed_by", "decided_by"
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return transfers.none()
    if user.province_id:
        return transfers.filter(
            Q(from_province_id=user.province_id) | Q(to_province_id=user.province_id)
        )
    return transfers


def transfer_get_for(*, user: User, pk: int) -> ProvinceTransfer:
    """A transfer of (or to) the user's province, else 404."""
    found = _visible(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def incoming_transfers_for(*, user: User) -> list[ProvinceTransfer]:
    """Proposals awaiting the user's province's decision, oldest first."""
    if not user.province_id:
        return list(
            _visible(user).filter(status=Status.PROPOSED).order_by("proposed_at", "id")[:200]
        )
    return list(
        _visible(user)
        .filter(status=Status.PROPOSED, to_province_id=user.province_id)
        .order_by("proposed_at", "id")[:200]
    )


def outgoing_transfers_for(*, user: User) -> list[ProvinceTransfer]:
    """The user's province's own proposals still awaiting the receiver, oldest first."""
    if not user.province_id:
        return []
    return list(
        _visible(user)
        .filter(status=Status.PROPOSED, from_province_id=user.province_id)
        .order_by("proposed_at", "id")[:200]
    )


def transfers_of(*, resident: Resident) -> list[ProvinceTransfer]:
    return list(
        resident.transfers.select_related(
            "from_province", "to_province", "proposed_by", "decided_by"
        ).order_by("-id")
    )
