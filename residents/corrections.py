"""Corrections of a record already checked: asked by an officer, decided by another verifier.

Once a declaration is acknowledged (or a card issued) the record is what GDI recognised and what
a card may print: an officer's edit no longer saves by itself. The officer asks for a correction
(the fields, their new values, the reason, an evidence document); a verifier of the province who
did not ask approves it (the change is applied then) or refuses it with a reason. When the
change touches what the card prints, the printed card is replaced by one with the same expiry.
Locks: the resident, then the correction (then the card), as everywhere in residents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pghistory
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import audit_record
from residents import hooks, rules, services
from residents.models import Correction, Resident

Action = services.Action
# What a card prints of its holder (cards.pdf): a change of any of these replaces the card.
PRINTED_FIELDS = frozenset(
    {"surname", "given_names", "name_km", "name_native", "sex", "date_of_birth", "nationality"}
)
CORRECTABLE_FIELDS = services.RESIDENT_FIELDS


needs_correction = services.needs_correction


def _field(name: str) -> Any:
    return Resident._meta.get_field(name)


def to_json(name: str, value: Any) -> Any:
    """A field's value as the request stores it: dates in ISO form, places by code."""
    model_field = _field(name)
    if value is None or value == "":
        return None if model_field.is_relation or model_field.null else ""
    if model_field.is_relation:
        return getattr(value, "pk", value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def from_json(name: str, raw: Any) -> Any:
    """The stored value back as the services take it (a model instance for a place)."""
    model_field = _field(name)
    if raw is None or raw == "":
        return None if model_field.is_relation or model_field.null else ""
    if model_field.is_relation:
        return model_field.related_model.objects.get(pk=raw)
    if isinstance(model_field, models.DateField):
        return dt.date.fromisoformat(raw)
    return raw


def _require_decider(correction: Correction, resident: Resident, actor: User) -> None:
    services._require_verifier_of(actor, resident.province_id)
    if correction.requested_by_id == actor.pk:
        raise services.NotAllowed(
            _("You asked for this correction yourself: another verifier must decide it.")
        )


def _guard(correction: Correction, status: str) -> None:
    if not correction.can_move_to(status):
        raise services.IllegalTransition(
            _("This correction is now %(current)s; it cannot become %(target)s.")
            % {
                "current": correction.get_status_display().lower(),
                "target": str(Correction.Status(status).label).lower(),
            }
        )


def _lock(correction: Correction) -> tuple[Resident, Correction]:
    resident = services._lock_resident(correction.resident_id)
    return resident, Correction.objects.select_for_update().get(pk=correction.pk)


@transaction.atomic
def correction_request(
    *,
    resident: Resident,
    actor: User,
    version: int,
    fields: Mapping[str, Any],
    reason: str,
    evidence: ContentFile,
    evidence_type: str,
    evidence_name: str,
) -> Correction:
    """Ask for the fields that differ from the record to be corrected; nothing changes yet.

    `fields` may hold every correctable field (a form's): only those whose value differs from
    the record are asked for. The record must not have changed since the officer read it.
    """
    locked = services._lock_resident(resident.pk)
    services._require_officer_of(actor, locked.province_id)
    services._check_version(locked.version, version, _("resident"))
    if not needs_correction(locked):
        raise services.NotAllowed(
            _("This record is not acknowledged yet: edit it directly instead.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise services.ResidentsError(_("Give the reason for the correction."))
    changes = {}
    for name in CORRECTABLE_FIELDS:
        if name not in fields:
            continue
        value = rules.normalised(name, fields[name])
        before, after = to_json(name, getattr(locked, name)), to_json(name, value)
        if before != after:
            changes[name] = [before, after]
    if not changes:
        raise services.ResidentsError(
            _("Change at least one field: nothing differs from the record.")
        )
    if locked.corrections.open().exists():
        raise services.NotAllowed(
            _("A correction of this record already waits for a verifier's decision.")
        )
    with pghistory.context(user=actor.pk, action="correction.request"):
        correction = Correction(
            resident=locked,
            changes=changes,
            reason=reason,
            evidence_name=evidence_name[:200],
            evidence_type=evidence_type,
            requested_by=actor,
        )
        assert evidence.name  # an upload is always named
        correction.evidence.save(evidence.name, evidence, save=False)
        try:
            with transaction.atomic():
                correction.save()
        except IntegrityError as error:  # another officer asked a moment ago
            raise services.NotAllowed(
                _("A correction of this record already waits for a verifier's decision.")
            ) from error
        audit_record(
            actor=actor,
            action=Action.CORRECTION_REQUESTED,
            obj=correction,
            # The names of the fields only, as for any change of a resident.
            detail={"resident": locked.pk, "fields": sorted(changes)},
        )
    return correction


@transaction.atomic
def correction_approve(
    *, correction: Correction, actor: User, today: dt.date | None = None
) -> Correction:
    """Apply a requested correction; replace the printed card if the change touches what it prints.

    The record must still hold the values the officer saw: a change made meanwhile (another
    correction) makes this request stale, to be asked again.
    """
    resident, locked = _lock(correction)
    _require_decider(locked, resident, actor)
    _guard(locked, Correction.Status.APPROVED)
    for name, (before, _after) in locked.changes.items():
        if to_json(name, getattr(resident, name)) != before:
            raise services.StaleVersion(
                _("The record changed after this correction was asked: refuse it and ask again.")
            )
    with pghistory.context(user=actor.pk, action="correction.approve", correction=locked.pk):
        changed = services._apply_fields(
            resident, {name: from_json(name, after) for name, (_b, after) in locked.changes.items()}
        )
        resident.version += 1
        resident.save()
        if changed & services.DUPLICATE_FIELDS:
            services.flag_likely_duplicates(resident_ids=[resident.pk])
        if changed & PRINTED_FIELDS:
            # The card follows the record in the same transaction (cards' receiver replaces it).
            for replaced in hooks.printed_fields_corrected.collect(
                resident=resident, actor=actor, reason=locked.reason, today=today,
                correction_id=locked.pk,
            ):  # fmt: skip
                locked.replaced_card, locked.new_card = replaced
        locked.status = Correction.Status.APPROVED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.CORRECTION_APPROVED,
            obj=locked,
            detail={
                "resident": resident.pk,
                "fields": sorted(changed),
                "replaced_card": locked.replaced_card,
                "new_card": locked.new_card,
            },
        )
    return locked


@transaction.atomic
def correction_refuse(*, correction: Correction, actor: User, reason: str) -> Correction:
    """Refuse a requested correction with the reason the officer reads; the record stays."""
    resident, locked = _lock(correction)
    _require_decider(locked, resident, actor)
    _guard(locked, Correction.Status.REFUSED)
    reason = services._required_reason(reason)
    with pghistory.context(user=actor.pk, action="correction.refuse", reason=reason):
        locked.status = Correction.Status.REFUSED
        locked.decision_reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.CORRECTION_REFUSED,
            obj=locked,
            detail={"resident": resident.pk},
        )
    return locked
