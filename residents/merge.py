"""The same person recorded twice: two records become one, and nothing either held is lost.

A verifier decides a likely-duplicate pair is one person. One record survives; the other stays in
the register, marked merged and pointing at the survivor, so its history (and every audit event
naming it) still leads somewhere. Everything the merged record held moves to the survivor:
declarations (with their supporting documents), passports, cards, likely-duplicate flags, the
import row, renewal notices, and any other record that points at a resident.

Lock order: both residents in primary-key order, then the flag, then the cards of both in
primary-key order. Every other service locks a resident before anything of it, so a merge and a
review, an edit or a second merge of the same records wait for each other instead of deadlocking.
"""

from __future__ import annotations

import pghistory
from django.db import models, transaction
from django.db.models import ForeignObjectRel
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pghistory.models import Event

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from residents import hooks
from residents.models import Declaration, LikelyDuplicate, Resident, TravelDocument
from residents.services import IllegalTransition, NotAllowed, _require_verifier_of

# Relations moved with their own rules below (and those of the apps above, hooks.merge_handles);
# every other relation to a resident is moved as is.
_HANDLED = {
    ("residents", "declaration", "resident"),
    ("residents", "traveldocument", "resident"),
    ("residents", "likelyduplicate", "resident"),
    ("residents", "likelyduplicate", "other"),
    ("residents", "resident", "merged_into"),
}


def _merge_reason(survivor: Resident) -> str:
    return str(_("The same person as resident no. %(id)s: records merged.") % {"id": survivor.pk})


@transaction.atomic
def residents_merge(*, flag: LikelyDuplicate, survivor: Resident, actor: User) -> Resident:
    """Merge a likely-duplicate pair into `survivor` (one of the two); return the survivor.

    Refused, with nothing changed, unless the actor verifies both records' province, the flag is
    still open and neither record was merged already. The merged record's current card is
    revoked when the survivor holds one (at most one valid card per resident); otherwise it moves.
    """
    pair = {flag.resident_id, flag.other_id}
    if survivor.pk not in pair:
        raise NotAllowed(_("The record to keep must be one of the two records of the pair."))
    (merged_id,) = pair - {survivor.pk}
    residents = {
        r.pk: r for r in Resident.objects.select_for_update().filter(pk__in=pair).order_by("pk")
    }
    keep, gone = residents[survivor.pk], residents[merged_id]
    for resident in (keep, gone):
        _require_verifier_of(actor, resident.province_id)
    locked = LikelyDuplicate.objects.select_for_update().get(pk=flag.pk)
    if locked.status != LikelyDuplicate.Status.OPEN:
        raise IllegalTransition(_("Someone already decided on this likely duplicate."))
    if keep.merged_into_id or gone.merged_into_id:
        raise IllegalTransition(_("One of these records was already merged into another."))

    now = timezone.now()
    with pghistory.context(user=actor.pk, action="resident.merge", merged=gone.pk, into=keep.pk):
        moved = {
            "declarations": _move(Declaration.objects.filter(resident=gone), "resident", keep),
            "passports": _move_passports(gone, keep),
        }
        # The cards (locked here, after the flag) and the import row move by their own apps'
        # rules: their receivers answer what they moved.
        for answer in hooks.residents_merged.collect(
            survivor_id=keep.pk, merged_id=gone.pk, actor=actor, now=now, reason=_merge_reason(keep)
        ):
            moved.update(answer)
        moved["flags"] = _move_flags(gone, keep, locked)
        moved.update(_move_other_references(gone, keep))
        locked.status = LikelyDuplicate.Status.MERGED
        locked.decided_by, locked.decided_at = actor, now
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        gone.merged_into, gone.merged_at = keep, now
        gone.version += 1
        gone.save(update_fields=["merged_into", "merged_at", "version", "updated_at"])
        keep.version += 1  # a form opened on the survivor before the merge is stale now
        keep.save(update_fields=["version", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.DUPLICATE_RESOLVED,
            obj=locked,
            detail={"decision": "merged", "survivor": keep.pk, "merged": gone.pk, "moved": moved},
        )
    return keep


def _move(queryset: models.QuerySet, field: str, survivor: Resident) -> int:
    return queryset.update(**{field: survivor})


def _move_passports(gone: Resident, keep: Resident) -> int:
    """The merged record's passports move; the survivor's current passport stays the current one."""
    if TravelDocument.objects.filter(resident=keep, is_current=True).exists():
        TravelDocument.objects.filter(resident=gone, is_current=True).update(is_current=False)
    return _move(TravelDocument.objects.filter(resident=gone), "resident", keep)


def _move_flags(gone: Resident, keep: Resident, decided: LikelyDuplicate) -> int:
    """The merged record's other flags move to the survivor, unless the survivor has that pair.

    A pair the survivor already has (either way round) stays on the merged record, closed as
    merged: one flag per pair, and never a flag of the survivor with itself.
    """
    flags = LikelyDuplicate.objects.exclude(pk=decided.pk)
    theirs = flags.filter(models.Q(resident=gone) | models.Q(other=gone))
    mine = flags.filter(models.Q(resident=keep) | models.Q(other=keep))
    known = {f.other_id if f.resident_id == keep.pk else f.resident_id for f in mine}
    moved = 0
    for flag in theirs.select_for_update().order_by("pk"):
        third = flag.other_id if flag.resident_id == gone.pk else flag.resident_id
        if third == keep.pk or third in known:
            if flag.status == LikelyDuplicate.Status.OPEN:
                flag.status = LikelyDuplicate.Status.MERGED
                flag.decided_at = timezone.now()
                flag.save(update_fields=["status", "decided_at"])
            continue
        if flag.resident_id == gone.pk:
            flag.resident = keep
        else:
            flag.other = keep
        flag.save(update_fields=["resident", "other"])
        known.add(third)
        moved += 1
    return moved


def _move_other_references(gone: Resident, keep: Resident) -> dict[str, int]:
    """Every other foreign key to a resident, in any app, moved as is (history rows excepted)."""
    moved: dict[str, int] = {}
    # Hidden relations (related_name "+") too: they point at a resident all the same.
    relations = [
        f
        for f in Resident._meta.get_fields(include_hidden=True)
        if isinstance(f, ForeignObjectRel) and f.auto_created and not f.concrete
    ]
    for relation in relations:
        model = relation.related_model
        key = (model._meta.app_label, model._meta.model_name, relation.field.name)
        if (
            key in _HANDLED
            or key in hooks.merge_handles
            or issubclass(model, Event)
            or not relation.field.concrete
        ):
            continue
        if relation.many_to_many:
            continue
        count = _move(
            model._default_manager.filter(**{relation.field.name: gone}), relation.field.name, keep
        )
        if count:
            moved[f"{model._meta.label_lower}.{relation.field.name}"] = count
    return moved
