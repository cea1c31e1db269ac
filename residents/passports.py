"""A resident's new passport: recorded beside the old one, which is kept, no longer current.

Passports are renewed more often than cards. The old passport stays on the record (and in the
duplicate and passport searches, which read every travel document, current or not); a number
already recorded, for this resident or anyone else, is refused by the same rule as at entry.
"""

from __future__ import annotations

import pghistory
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import audit_record
from residents import rules, services
from residents.models import Resident, TravelDocument


@transaction.atomic
def passport_replace(
    *, resident: Resident, actor: User, passport: services.PassportInput
) -> TravelDocument:
    """Record the resident's new passport as current; the previous one is kept, not current."""
    locked = services._lock_resident(resident.pk)
    services._require_officer_of(actor, locked.province_id)
    if TravelDocument.objects.filter(
        issuing_country=passport.issuing_country,
        number_index=rules.passport_index(passport.number),
    ).exists():
        holder = services._passport_holder(passport, exclude_resident_id=locked.pk)
        if holder is not None:
            raise services._duplicate_passport(holder)
        raise services.ResidentsError(_("This passport is already recorded for this resident."))
    if passport.issue_date and passport.expiry_date and passport.expiry_date <= passport.issue_date:
        raise services.ResidentsError(_("The expiry date must be after the issue date."))
    with pghistory.context(user=actor.pk, action="passport.replace"):
        previous = list(
            locked.documents.select_for_update()
            .filter(is_current=True)
            .values_list("pk", flat=True)
        )
        # The old one stops being current first: one current document per resident.
        TravelDocument.objects.filter(pk__in=previous).update(is_current=False)
        document = TravelDocument(
            resident=locked,
            kind=passport.kind,
            issuing_country=passport.issuing_country,
            issue_date=passport.issue_date,
            expiry_date=passport.expiry_date,
            is_current=True,
        )
        document.set_number(passport.number)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError as error:  # another officer saved this number a moment ago
            holder = services._passport_holder(passport, exclude_resident_id=locked.pk)
            if holder is None:
                raise
            raise services._duplicate_passport(holder) from error
        audit_record(
            actor=actor,
            action=services.Action.PASSPORT_REPLACED,
            obj=locked,
            detail={"previous": previous, "document": document.pk},
        )
    return document
