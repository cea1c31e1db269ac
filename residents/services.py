"""Every change to residents and declarations: atomic, guarded, recorded with the acting user.

pghistory's triggers write one event row per changed row; `pghistory.context` attaches the actor
and the action to those rows, so the history says who did what even outside a web request
(imports, shell, Celery). Locks are always taken resident first, then declaration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pghistory
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import ApplicationError, Conflict
from core.errors import NotAllowed as CoreNotAllowed
from core.validators import safe_upload_name
from provinces.models import Province
from residents import hooks, rules
from residents.models import (
    NAME_FIELDS,
    Declaration,
    DeclarationDocument,
    DocumentType,
    LikelyDuplicate,
    ResidenceBasis,
    Resident,
    TravelDocument,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The only resident fields a person may set; everything else (province, status, maker,
# version) is decided here. A form with extra POST fields cannot reach anything else.
RESIDENT_FIELDS = (
    "surname",
    "given_names",
    "name_km",
    "name_native",
    "sex",
    "date_of_birth",
    "place_of_birth",
    "nationality",
    "phone",
    "occupation",
    "employer",
    "arrival_date",
    "address_province",
    "address_district",
    "address_commune",
    "address_village",
    "address_street",
)
Action = AuditEvent.Action
DUPLICATE_FIELDS = {"surname", "given_names", "name_native", "name_km", "date_of_birth",
                    "nationality"}  # fmt: skip


class ResidentsError(ApplicationError):
    """A refused action on a resident or a declaration (core.errors)."""


class StaleVersion(ResidentsError, Conflict):
    pass


class IllegalTransition(ResidentsError, Conflict):
    pass


class NotAllowed(ResidentsError, CoreNotAllowed):
    pass


class ListHeld(NotAllowed):
    """The province's list is signed off: nothing in it changes until HQ reopens it."""


class DuplicatePassport(ResidentsError):
    def __init__(self, message: StrOrPromise, *, holder: Resident) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class PassportInput:
    number: str
    issuing_country: str
    issue_date: dt.date | None = None
    expiry_date: dt.date | None = None
    kind: str = TravelDocument.Kind.PASSPORT


@dataclass(frozen=True)
class DeclarationInput:
    declared_on: dt.date
    basis: ResidenceBasis
    notes: str = ""


# --- Guards ----------------------------------------------------------------------------------
# The capabilities come from the access policy; entering and reviewing stay with the province's
# own staff (a record is its province's work), acknowledging with HQ.
def _require_officer_of(actor: User, province_id: str) -> None:
    if not access.can(actor, Capability.RESIDENT_WRITE) or actor.province_id != province_id:
        raise NotAllowed(_("Only an officer of the province can enter or change this record."))
    _refuse_if_held(province_id)


def _require_verifier_of(actor: User, province_id: str) -> None:
    if not access.can(actor, Capability.DECLARATION_REVIEW) or actor.province_id != province_id:
        raise NotAllowed(_("Only a verifier of the province can review this declaration."))


def _refuse_if_held(province_id: str) -> None:
    """Entering, editing and deciding stop while HQ holds the province's list signed off.

    Opening and claiming a record still work: reading it changes nothing.
    """
    refusal = hooks.province_edit_refusal(province_id)
    if refusal is not None:
        raise ListHeld(refusal)


def _require_director(actor: User) -> None:
    if not access.can(actor, Capability.DECLARATION_ACKNOWLEDGE):
        raise NotAllowed(_("Only the HQ director can acknowledge declarations."))


def _guard(declaration: Declaration, status: str) -> None:
    """Raise, naming the current status, unless the transition table allows the move."""
    if not declaration.can_move_to(status):
        raise IllegalTransition(
            _("This declaration is now %(current)s; it cannot become %(target)s.")
            % {
                "current": declaration.get_status_display().lower(),
                "target": str(Declaration.Status(status).label).lower(),
            }
        )


def _move(declaration: Declaration, status: str) -> None:
    _guard(declaration, status)
    declaration.status = status
    declaration.version += 1


def _lock_resident(resident_id: int) -> Resident:
    return Resident.objects.select_for_update().get(pk=resident_id)


def _lock_declaration(declaration_id: int) -> tuple[Resident, Declaration]:
    """Lock the resident, then the declaration: the same order as resident_update."""
    resident_id = Declaration.objects.values_list("resident_id", flat=True).get(pk=declaration_id)
    resident = _lock_resident(resident_id)
    declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
    return resident, declaration


def _check_version(current: int, expected: int | None, what: StrOrPromise) -> None:
    if expected is not None and current != expected:
        raise StaleVersion(
            _(
                "Someone else changed this %(what)s after you opened it. "
                "Reload the page to see their change, then try again."
            )
            % {"what": what}
        )


def _passport_holder(
    passport: PassportInput, *, exclude_resident_id: int | None
) -> Resident | None:
    return rules.passport_holder(
        issuing_country=passport.issuing_country,
        number=passport.number,
        exclude_resident_id=exclude_resident_id,
    )


def _audit_declaration(
    actor: User, action: str, declaration: Declaration, **detail: object
) -> None:
    """One audit event for a decision on a declaration, naming its resident (never its text)."""
    audit_record(
        actor=actor,
        action=action,
        obj=declaration,
        detail={"resident": declaration.resident_id, **detail},
    )


def _duplicate_passport(holder: Resident) -> DuplicatePassport:
    return DuplicatePassport(
        _("This passport is already recorded for another resident."), holder=holder
    )


# --- Residents -------------------------------------------------------------------------------
@transaction.atomic
def resident_create(
    *,
    actor: User,
    fields: Mapping[str, Any],
    passport: PassportInput,
    declaration: DeclarationInput,
    photo: ContentFile | None = None,
    submit: bool = False,
) -> Resident:
    """Enter a resident with their passport and first declaration, in the actor's province.

    The province comes from the actor, never from the input. Likely duplicates are flagged for
    the verifier in the same transaction.
    """
    if actor.province_id is None:
        raise NotAllowed(_("Only an officer of the province can enter or change this record."))
    _require_officer_of(actor, actor.province_id)
    with pghistory.context(user=actor.pk, action="resident.create"):
        holder = _passport_holder(passport, exclude_resident_id=None)
        if holder is not None:
            raise _duplicate_passport(holder)
        resident = Resident(province_id=actor.province_id, created_by=actor)
        _apply_fields(resident, fields)
        if photo is not None:
            assert photo.name  # a cleaned photo is always named (residents.uploads)
            resident.photo.save(photo.name, photo, save=False)
        resident.save()
        document = TravelDocument(
            resident=resident,
            kind=passport.kind,
            issuing_country=passport.issuing_country,
            issue_date=passport.issue_date,
            expiry_date=passport.expiry_date,
        )
        document.set_number(passport.number)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError as error:
            # Another officer saved the same passport a moment ago.
            holder = _passport_holder(passport, exclude_resident_id=resident.pk)
            if holder is None:
                raise
            raise _duplicate_passport(holder) from error
        new_declaration = Declaration(
            resident=resident,
            declared_on=declaration.declared_on,
            basis=declaration.basis,
            notes=declaration.notes,
            created_by=actor,
        )
        if submit:
            _guard(new_declaration, Declaration.Status.SUBMITTED)
            new_declaration.status = Declaration.Status.SUBMITTED
            new_declaration.submitted_at = timezone.now()
        new_declaration.save()
        flag_likely_duplicates(resident_ids=[resident.pk])
        audit_record(
            actor=actor,
            action=Action.RESIDENT_CREATED,
            obj=resident,
            detail={"declaration": new_declaration.pk, "photo": photo is not None},
        )
        if submit:
            _audit_declaration(actor, Action.DECLARATION_SUBMITTED, new_declaration)
    return resident


def _apply_fields(resident: Resident, fields: Mapping[str, Any]) -> set[str]:
    changed = set()
    for name in RESIDENT_FIELDS:
        if name not in fields:
            continue
        value = rules.normalised(name, fields[name])
        model_field = Resident._meta.get_field(name)
        current = getattr(resident, model_field.attname)  # type: ignore[union-attr]  # a concrete field's name (get_field also types relations)
        if model_field.is_relation:
            new = value.pk if value is not None else None
        elif name == "nationality":
            current, new = str(current or ""), str(value or "")
        else:
            new = value
        if current != new:
            setattr(resident, name, value)
            changed.add(name)
    if rules.overlong_name_field({f: getattr(resident, f) for f in NAME_FIELDS}):
        # The form says which name to shorten; a caller that skipped it still stores nothing.
        raise ResidentsError(
            _("The names together are longer than the register holds; shorten one of them.")
        )
    rules.refresh_search_name(resident)
    return changed


def needs_correction(resident: Resident) -> bool:
    """Whether a change of the record must go through a correction request (two queries at most).

    True once a declaration of the resident was acknowledged, or a card issued to them: what
    GDI recognised (and a card may print) changes only when another verifier approves it
    (residents.corrections).
    """
    return (
        resident.declarations.filter(status=Declaration.Status.ACKNOWLEDGED).exists()
        or resident.cards.exists()
    )


@transaction.atomic
def resident_update(
    *,
    resident: Resident,
    actor: User,
    version: int,
    fields: Mapping[str, Any],
    passport: PassportInput | None = None,
    photo: ContentFile | None = None,
) -> Resident:
    """Save an officer's edit if nobody changed the record since they read `version`.

    A verified declaration goes back to the verifiers: what they checked has changed.
    """
    locked = _lock_resident(resident.pk)
    _require_officer_of(actor, locked.province_id)
    _check_version(locked.version, version, _("resident"))
    if needs_correction(locked):
        raise NotAllowed(
            _("This record is acknowledged: ask for a correction, which a verifier decides.")
        )
    with pghistory.context(user=actor.pk, action="resident.update"):
        changed = _apply_fields(locked, fields)
        current_document = locked.documents.filter(is_current=True).first()
        if passport is not None:
            holder = _passport_holder(passport, exclude_resident_id=locked.pk)
            if holder is not None:
                raise _duplicate_passport(holder)
            if current_document is None:
                current_document = TravelDocument(resident=locked)
            if current_document.pk is None or current_document.number_index != (
                rules.passport_index(passport.number)
            ):
                current_document.set_number(passport.number)
                changed.add("passport")
            for name in ("kind", "issuing_country", "issue_date", "expiry_date"):
                if getattr(current_document, name) != getattr(passport, name):
                    setattr(current_document, name, getattr(passport, name))
                    changed.add("passport")
            if "passport" in changed:
                current_document.save()
        if photo is not None:
            assert photo.name  # a cleaned photo is always named (residents.uploads)
            locked.photo.save(photo.name, photo, save=False)
            changed.add("photo")
        if not changed:
            return locked
        locked.version += 1
        locked.save()
        sent_back = []
        for declaration in locked.declarations.select_for_update().with_status(
            Declaration.Status.VERIFIED
        ):
            _send_back_for_verification(declaration)
            sent_back.append(declaration.pk)
        if changed & DUPLICATE_FIELDS:
            flag_likely_duplicates(resident_ids=[locked.pk])
        # The names of the changed fields only: never their values (passport numbers).
        audit_record(
            actor=actor,
            action=Action.RESIDENT_CHANGED,
            obj=locked,
            detail={"fields": sorted(changed), "sent_back": sent_back},
        )
    return locked


def _send_back_for_verification(declaration: Declaration) -> None:
    _move(declaration, Declaration.Status.SUBMITTED)
    declaration.reviewed_by = None
    declaration.reviewed_at = None
    declaration.submitted_at = timezone.now()
    declaration.save()


# --- Declarations ----------------------------------------------------------------------------
@transaction.atomic
def declaration_create(
    *, resident: Resident, actor: User, declaration: DeclarationInput
) -> Declaration:
    """Record a new declaration (e.g. a re-confirmation before renewal) as a draft."""
    locked = _lock_resident(resident.pk)
    _require_officer_of(actor, locked.province_id)
    if locked.declarations.exclude(
        status__in=[Declaration.Status.ACKNOWLEDGED, Declaration.Status.REJECTED]
    ).exists():
        raise NotAllowed(_("This resident already has a declaration in progress."))
    with pghistory.context(user=actor.pk, action="declaration.create"):
        created = Declaration.objects.create(
            resident=locked,
            declared_on=declaration.declared_on,
            basis=declaration.basis,
            notes=declaration.notes,
            created_by=actor,
        )
        _audit_declaration(actor, Action.DECLARATION_CREATED, created)
    return created


@transaction.atomic
def declaration_update(
    *, declaration: Declaration, actor: User, version: int, data: DeclarationInput
) -> Declaration:
    """Correct a draft, returned, submitted or verified declaration (verified ones go back)."""
    resident, locked = _lock_declaration(declaration.pk)
    _require_officer_of(actor, resident.province_id)
    _check_version(locked.version, version, _("declaration"))
    if not locked.is_changeable:
        raise IllegalTransition(
            _("A %(status)s declaration can no longer be changed.")
            % {"status": locked.get_status_display().lower()}
        )
    with pghistory.context(user=actor.pk, action="declaration.update"):
        locked.declared_on = data.declared_on
        locked.basis = data.basis
        locked.notes = data.notes
        if locked.status == Declaration.Status.VERIFIED:
            _send_back_for_verification(locked)
        else:
            locked.version += 1
            locked.save()
    return locked


@transaction.atomic
def declaration_submit(*, declaration: Declaration, actor: User) -> Declaration:
    """Send a draft or returned declaration to the province's verifiers."""
    resident, locked = _lock_declaration(declaration.pk)
    _require_officer_of(actor, resident.province_id)
    with pghistory.context(user=actor.pk, action="declaration.submit"):
        _move(locked, Declaration.Status.SUBMITTED)
        locked.submitted_at = timezone.now()
        locked.status_reason = ""
        locked.reviewed_by = None
        locked.reviewed_at = None
        locked.save()
        _audit_declaration(actor, Action.DECLARATION_SUBMITTED, locked)
    return locked


def _refuse_if_closed(resident: Resident) -> None:
    """A record whose residence ended, or merged into another, leads to no card any more."""
    if resident.residence_ended_on is not None or resident.merged_into_id is not None:
        raise IllegalTransition(
            _(
                "This resident's record is closed (the residence ended, or the record was merged "
                "into another): its declaration can no longer be verified or acknowledged."
            )
        )


def _review(
    *,
    declaration: Declaration,
    actor: User,
    status: str,
    reason: str,
    version: int | None,
    resident_version: int | None,
    action: str,
) -> Declaration:
    resident, locked = _lock_declaration(declaration.pk)
    _require_verifier_of(actor, resident.province_id)
    _refuse_if_held(resident.province_id)
    if locked.created_by_id == actor.pk:
        raise NotAllowed(
            _("You entered this declaration yourself: another verifier must review it.")
        )
    if status == Declaration.Status.VERIFIED:
        _refuse_if_closed(resident)
    _guard(locked, status)
    _check_version(locked.version, version, _("declaration"))
    _check_version(resident.version, resident_version, _("resident"))
    _refuse_if_held_by_another(locked, actor)
    if status == Declaration.Status.VERIFIED and resident.duplicate_flags.open().exists():
        raise NotAllowed(
            _("Decide on the likely duplicates first (not a duplicate, or confirmed).")
        )
    missing = missing_documents_of(declaration=locked)
    if status == Declaration.Status.VERIFIED and missing:
        raise NotAllowed(
            _("These required documents are not accepted yet: %(documents)s.")
            % {"documents": ", ".join(str(t) for t in missing)}
        )
    if status == Declaration.Status.VERIFIED:
        from residents.family import missing_link_of

        link_needed = missing_link_of(resident=resident, basis=locked.basis)
        if link_needed:
            raise NotAllowed(link_needed)
    if status == Declaration.Status.RETURNED and missing:
        # The officer reads what to bring, whatever the verifier typed.
        reason = "{}\n{}".format(
            reason,
            _("Documents to provide: %(documents)s.")
            % {"documents": ", ".join(str(t) for t in missing)},
        )
    with pghistory.context(user=actor.pk, action=action, reason=reason):
        before = locked.status
        _move(locked, status)
        locked.status_reason = reason
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.claimed_by, locked.claimed_until = None, None
        locked.save()
        _audit_declaration(
            actor, REVIEW_ACTIONS[Declaration.Status(status)], locked, **{"from": before}
        )
    return locked


# --- Claims ----------------------------------------------------------------------------------
# Opening a declaration claims it for a few minutes: nobody else reviews it meanwhile. The claim
# is two columns of the declaration row, so a verifier's "next" that skips locked rows and then
# reaches a row another has just claimed re-reads that row and passes over it.
def _claim_lapses() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=settings.VERIFICATION_CLAIM_MINUTES)


def _claimable_by(actor: User) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()) | Q(claimed_by=actor)


def _refuse_if_held_by_another(declaration: Declaration, actor: User) -> None:
    held = declaration.claimed_until and declaration.claimed_until >= timezone.now()
    if held and declaration.claimed_by_id != actor.pk:
        raise NotAllowed(
            _("%(verifier)s is reviewing this declaration until %(time)s.")
            % {
                "verifier": declaration.claimed_by,
                "time": timezone.localtime(declaration.claimed_until).strftime("%H:%M"),
            }
        )


def _require_reviewer(declaration: Declaration, actor: User) -> None:
    _require_verifier_of(actor, declaration.resident.province_id)
    if declaration.created_by_id == actor.pk:
        raise NotAllowed(
            _("You entered this declaration yourself: another verifier must review it.")
        )


@transaction.atomic
def declaration_claim(*, declaration: Declaration, actor: User) -> bool:
    """Hold a submitted declaration for the actor unless another verifier holds it.

    One conditional UPDATE: of two verifiers opening the record at once, one holds it. The
    actor's other claims are released (a verifier reviews one record at a time).
    """
    _require_reviewer(declaration, actor)
    claimed = (
        Declaration.objects.filter(pk=declaration.pk, status=Declaration.Status.SUBMITTED)
        .filter(_claimable_by(actor))
        .update(claimed_by=actor, claimed_until=_claim_lapses())
    )
    if claimed:
        _release_others(actor, keep=declaration.pk)
    return bool(claimed)


@transaction.atomic
def declaration_claim_next(
    *, actor: User, candidates: QuerySet[Declaration], ordered: Callable[[QuerySet], QuerySet]
) -> Declaration | None:
    """Claim the first declaration of `candidates` (in `ordered`'s order) nobody else holds.

    The candidates come from the scoped queue selector, already filtered and seeked past the
    current record. Rows another verifier is claiming at this instant are locked: SKIP LOCKED
    passes over them instead of waiting, so verifiers pulling "next" at once each get another.
    """
    if not access.can(actor, Capability.DECLARATION_REVIEW) or not actor.province_id:
        raise NotAllowed(_("Only a verifier of the province can review this declaration."))
    found = (
        ordered(candidates.filter(_claimable_by(actor)))
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", flat=True)[:1]
    )
    pk = next(iter(found), None)
    if pk is None:
        return None
    Declaration.objects.filter(pk=pk).update(claimed_by=actor, claimed_until=_claim_lapses())
    _release_others(actor, keep=pk)
    return Declaration.objects.select_related("resident").get(pk=pk)


def _release_others(actor: User, *, keep: int) -> None:
    Declaration.objects.filter(claimed_by=actor).exclude(pk=keep).update(
        claimed_by=None, claimed_until=None
    )


@transaction.atomic
def declaration_release(*, declaration: Declaration, actor: User) -> None:
    """Give a held declaration back to the queue (only the holder's own claim)."""
    Declaration.objects.filter(pk=declaration.pk, claimed_by=actor).update(
        claimed_by=None, claimed_until=None
    )


# --- Supporting documents --------------------------------------------------------------------
def missing_documents_of(*, declaration: Declaration) -> list[DocumentType]:
    """The documents the declaration's basis requires that no accepted document shows: one query."""
    accepted = DeclarationDocument.objects.filter(
        declaration_id=declaration.pk,
        document_type=OuterRef("pk"),
        verdict=DeclarationDocument.Check.ACCEPTED,
    )
    return list(
        DocumentType.objects.filter(required_by=declaration.basis_id, is_active=True)
        .exclude(Exists(accepted))
        .order_by("name_en")
    )


@transaction.atomic
def document_check(
    *,
    document: DeclarationDocument,
    actor: User,
    verdict: str,
    document_type: DocumentType | None,
) -> DeclarationDocument:
    """Record what a supporting document is and whether it holds (accepted, illegible, missing).

    Only while the declaration waits for verification, by a verifier who did not make it and
    is not kept out by another's claim. Locks: resident, declaration, then the document.
    """
    resident, declaration = _lock_declaration(document.declaration_id)
    _require_verifier_of(actor, resident.province_id)
    _refuse_if_held(resident.province_id)
    if declaration.created_by_id == actor.pk:
        raise NotAllowed(
            _("You entered this declaration yourself: another verifier must review it.")
        )
    if declaration.status != Declaration.Status.SUBMITTED:
        raise NotAllowed(_("This declaration is not waiting for verification."))
    _refuse_if_held_by_another(declaration, actor)
    if verdict not in DeclarationDocument.Check.values or verdict == "unchecked":
        raise ResidentsError(_("Choose: accepted, illegible, or missing or incomplete."))
    locked = DeclarationDocument.objects.select_for_update().get(pk=document.pk)
    with pghistory.context(user=actor.pk, action="document.check"):
        locked.verdict = verdict
        locked.document_type = document_type
        locked.checked_by = actor
        locked.checked_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.DOCUMENT_CHECKED,
            obj=locked,
            detail={
                "declaration": declaration.pk,
                "verdict": verdict,
                "type": document_type.code if document_type else "",
            },
        )
    return locked


REVIEW_ACTIONS = {
    Declaration.Status.VERIFIED: Action.DECLARATION_VERIFIED,
    Declaration.Status.RETURNED: Action.DECLARATION_RETURNED,
    Declaration.Status.REJECTED: Action.DECLARATION_REJECTED,
}


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ResidentsError(_("Give the reason: the officer will read it."))
    return reason


@transaction.atomic
def declaration_verify(
    *,
    declaration: Declaration,
    actor: User,
    version: int | None = None,
    resident_version: int | None = None,
) -> Declaration:
    """Verify a submitted declaration (never one the verifier made: maker-checker).

    Two verifiers at once: the row lock makes the second one wait, then find it verified.
    """
    return _review(
        declaration=declaration,
        actor=actor,
        status=Declaration.Status.VERIFIED,
        reason="",
        version=version,
        resident_version=resident_version,
        action="declaration.verify",
    )


@transaction.atomic
def declaration_return(
    *,
    declaration: Declaration,
    actor: User,
    reason: str,
    version: int | None = None,
    resident_version: int | None = None,
) -> Declaration:
    """Send a submitted declaration back to its maker with the reason to correct it.

    The maker is told, in the app and by e-mail, once the return is committed (jobs' receiver).
    """
    returned = _review(
        declaration=declaration,
        actor=actor,
        status=Declaration.Status.RETURNED,
        reason=_required_reason(reason),
        version=version,
        resident_version=resident_version,
        action="declaration.return",
    )
    hooks.declaration_returned(declaration_id=returned.pk, version=returned.version)
    return returned


@transaction.atomic
def declaration_reject(
    *,
    declaration: Declaration,
    actor: User,
    reason: str,
    version: int | None = None,
    resident_version: int | None = None,
) -> Declaration:
    """Reject a submitted declaration as not eligible; the reason is required."""
    return _review(
        declaration=declaration,
        actor=actor,
        status=Declaration.Status.REJECTED,
        reason=_required_reason(reason),
        version=version,
        resident_version=resident_version,
        action="declaration.reject",
    )


@transaction.atomic
def declaration_acknowledge(*, declaration: Declaration, actor: User) -> Declaration:
    """Acknowledge one verified declaration: the resident is now due a card."""
    _require_director(actor)
    resident, locked = _lock_declaration(declaration.pk)
    _refuse_if_closed(resident)
    with pghistory.context(user=actor.pk, action="declaration.acknowledge"):
        _move(locked, Declaration.Status.ACKNOWLEDGED)
        locked.acknowledged_by = actor
        locked.acknowledged_at = timezone.now()
        locked.save()
        _audit_declaration(actor, Action.DECLARATION_ACKNOWLEDGED, locked)
    return locked


@transaction.atomic
def declaration_acknowledge_province(*, province: Province, actor: User) -> int:
    """Acknowledge every verified declaration of a province in one UPDATE; return how many.

    The WHERE clause is re-checked on each row under its lock, so a declaration returned or
    re-submitted meanwhile is left alone. pghistory's trigger still records every row.
    """
    _require_director(actor)
    assert Declaration.Status.ACKNOWLEDGED in Declaration.TRANSITIONS[Declaration.Status.VERIFIED]
    with pghistory.context(user=actor.pk, action="declaration.acknowledge"):
        count = Declaration.objects.filter(
            resident__province=province,
            resident__residence_ended_on__isnull=True,
            status=Declaration.Status.VERIFIED,
        ).update(
            status=Declaration.Status.ACKNOWLEDGED,
            acknowledged_by=actor,
            acknowledged_at=timezone.now(),
            updated_at=timezone.now(),
            version=F("version") + 1,
        )
    # One event for the whole province, with the count (not one per declaration).
    audit_record(
        actor=actor,
        action=Action.DECLARATION_ACKNOWLEDGED,
        obj=province,
        detail={"count": count},
    )
    return count


@transaction.atomic
def document_add(
    *, declaration: Declaration, actor: User, file: ContentFile, content_type: str, name: str
) -> DeclarationDocument:
    """Attach a supporting document (already checked by content) to an open declaration."""
    resident, locked = _lock_declaration(declaration.pk)
    _require_officer_of(actor, resident.province_id)
    if not locked.is_changeable:
        raise IllegalTransition(
            _("A %(status)s declaration can no longer be changed.")
            % {"status": locked.get_status_display().lower()}
        )
    with pghistory.context(user=actor.pk, action="document.add"):
        document = DeclarationDocument(
            declaration=locked,
            original_name=safe_upload_name(name),
            content_type=content_type,
            size=file.size,
            uploaded_by=actor,
        )
        assert file.name  # an upload is always named
        document.file.save(file.name, file, save=False)
        document.save()
    return document


# --- Duplicates ------------------------------------------------------------------------------
def flag_likely_duplicates(*, resident_ids: list[int], among: list[int] | None = None) -> int:
    """Flag residents who look like someone already recorded, in any province; one INSERT.

    Same nationality and date of birth (an index narrows it down), and names that
    `ims_name_match` says may be one person's: spelt alike, in another order, or sounding alike
    (migration 0007); its answer is kept as the flag's reason. Within one batch (`among`, by
    default `resident_ids`) only the later record of a pair is flagged. Callers that
    bulk-insert residents (imports) call this with the new ids, a part of the batch at a time.
    """
    if not resident_ids:
        return 0
    batch = list(resident_ids if among is None else among)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO residents_likelyduplicate
                (resident_id, other_id, similarity, match_kind, status, created_at)
            SELECT r.id, o.id, similarity(r.search_name, o.search_name), o.match_kind,
                   'open', now()
              FROM residents_resident r
             -- One index probe per new resident, whatever the planner believes about the
             -- table (its statistics lag behind a big import's own transaction): OFFSET 0
             -- keeps the subquery from being merged into a join over the whole table. The
             -- name rule (the costly part) runs once per candidate, and only for a pair not
             -- flagged from its other side.
             CROSS JOIN LATERAL (
                   SELECT o.id, o.search_name,
                          ims_name_match(r.search_name, o.search_name) AS match_kind
                     FROM residents_resident o
                    WHERE o.nationality = r.nationality
                      AND o.date_of_birth = r.date_of_birth
                      AND o.id <> r.id
                      AND (o.id < r.id OR NOT o.id = ANY(%s))
                   OFFSET 0) o
             WHERE r.id = ANY(%s)
               AND o.match_kind IS NOT NULL
               AND NOT EXISTS (
                   SELECT 1 FROM residents_likelyduplicate d
                    WHERE d.resident_id = o.id AND d.other_id = r.id)
            ON CONFLICT (resident_id, other_id) DO NOTHING
            """,
            # Positional parameters: pgtrigger.ignore() prepends SQL with its own.
            [batch, list(resident_ids)],
        )
        return cursor.rowcount


@transaction.atomic
def duplicate_decide(*, flag: LikelyDuplicate, actor: User, confirmed: bool) -> LikelyDuplicate:
    """Record the verifier's decision on a likely duplicate.

    Confirmed: the resident's declaration under review is rejected as a duplicate of the other.
    """
    resident = _lock_resident(flag.resident_id)
    _require_verifier_of(actor, resident.province_id)
    _refuse_if_held(resident.province_id)
    locked = LikelyDuplicate.objects.select_for_update().get(pk=flag.pk)
    if locked.status != LikelyDuplicate.Status.OPEN:
        raise IllegalTransition(_("Someone already decided on this likely duplicate."))
    action = "duplicate.confirm" if confirmed else "duplicate.dismiss"
    with pghistory.context(user=actor.pk, action=action):
        locked.status = (
            LikelyDuplicate.Status.CONFIRMED if confirmed else LikelyDuplicate.Status.NOT_DUPLICATE
        )
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.DUPLICATE_RESOLVED,
            obj=locked,
            detail={
                "decision": str(locked.status),
                "resident": locked.resident_id,
                "other": locked.other_id,
            },
        )
        if confirmed:
            pending = (
                resident.declarations.filter(status=Declaration.Status.SUBMITTED)
                .exclude(created_by=actor)
                .first()
            )
            if pending is not None:
                declaration_reject(
                    declaration=pending,
                    actor=actor,
                    reason=str(_("Duplicate of resident no. %(id)s.") % {"id": locked.other_id}),
                )
    return locked
