"""End of residence: departure, death, loss of status or naturalisation, under maker-checker.

An officer of the resident's province requests it (date, reason, evidence document); a verifier of
that province who is not the requester approves or refuses it. On approval the resident's
`residence_ended_on` is set, every card of theirs is revoked, and they leave every count of current
residents (`Resident.objects.current()`), while the record and its history stay in the register.
"""

from __future__ import annotations

import datetime as dt

import pghistory
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from residents import hooks
from residents.models import EndReason, ResidenceEnding, Resident
from residents.services import (
    IllegalTransition,
    NotAllowed,
    ResidentsError,
    _lock_resident,
    _require_officer_of,
    _require_verifier_of,
    _required_reason,
)

Status = ResidenceEnding.Status
Action = AuditEvent.Action


def _guard(ending: ResidenceEnding, status: str) -> None:
    if not ending.can_move_to(status):
        raise IllegalTransition(
            _("This end of residence is now %(current)s; it cannot become %(target)s.")
            % {
                "current": ending.get_status_display().lower(),
                "target": str(Status(status).label).lower(),
            }
        )


def _lock_ending(ending_id: int) -> tuple[Resident, ResidenceEnding]:
    """Lock the resident, then the request: the order every resident service keeps."""
    resident_id = ResidenceEnding.objects.values_list("resident_id", flat=True).get(pk=ending_id)
    resident = _lock_resident(resident_id)
    return resident, ResidenceEnding.objects.select_for_update().get(pk=ending_id)


# --- Writes ----------------------------------------------------------------------------------
@transaction.atomic
def ending_request(
    *,
    resident: Resident,
    actor: User,
    reason: str,
    ended_on: dt.date,
    evidence: ContentFile,
    evidence_type: str,
    evidence_name: str,
    notes: str = "",
    today: dt.date | None = None,
) -> ResidenceEnding:
    """Ask a verifier to end a residence; the evidence file was already checked by content."""
    locked = _lock_resident(resident.pk)
    _require_officer_of(actor, locked.province_id)
    today = today or timezone.localdate()
    if reason not in EndReason.values:
        raise ResidentsError(_("Choose why the residence ends."))
    if ended_on > today:
        raise ResidentsError(_("The date the residence ended cannot be in the future."))
    if locked.residence_ended_on is not None:
        raise IllegalTransition(_("This residence has already ended."))
    if locked.endings.filter(status=Status.REQUESTED).exists():
        raise IllegalTransition(_("An end of residence is already awaiting review."))
    with pghistory.context(user=actor.pk, action="residence_end.request"):
        ending = ResidenceEnding(
            resident=locked,
            reason=reason,
            ended_on=ended_on,
            notes=notes.strip(),
            evidence_type=evidence_type,
            evidence_name=evidence_name[:200],
            requested_by=actor,
        )
        assert evidence.name  # an upload is always named
        ending.evidence.save(evidence.name, evidence, save=False)
        try:
            with transaction.atomic():
                ending.save()
        except IntegrityError as error:  # a second request a moment ago, past the lock
            raise IllegalTransition(_("An end of residence is already awaiting review.")) from error
        audit_record(
            actor=actor,
            action=Action.RESIDENCE_END_REQUESTED,
            obj=locked,
            detail={"ending": ending.pk, "reason": reason, "ended_on": ended_on.isoformat()},
        )
    return ending


def _decide(ending: ResidenceEnding, actor: User, status: str, reason: str) -> ResidenceEnding:
    resident, locked = _lock_ending(ending.pk)
    _require_verifier_of(actor, resident.province_id)
    if locked.requested_by_id == actor.pk:
        raise NotAllowed(_("You requested this end of residence: another verifier must review it."))
    _guard(locked, status)
    locked.status = status
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.save()
    revoked: list[str] = []
    if status == Status.APPROVED:
        resident.residence_ended_on = locked.ended_on
        resident.residence_end_reason = locked.reason
        resident.version += 1
        resident.save()
        # The cards follow the record in the same transaction (cards' receiver revokes them).
        answers = hooks.residence_ended.collect(
            resident_id=resident.pk,
            actor=actor,
            reason=str(EndReason(locked.reason).label),
            ending_id=locked.pk,
        )
        revoked = [number for numbers in answers for number in numbers]
    audit_record(
        actor=actor,
        action=Action.RESIDENCE_END_DECIDED,
        obj=resident,
        detail={"ending": locked.pk, "decision": status, "cards_revoked": revoked},
    )
    if status == Status.APPROVED:
        hooks.province_figures_changed(province_ids=[resident.province_id])
    return locked


@transaction.atomic
def ending_approve(*, ending: ResidenceEnding, actor: User) -> ResidenceEnding:
    """Approve an end of residence: the residence ends on its date and the card is revoked."""
    with pghistory.context(user=actor.pk, action="residence_end.approve"):
        return _decide(ending, actor, Status.APPROVED, "")


@transaction.atomic
def ending_refuse(*, ending: ResidenceEnding, actor: User, reason: str) -> ResidenceEnding:
    """Refuse an end of residence with the reason; the residence goes on unchanged."""
    reason = _required_reason(reason)
    with pghistory.context(user=actor.pk, action="residence_end.refuse"):
        return _decide(ending, actor, Status.REFUSED, reason)


@transaction.atomic
def ending_withdraw(*, ending: ResidenceEnding, actor: User) -> ResidenceEnding:
    """The province's officer withdraws a request made in error, before it is reviewed."""
    resident, locked = _lock_ending(ending.pk)
    _require_officer_of(actor, resident.province_id)
    _guard(locked, Status.WITHDRAWN)
    with pghistory.context(user=actor.pk, action="residence_end.withdraw"):
        locked.status = Status.WITHDRAWN
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.RESIDENCE_END_DECIDED,
            obj=resident,
            detail={"ending": locked.pk, "decision": Status.WITHDRAWN},
        )
    return locked


# --- Reads -----------------------------------------------------------------------------------
def ending_get_for(*, user: User, pk: int) -> ResidenceEnding:
    """The request if the user may see its resident, else 404."""
    found = (
        access.scope(ResidenceEnding.objects.all(), user, "resident__province_id")
        .select_related("resident", "resident__province", "requested_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def endings_of(*, resident: Resident) -> list[ResidenceEnding]:
    return list(resident.endings.select_related("requested_by", "decided_by").order_by("-id"))


def endings_awaiting_review_for(*, user: User) -> QuerySet[ResidenceEnding]:
    """The requests a verifier of the user's province has to decide, oldest first."""
    if not access.can(user, Capability.DECLARATION_REVIEW):
        return ResidenceEnding.objects.none()
    return (
        access.scope(
            ResidenceEnding.objects.filter(status=Status.REQUESTED), user, "resident__province_id"
        )
        .select_related("resident", "requested_by")
        .order_by("requested_at", "id")
    )


def ended_counts_for(*, user: User, province_code: str = "") -> list[tuple[str, str, int]]:
    """Ended residences per reason, in the user's scope: (reason, label, count), every reason.

    One aggregate over the partial index resident_ended_reason (ended residents only).
    """
    ended = access.scope(Resident.objects.ended(), user)
    if province_code:
        ended = ended.filter(province_id=province_code)
    counts = dict(
        ended.values_list("residence_end_reason")
        .annotate(n=Count("id"))
        .values_list("residence_end_reason", "n")
    )
    return [(reason.value, str(reason.label), counts.get(reason.value, 0)) for reason in EndReason]
