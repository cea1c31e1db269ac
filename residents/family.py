"""Family links between residents: spouse, child, parent; the basis of residence some rest on.

One `FamilyLink` row joins two residents; each record shows it, the other one reading the inverse
relation (a parent's record shows the child). A relative in another province is shown by relation
and province only: the reader sees no name or record they could not open themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pghistory
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from core.validators import parse_id
from residents import selectors
from residents.models import FamilyLink, FamilyRelation, ResidenceBasis, Resident
from residents.services import (
    NotAllowed,
    ResidentsError,
    _lock_resident,
    _require_officer_of,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Action = AuditEvent.Action


# --- Finding the relative --------------------------------------------------------------------
def relative_find_for(*, user: User, reference: str) -> Resident:
    """The relative named by a card number (any province) or a register number (in scope).

    A family shows the officer the relative's card; a register number is one the officer can
    open. Neither finds an ended residence: a link makes sense between living residents.
    """
    reference = (reference or "").strip()
    resident = None
    # The card number's own rules are the cards app's (selectors ask its hooks).
    if selectors.card_number_of(reference):
        resident = (
            selectors.with_card_numbered(Resident.objects.current(), reference).select_related(
                "province"
            )
        ).first()
    elif (pk := parse_id(reference)) is not None:
        resident = (
            access.scope(Resident.objects.current(), user).filter(pk=pk).select_related("province")
        ).first()
    if resident is None:
        raise ResidentsError(
            _("No current resident has this card number (or register number in your province).")
        )
    return resident


# --- Writes ----------------------------------------------------------------------------------
@transaction.atomic
def family_link_add(
    *, resident: Resident, relative: Resident, relation: str, actor: User
) -> FamilyLink:
    """Record that `relative` is `resident`'s spouse, child or parent.

    The officer of the resident's province enters it; the relative may live in any province.
    Both rows are locked in id order (two officers linking the same pair from both sides).
    """
    if relation not in FamilyRelation.values:
        raise ResidentsError(_("Choose the relation."))
    if resident.pk == relative.pk:
        raise ResidentsError(_("A resident cannot be their own relative."))
    first, second = sorted([resident.pk, relative.pk])
    locked = {first: _lock_resident(first), second: _lock_resident(second)}
    subject, other = locked[resident.pk], locked[relative.pk]
    _require_officer_of(actor, subject.province_id)
    if subject.residence_ended_on is not None or other.residence_ended_on is not None:
        raise ResidentsError(_("A family link joins two current residents."))
    if FamilyLink.objects.filter(
        Q(resident=subject, relative=other) | Q(resident=other, relative=subject)
    ).exists():
        raise ResidentsError(_("These two residents are already linked."))
    with pghistory.context(user=actor.pk, action="family.link"):
        try:
            with transaction.atomic():
                link = FamilyLink.objects.create(
                    resident=subject, relative=other, relation=relation, created_by=actor
                )
        except IntegrityError as error:
            raise ResidentsError(_("These two residents are already linked.")) from error
        for who in (subject, other):
            audit_record(
                actor=actor,
                action=Action.FAMILY_LINK_ADDED,
                obj=who,
                detail={"link": link.pk, "relation": link.relation_seen_from(who.pk)},
            )
    return link


@transaction.atomic
def family_link_remove(*, link: FamilyLink, actor: User) -> None:
    """Remove a link entered in error: an officer of either resident's province may."""
    first, second = sorted([link.resident_id, link.relative_id])
    locked = {first: _lock_resident(first), second: _lock_resident(second)}
    provinces = {locked[first].province_id, locked[second].province_id}
    if actor.province_id not in provinces:
        raise NotAllowed(_("Only an officer of the province can enter or change this record."))
    _require_officer_of(actor, actor.province_id)
    with pghistory.context(user=actor.pk, action="family.unlink"):
        for who in locked.values():
            audit_record(
                actor=actor,
                action=Action.FAMILY_LINK_REMOVED,
                obj=who,
                detail={"link": link.pk, "relation": link.relation_seen_from(who.pk)},
            )
        FamilyLink.objects.filter(pk=link.pk).delete()


# --- Reads -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Relative:
    link_id: int
    relation: str  # what the relative is to the record being read
    relation_label: str
    resident_id: int | None  # None: outside the reader's scope, not to be named or linked
    name: str
    province_name: str
    ended: bool


def relatives_of(*, user: User, resident: Resident) -> list[Relative]:
    """The resident's relatives, seen from this record: one query, both directions."""
    links = FamilyLink.objects.filter(Q(resident=resident) | Q(relative=resident)).select_related(
        "resident", "resident__province", "relative", "relative__province"
    )
    found = []
    for link in links.order_by("id"):
        other = link.relative if link.resident_id == resident.pk else link.resident
        relation = link.relation_seen_from(resident.pk)
        visible = access.in_scope(user, other.province_id)
        found.append(
            Relative(
                link_id=link.pk,
                relation=relation,
                relation_label=str(FamilyRelation(relation).label),
                resident_id=other.pk if visible else None,
                name=other.full_name if visible else "",
                province_name=str(other.province),
                ended=other.residence_ended_on is not None,
            )
        )
    return found


def family_link_get_for(*, user: User, pk: int) -> FamilyLink:
    """A link the user may see from at least one of its two records, else 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    links = FamilyLink.objects.filter(pk=pk)
    if user.province_id:
        links = links.filter(
            Q(resident__province_id=user.province_id) | Q(relative__province_id=user.province_id)
        )
    link = links.first()
    if link is None:
        raise Http404
    return link


def missing_link_of(*, resident: Resident, basis: ResidenceBasis) -> StrOrPromise:
    """Why a declaration on `basis` cannot be verified yet for lack of a family link ('' if none).

    The relative must be a current resident; the relation is read from this resident's side.
    """
    needed = basis.required_link
    if not needed:
        return ""
    links = FamilyLink.objects.filter(Q(resident=resident) | Q(relative=resident)).select_related(
        "resident", "relative"
    )
    for link in links:
        other = link.relative if link.resident_id == resident.pk else link.resident
        if other.residence_ended_on is not None:
            continue
        if needed == "any" or link.relation_seen_from(resident.pk) == needed:
            return ""
    if needed == "any":
        return _("This basis rests on a family tie: link the resident to their relative first.")
    return _("This basis rests on a family tie: link the resident to their %(relation)s first.") % {
        "relation": str(FamilyRelation(needed).label).lower()
    }
