"""Every state change of a card or a print run: atomic, guarded, recorded with the actor."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from cards import hooks, numbers
from cards.models import CardEvent, PrintRun, PrintRunCard, ResidenceCard, expiry_date_for
from core import queue
from core.errors import ApplicationError, Conflict, Invalid
from residents.models import Declaration, Resident

logger = logging.getLogger(__name__)

Status = ResidenceCard.Status
Kind = CardEvent.Kind
Action = AuditEvent.Action


class CardsError(ApplicationError):
    """A refused action on a card or a print run (core.errors)."""


class CardRefused(CardsError, Invalid):
    """What was asked of a card or a print run breaks one of its rules (a reason left out, nothing
    to print, a card already held)."""


class IllegalTransition(CardsError, Conflict, Invalid):
    """A status move that the transition table does not allow."""


def _today() -> dt.date:
    return timezone.localdate()


def _draw_serials(count: int) -> list[int]:
    """Draw `count` serials from the sequence in one statement; no two callers ever share one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [numbers.SEQUENCE, count])
        return [row[0] for row in cursor.fetchall()]


def _move(card: ResidenceCard, status: str) -> None:
    if not card.can_move_to(status):
        raise IllegalTransition(
            _("A card that is %(current)s cannot become %(target)s.")
            % {"current": card.get_status_display(), "target": Status(status).label}
        )
    card.status = status


def _record(
    card: ResidenceCard,
    kind: str,
    *,
    actor: User | None,
    reason: str = "",
    data: dict[str, object] | None = None,
    print_run: PrintRun | None = None,
) -> CardEvent:
    return CardEvent.objects.create(
        card=card, kind=kind, actor=actor, reason=reason, data=data or {}, print_run=print_run
    )


def _check_actor(actor: User, capability: Capability, province_id: str | None) -> None:
    """Services check their actor as the views do: scope first (not found), then capability."""
    access.require_in_scope(actor, province_id)
    access.require(actor, capability)


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise CardRefused(_("A reason is required."))
    return reason


def _lock_card(card: ResidenceCard) -> ResidenceCard:
    return ResidenceCard.objects.select_for_update().get(pk=card.pk)


def _new_card(
    *,
    declaration: Declaration,
    actor: User,
    issue_date: dt.date,
    expiry_date: dt.date,
    serial: int,
    replaces: ResidenceCard | None = None,
) -> ResidenceCard:
    province_id = declaration.resident.province_id
    return ResidenceCard(
        number=numbers.format_number(province_code=province_id, serial=serial),
        resident_id=declaration.resident_id,
        declaration=declaration,
        province_id=province_id,
        issue_date=issue_date,
        expiry_date=expiry_date,
        status=Status.ISSUED,
        replaces=replaces,
        issued_by=actor,
    )


def _check_acknowledged(declaration: Declaration, resident_id: int) -> None:
    if declaration.status != Declaration.Status.ACKNOWLEDGED:
        raise CardRefused(_("Only an acknowledged declaration can be carded."))
    if declaration.resident_id != resident_id:
        raise CardRefused(_("The declaration belongs to another resident."))


@transaction.atomic
def card_issue(
    *, declaration: Declaration, actor: User, issue_date: dt.date | None = None
) -> ResidenceCard:
    """Issue the first card of a resident whose declaration GDI has acknowledged.

    The resident's row is locked so that two clerks issuing at once cannot both succeed; the
    partial unique index is the last line of defence. A resident whose card expired is renewed,
    not issued a second first card.
    """
    resident = Resident.objects.select_for_update().get(pk=declaration.resident_id)
    _check_actor(actor, Capability.CARD_WRITE, resident.province_id)
    declaration.refresh_from_db()
    _check_acknowledged(declaration, resident.pk)
    if resident.residence_ended_on is not None:
        raise CardRefused(_("This residence has ended: no card can be issued."))
    existing = ResidenceCard.objects.filter(
        resident=resident, status__in=[*ResidenceCard.CURRENT_STATUSES, Status.EXPIRED]
    ).first()
    if existing is not None:
        raise CardRefused(
            _("This resident already has card %(number)s; renew or replace it instead.")
            % {"number": existing.number}
        )
    issue_date = issue_date or _today()
    card = _new_card(
        declaration=declaration,
        actor=actor,
        issue_date=issue_date,
        expiry_date=expiry_date_for(issue_date),
        serial=_draw_serials(1)[0],
    )
    card.save()
    _record(card, Kind.ISSUED, actor=actor)
    audit_record(actor=actor, action=Action.CARD_ISSUED, obj=card)
    return card


def declarations_due_a_card(province_code: str | None = None):
    """The latest acknowledged declaration of each resident who has no card yet (one query).

    A declaration whose card was revoked is not due again: carding that person anew is a
    deliberate single issue, never a side effect of issuing for a whole province.
    """
    qs = (
        Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED)
        .exclude(resident__cards__status__in=[*ResidenceCard.CURRENT_STATUSES, Status.EXPIRED])
        .exclude(cards__status=Status.REVOKED)
        .filter(resident__residence_ended_on__isnull=True)
    )
    if province_code:
        qs = qs.filter(resident__province_id=province_code)
    return qs.order_by("resident_id", "-id").distinct("resident_id")


@transaction.atomic
def cards_issue_for_province(
    *, province_code: str, actor: User, issue_date: dt.date | None = None
) -> int:
    """Issue a card to every acknowledged resident of a province who has none; return how many.

    Set-based: one query finds the residents, one draws all the serials, one bulk insert writes
    the cards and one their events. The residents' rows are locked first (in id order, so two
    runs never deadlock) so that a clerk issuing one card meanwhile cannot make a duplicate.
    """
    _check_actor(actor, Capability.CARD_WRITE, province_code)
    list(
        Resident.objects.filter(
            province_id=province_code, declarations__status=Declaration.Status.ACKNOWLEDGED
        )
        .order_by("id")
        .select_for_update(of=("self",))
        .values_list("id", flat=True)
    )
    due = list(declarations_due_a_card(province_code).select_related("resident"))
    if not due:
        return 0
    issue_date = issue_date or _today()
    expiry = expiry_date_for(issue_date)
    serials = _draw_serials(len(due))
    cards = ResidenceCard.objects.bulk_create(
        [
            _new_card(
                declaration=declaration,
                actor=actor,
                issue_date=issue_date,
                expiry_date=expiry,
                serial=serial,
            )
            for declaration, serial in zip(due, serials, strict=True)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    CardEvent.objects.bulk_create(
        [
            CardEvent(card=card, kind=Kind.ISSUED, actor=actor, at=now, data={"bulk": True})
            for card in cards
        ],
        batch_size=5000,
    )
    audit_record(
        actor=actor,
        action=Action.CARD_ISSUED,
        detail={"province": province_code, "cards": len(cards), "bulk": True},
    )
    return len(cards)


def _latest_acknowledged(resident_id: int) -> Declaration:
    declaration = (
        Declaration.objects.filter(resident_id=resident_id, status=Declaration.Status.ACKNOWLEDGED)
        .order_by("-id")
        .first()
    )
    if declaration is None:
        raise CardRefused(_("Only an acknowledged declaration can be carded."))
    return declaration


def renewal_declaration_for(card: ResidenceCard) -> Declaration | None:
    """The new declaration a renewal of `card` rests on: acknowledged, and made after the card.

    A card is renewed only once the resident declared again and that declaration was verified
    and acknowledged (started from the renewals page): the one the card was issued on does not
    count.
    """
    return (
        Declaration.objects.filter(
            resident_id=card.resident_id,
            status=Declaration.Status.ACKNOWLEDGED,
            pk__gt=card.declaration_id,
        )
        .order_by("-id")
        .first()
    )


@transaction.atomic
def card_renew(
    *,
    card: ResidenceCard,
    actor: User,
    declaration: Declaration | None = None,
    today: dt.date | None = None,
) -> ResidenceCard:
    """Issue a new two-year card in place of one that expires within 90 days or has expired.

    The resident must have made a new declaration since the card, verified and acknowledged
    (`renewal_declaration_for`, unless one is given). The resident's row is locked first, as
    card_issue and a correction's replacement do, so that only one of them replaces the card:
    at most one valid card at any time.
    """
    _check_actor(actor, Capability.CARD_WRITE, card.province_id)
    today = today or _today()
    Resident.objects.select_for_update().filter(pk=card.resident_id).first()
    card = _lock_card(card)
    if not card.is_renewable_on(today):
        raise CardRefused(
            _("Only a card that expires within 90 days or has expired can be renewed.")
        )
    declaration = declaration or renewal_declaration_for(card)
    if declaration is None:
        raise CardRefused(
            _(
                "The resident must first make a new declaration, verified and acknowledged: "
                "start the renewal from the renewals page."
            )
        )
    declaration.refresh_from_db()
    _check_acknowledged(declaration, card.resident_id)
    if declaration.pk <= card.declaration_id:
        raise CardRefused(_("A renewal rests on a new declaration, made after the card it renews."))
    _move(card, Status.REPLACED)
    card.status_reason = "renewal"
    card.save(update_fields=["status", "status_reason"])
    new = _new_card(
        declaration=declaration,
        actor=actor,
        issue_date=today,
        expiry_date=expiry_date_for(today),
        serial=_draw_serials(1)[0],
        replaces=card,
    )
    new.save()
    _record(
        card,
        Kind.RENEWED,
        actor=actor,
        data={
            "new_card": new.number,
            "declaration": declaration.pk,
            "reconfirmed_on": declaration.declared_on.isoformat(),
        },
    )
    _record(new, Kind.ISSUED, actor=actor, data={"renews": card.number})
    audit_record(actor=actor, action=Action.CARD_RENEWED, obj=card, detail={"new": new.number})
    return new


@transaction.atomic
def card_replace(
    *, card: ResidenceCard, actor: User, reason: str, today: dt.date | None = None
) -> ResidenceCard:
    """Issue a new card in place of a lost or damaged one; the old card stops being valid.

    The replacement keeps the old card's expiry date: losing a card never extends its validity
    (that is what renewal, with its re-confirmation, is for).
    """
    _check_actor(actor, Capability.CARD_WRITE, card.province_id)
    reason = _require_reason(reason)
    today = today or _today()
    card = _lock_card(card)
    if card.status not in ResidenceCard.REPLACEABLE_STATUSES:
        raise CardRefused(_("Only a printed or handed-over card can be replaced."))
    if card.expiry_date < today:
        raise CardRefused(_("This card has expired: renew it instead."))
    _move(card, Status.REPLACED)
    card.status_reason = reason
    card.save(update_fields=["status", "status_reason"])
    new = _new_card(
        declaration=card.declaration,
        actor=actor,
        issue_date=today,
        expiry_date=card.expiry_date,
        serial=_draw_serials(1)[0],
        replaces=card,
    )
    new.save()
    _record(card, Kind.REPLACED, actor=actor, reason=reason, data={"new_card": new.number})
    _record(new, Kind.ISSUED, actor=actor, reason=reason, data={"replaces": card.number})
    audit_record(actor=actor, action=Action.CARD_REPLACED, obj=card, detail={"new": new.number})
    return new


def card_replace_after_correction(
    *,
    resident: Resident,
    actor: User,
    reason: str,
    correction_id: int,
    today: dt.date | None = None,
) -> tuple[ResidenceCard, ResidenceCard] | None:
    """Replace the printed card of a resident whose printed details a correction changed.

    Called by residents.corrections inside the approval's transaction, with the resident's row
    already locked: the verifier's approval is the authority. The new card keeps the old one's
    expiry date (a correction never extends validity) and is printed as a reprint with the
    correction's reason. A card not printed yet prints the corrected record and stays; an
    expired one is renewed, not replaced. Returns (old card, new card), or None.
    """
    access.require_in_scope(actor, resident.province_id)
    access.require(actor, Capability.DECLARATION_REVIEW)
    today = today or _today()
    card = (
        ResidenceCard.objects.select_for_update()
        .filter(resident_id=resident.pk, status__in=ResidenceCard.REPLACEABLE_STATUSES)
        .first()
    )
    if card is None or card.expiry_date < today:
        return None
    reason = _("Correction: %(reason)s") % {"reason": reason}
    _move(card, Status.REPLACED)
    card.status_reason = reason
    card.save(update_fields=["status", "status_reason"])
    new = _new_card(
        declaration=card.declaration,
        actor=actor,
        issue_date=today,
        expiry_date=card.expiry_date,
        serial=_draw_serials(1)[0],
        replaces=card,
    )
    new.save()
    data = {"correction": correction_id}
    _record(card, Kind.REPLACED, actor=actor, reason=reason, data={**data, "new_card": new.number})
    _record(new, Kind.ISSUED, actor=actor, reason=reason, data={**data, "replaces": card.number})
    audit_record(
        actor=actor,
        action=Action.CARD_REPLACED,
        obj=card,
        detail={"new": new.number, "correction": correction_id},
    )
    return card, new


@transaction.atomic
def card_revoke(*, card: ResidenceCard, actor: User, reason: str) -> ResidenceCard:
    """Revoke a card for good (departure, death, fraud...): it never shows as valid again."""
    _check_actor(actor, Capability.CARD_WRITE, card.province_id)
    reason = _require_reason(reason)
    card = _lock_card(card)
    _move(card, Status.REVOKED)
    card.status_reason = reason
    card.save(update_fields=["status", "status_reason"])
    _record(card, Kind.REVOKED, actor=actor, reason=reason)
    audit_record(actor=actor, action=Action.CARD_REVOKED, obj=card)
    return card


# Every card of a person whose residence ended is revoked: current ones and expired ones alike
# (an expired card must not be renewed for someone who has left).
REVOCABLE_ON_END = (*ResidenceCard.CURRENT_STATUSES, Status.EXPIRED)
assert all(Status.REVOKED in ResidenceCard.TRANSITIONS[s] for s in REVOCABLE_ON_END)


@transaction.atomic
def cards_revoke_for_ended_residence(
    *, resident_id: int, actor: User, reason: str, ending_id: int
) -> list[str]:
    """Revoke the cards of a resident whose end of residence was just approved; return numbers.

    Called by the approval itself (residents.endings), inside its transaction: the verifier's
    approval is the authority, so no card capability is asked of them. Locks in id order.
    """
    reason = _require_reason(reason)
    cards = list(
        ResidenceCard.objects.select_for_update()
        .filter(resident_id=resident_id, status__in=REVOCABLE_ON_END)
        .order_by("pk")
    )
    for card in cards:
        _move(card, Status.REVOKED)
        card.status_reason = reason
        card.save(update_fields=["status", "status_reason"])
        _record(card, Kind.REVOKED, actor=actor, reason=reason, data={"ending": ending_id})
        audit_record(
            actor=actor, action=Action.CARD_REVOKED, obj=card, detail={"ending": ending_id}
        )
    return [card.number for card in cards]


def cards_follow_merge(
    *, survivor_id: int, merged_id: int, actor: User, now: dt.datetime, reason: str
) -> int:
    """Move a merged record's cards to the survivor; return how many moved.

    Called by the merge itself (residents.merge), inside its transaction, both residents locked:
    the verifier's decision is the authority. The cards of both are locked in id order; a second
    current card is revoked first (one valid card per resident), with the merge's reason.
    """
    cards = list(
        ResidenceCard.objects.select_for_update()
        .filter(resident__in=[merged_id, survivor_id])
        .order_by("pk")
    )
    current = ResidenceCard.CURRENT_STATUSES
    if any(c.resident_id == survivor_id and c.status in current for c in cards):
        for card in cards:
            if card.resident_id == merged_id and card.status in current:
                assert card.can_move_to(Status.REVOKED)
                card.status, card.status_reason = Status.REVOKED, reason
                card.save(update_fields=["status", "status_reason"])
                CardEvent.objects.create(
                    card=card,
                    kind=Kind.REVOKED,
                    actor=actor,
                    at=now,
                    reason=reason,
                    data={"merged_into": survivor_id},
                )
                audit_record(actor=actor, action=Action.CARD_REVOKED, obj=card)
    return ResidenceCard.objects.filter(resident_id=merged_id).update(resident_id=survivor_id)


def card_reprint_offered(card: ResidenceCard, resident: Resident) -> bool:
    """Whether a card issued by another province may be reprinted by the resident's new one."""
    return (
        card.province_id != resident.province_id
        and card.status in ResidenceCard.REPLACEABLE_STATUSES
        and resident.residence_ended_on is None
    )


@transaction.atomic
def card_reprint_after_transfer(
    *, card: ResidenceCard, actor: User, today: dt.date | None = None
) -> ResidenceCard:
    """Reprint the card of a resident who moved: the new province issues it, same expiry.

    The old card keeps its issuing province (it was that office's card) and stops being valid;
    the actor is the card writer of the province now responsible for the resident.
    """
    resident = Resident.objects.get(pk=card.resident_id)
    _check_actor(actor, Capability.CARD_WRITE, resident.province_id)
    today = today or _today()
    card = _lock_card(card)
    if not card_reprint_offered(card, resident):
        raise CardRefused(
            _("Only a printed or handed-over card issued by another province can be reprinted.")
        )
    if card.expiry_date < today:
        raise CardRefused(_("This card has expired: renew it instead."))
    reason = "transfer"
    _move(card, Status.REPLACED)
    card.status_reason = reason
    card.save(update_fields=["status", "status_reason"])
    new = _new_card(
        declaration=card.declaration,
        actor=actor,
        issue_date=today,
        expiry_date=card.expiry_date,
        serial=_draw_serials(1)[0],
        replaces=card,
    )
    new.save()
    _record(card, Kind.REPLACED, actor=actor, reason=reason, data={"new_card": new.number})
    _record(new, Kind.ISSUED, actor=actor, reason=reason, data={"replaces": card.number})
    audit_record(
        actor=actor,
        action=Action.CARD_REPLACED,
        obj=card,
        detail={"new": new.number, "transfer": True},
    )
    return new


@transaction.atomic
def card_hand_over(*, card: ResidenceCard, actor: User, handed_to: str) -> ResidenceCard:
    """Record that a printed card was handed to its holder (or to whom, on their behalf)."""
    _check_actor(actor, Capability.CARD_HAND_OVER, card.province_id)
    handed_to = handed_to.strip()
    if not handed_to:
        raise CardRefused(_("Say to whom the card was handed."))
    card = _lock_card(card)
    _move(card, Status.ACTIVE)
    card.handed_over_at = timezone.now()
    card.handed_over_to = handed_to
    card.save(update_fields=["status", "handed_over_at", "handed_over_to"])
    _record(card, Kind.HANDED_OVER, actor=actor, data={"handed_to": handed_to})
    audit_record(actor=actor, action=Action.CARD_HANDED_OVER, obj=card)
    return card


@transaction.atomic
def card_spoil(*, card: ResidenceCard, actor: User, reason: str) -> ResidenceCard:
    """Record a card spoiled at printing: it goes back to the queue of cards to print."""
    _check_actor(actor, Capability.CARD_HAND_OVER, card.province_id)
    reason = _require_reason(reason)
    card = _lock_card(card)
    if card.status != Status.PRINTED:
        raise CardRefused(_("Only a printed card that was not handed over can be spoiled."))
    _move(card, Status.ISSUED)
    card.status_reason = reason
    card.save(update_fields=["status", "status_reason"])
    _record(card, Kind.SPOILED, actor=actor, reason=reason)
    audit_record(actor=actor, action=Action.CARD_SPOILED, obj=card)
    return card


def card_record_check(
    *, card: ResidenceCard, actor: User | None, channel: str, today: dt.date | None = None
) -> str:
    """Record a validity check (QR or typed number) and return what it answered."""
    validity = card.validity_on(today or _today())
    with transaction.atomic():
        _record(card, Kind.VERIFIED, actor=actor, data={"channel": channel, "result": validity})
        audit_record(
            actor=actor,
            action=Action.CARD_VALIDITY_CHECKED,
            obj=card,
            detail={"channel": channel, "result": validity},
        )
    return validity


def card_check_by_number(*, actor: User, number: str) -> tuple[ResidenceCard | None, str]:
    """A staff member's look-up of a typed card number, within their scope, always audited.

    Another province's card answers exactly like a number that does not exist, and both are
    recorded with the number asked for, so that a walk through numbers shows in the trail.
    """
    from cards import selectors  # selectors read this module's queue helpers

    card = selectors.card_get_for_number(user=actor, number=number)
    if card is not None:
        return card, card_record_check(card=card, actor=actor, channel="number")
    audit_record(
        actor=actor,
        action=Action.CARD_VALIDITY_CHECKED,
        detail={"channel": "number", "result": "not_found", "number": number},
    )
    return None, "not_found"


# --- Print runs ------------------------------------------------------------------------------
def _scoped_cards(actor: User):
    return access.scope(ResidenceCard.objects.all(), actor)


@transaction.atomic
def print_run_create(
    *,
    actor: User,
    selection: str,
    province_code: str | None = None,
    card_ids: Sequence[int] = (),
    reprint_reason: str = "",
) -> PrintRun:
    """Create a print run and queue its rendering once the run is committed.

    Issued cards are printed; a card printed before (picked again, or spoiled) is a reprint and
    carries a reason. A card already waiting in another unfinished run is left out, so that two
    runs never print the same card at once.
    """
    access.require(actor, Capability.CARD_PRINT)
    limit = settings.CARDS_PRINT_RUN_MAX
    qs = _scoped_cards(actor).exclude(pk__in=_cards_in_open_runs())
    if selection == PrintRun.Selection.NOT_PRINTED:
        qs = qs.filter(status=Status.ISSUED)
    elif selection == PrintRun.Selection.PROVINCE:
        if not province_code:
            raise CardRefused(_("Choose a province."))
        qs = qs.filter(status=Status.ISSUED, province_id=province_code)
    elif selection == PrintRun.Selection.PICKED:
        qs = qs.filter(pk__in=list(card_ids), status__in=[Status.ISSUED, Status.PRINTED])
    else:
        raise CardRefused(_("Unknown selection."))
    cards = list(
        qs.order_by("id").select_for_update(of=("self",))[:limit].only("id", "status", "province")
    )
    # The lock may have waited for another clerk's run to commit; the statement above still
    # excluded what was busy when it began. Reading the open runs again, now that the rows are
    # ours, sees that run and leaves its cards out (the unique index is the last word).
    taken = set(
        _cards_in_open_runs()
        .filter(card_id__in=[c.pk for c in cards])
        .values_list("card_id", flat=True)
    )
    cards = [c for c in cards if c.pk not in taken]
    if not cards:
        raise CardRefused(_("No card matches this selection: nothing to print."))
    reprint_reason = reprint_reason.strip()
    if any(c.status == Status.PRINTED for c in cards) and not reprint_reason:
        raise CardRefused(_("Some of these cards were printed before: give a reprint reason."))
    issued = [c for c in cards if c.status == Status.ISSUED]
    spoiled = dict(
        CardEvent.objects.filter(card__in=issued, kind=Kind.SPOILED)
        .order_by("card_id", "-at")
        .distinct("card_id")
        .values_list("card_id", "reason")
    )
    # A card replacing one a correction outdated is a reprint of that person's card.
    corrected = dict(
        CardEvent.objects.filter(
            card__in=issued, kind=Kind.ISSUED, data__has_key="correction"
        ).values_list("card_id", "reason")
    )
    provinces = {c.province_id for c in cards}
    run = PrintRun.objects.create(
        created_by=actor,
        selection=selection,
        province_id=provinces.pop() if len(provinces) == 1 else None,
        total=len(cards),
    )
    try:
        with transaction.atomic():
            PrintRunCard.objects.bulk_create(
                [
                    PrintRunCard(
                        print_run=run,
                        card_id=card.pk,
                        position=position,
                        reprint_reason=_reprint_reason(card, reprint_reason, spoiled, corrected),
                    )
                    for position, card in enumerate(cards, start=1)
                ]
            )
    except IntegrityError as error:
        raise CardRefused(
            _("Some of these cards were just put in another print run. Try again.")
        ) from error
    audit_record(
        actor=actor, action=Action.PRINT_RUN_CREATED, obj=run, detail={"cards": len(cards)}
    )
    from cards.tasks import render_print_run_task

    queue.send_on_commit(render_print_run_task, run.pk)
    return run


def _notify_failed_after_commit(run_id: int) -> None:
    """The clerk who built the run is told it failed (app and e-mail: jobs' receiver)."""
    hooks.print_run_failed(print_run_id=run_id)


def print_run_can_retry(run: PrintRun, *, now: dt.datetime | None = None) -> bool:
    """A failed run, or one that no worker has moved for a while (lost, or its worker died)."""
    if run.status == PrintRun.Status.FAILED:
        return True
    quiet_since = run.started_at if run.status == PrintRun.Status.RENDERING else run.queued_at
    if run.status in (PrintRun.Status.QUEUED, PrintRun.Status.RENDERING) and quiet_since:
        return quiet_since < (now or timezone.now()) - queue.STALLED_AFTER
    return False


@transaction.atomic
def print_run_retry(*, actor: User, print_run: PrintRun) -> PrintRun:
    """Hand a failed or stuck run to the workers again, with the cards no other run has taken."""
    from cards.tasks import render_print_run_task

    _check_actor(actor, Capability.CARD_PRINT, print_run.province_id)
    run = PrintRun.objects.select_for_update().get(pk=print_run.pk)
    if not print_run_can_retry(run):
        raise CardRefused(_("This print run is not failed or stuck: there is nothing to retry."))
    run.entries.filter(open=False).exclude(card_id__in=_cards_in_open_runs()).update(open=True)
    if not run.entries.filter(open=True).exists():
        raise CardRefused(_("Every card of this run is now in another run: nothing to retry."))
    run.status = PrintRun.Status.QUEUED
    run.queued_at = timezone.now()
    run.error = ""
    run.progress = 0
    run.save(update_fields=["status", "queued_at", "error", "progress"])
    audit_record(actor=actor, action=Action.PRINT_RUN_RETRIED, obj=run)
    queue.send_on_commit(render_print_run_task, run.pk)
    return run


def _cards_in_open_runs():
    return PrintRunCard.objects.filter(open=True).values("card_id")


def _reprint_reason(
    card: ResidenceCard, given: str, spoiled: dict[int, str], corrected: dict[int, str]
) -> str:
    if card.status == Status.PRINTED:
        return given
    if card.pk in spoiled:
        return _("Spoiled: %(reason)s") % {"reason": spoiled[card.pk]}
    return corrected.get(card.pk, "")


def _progress(run_id: int, done: int) -> None:
    # Outside any transaction: the progress bar must see it while the rendering goes on.
    PrintRun.objects.filter(pk=run_id).update(progress=done)


def print_run_render(*, print_run_id: int) -> PrintRun:
    """Render a print run's one PDF, then mark its cards printed (idempotent).

    A run already done is left alone, so a task delivered twice renders once. A failure is
    recorded on the run with its reason; the cards stay as they were.
    """
    from cards import pdf

    with transaction.atomic():
        run = PrintRun.objects.select_for_update().get(pk=print_run_id)
        if run.status != PrintRun.Status.QUEUED:
            # Done, failed (tried again only from its page), or another worker is rendering it:
            # a message delivered twice, or sent again by the sweep, renders once.
            return run
        run.status = PrintRun.Status.RENDERING
        run.started_at = timezone.now()
        run.progress = 0
        run.error = ""
        run.save(update_fields=["status", "started_at", "progress", "error"])
    entries = list(
        run.entries.filter(open=True)
        .select_related("card__resident", "card__province", "card__resident__province")
        .order_by("position")
    )
    try:
        content = pdf.render_cards(
            [e.card for e in entries],
            progress=lambda done: _progress(run.pk, done),
            chunk_size=pdf.CHUNK_SIZE,
        )
    except Exception as error:
        logger.exception("Print run %s failed", run.pk)
        with transaction.atomic():
            PrintRun.objects.filter(pk=run.pk).update(
                status=PrintRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
            )
            run.entries.update(open=False)  # its cards may go in another run
            _notify_failed_after_commit(run.pk)
        run.refresh_from_db()
        return run
    with transaction.atomic():
        run = PrintRun.objects.select_for_update().get(pk=run.pk)
        if run.status == PrintRun.Status.DONE:
            return run  # another delivery of the task finished first
        run.pdf.save(f"print-run-{run.pk}.pdf", ContentFile(content), save=False)
        run.status = PrintRun.Status.DONE
        run.progress = run.total
        run.finished_at = timezone.now()
        run.save(update_fields=["pdf", "status", "progress", "finished_at"])
        _mark_printed(run, entries)
        run.entries.update(open=False)
    return run


def _mark_printed(run: PrintRun, entries: Iterable[PrintRunCard]) -> None:
    """Set-based: one UPDATE for the first prints, one bulk insert of the events."""
    by_card = {e.card_id: e for e in entries}
    cards = list(
        ResidenceCard.objects.filter(pk__in=list(by_card))
        .order_by("id")
        .select_for_update()
        .only("id", "status", "printed_at")
    )
    now = timezone.now()
    printable = [c.pk for c in cards if c.status in (Status.ISSUED, Status.PRINTED)]
    ResidenceCard.objects.filter(pk__in=printable).update(
        status=Status.PRINTED, printed_at=now, status_reason=""
    )
    events = []
    for card in cards:
        entry = by_card[card.pk]
        if card.status not in (Status.ISSUED, Status.PRINTED):
            continue  # revoked or replaced while the run was rendering: not printed
        kind = Kind.REPRINTED if entry.reprint_reason else Kind.PRINTED
        events.append(
            CardEvent(
                card_id=card.pk,
                kind=kind,
                actor_id=run.created_by_id,
                at=now,
                reason=entry.reprint_reason,
                print_run=run,
                data={"print_run": run.pk},
            )
        )
    CardEvent.objects.bulk_create(events, batch_size=5000)
    audit_record(
        actor=run.created_by,
        action=Action.CARD_PRINTED,
        obj=run,
        detail={"cards": len(events), "reprints": sum(e.kind == Kind.REPRINTED for e in events)},
    )
