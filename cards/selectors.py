"""Every read the cards views make, scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts import access
from accounts.access import Capability
from accounts.models import User
from cards import numbers
from cards.models import CardEvent, PrintRun, ResidenceCard
from cards.services import declarations_due_a_card
from core import keyset
from core.keyset import Key
from provinces.models import Province
from residents.models import Declaration
from residents.queues import Queue

PAGE_SIZE = 50


def _scoped(user: User, qs: QuerySet) -> QuerySet:
    """Cards (or runs) of the user's province; every province's for national users."""
    if not access.can(user, Capability.CARD_READ):
        return qs.none()
    return access.scope(qs, user)


# Newest first; a bare id (the list's first links, `?before=123`) is still read as a cursor.
CARD_KEYS = (Key("id", descending=True),)
CARD_LIST_COLUMNS = (
    "number", "status", "issue_date", "expiry_date", "resident__surname",
    "resident__given_names", "province__name_en", "province__name_km",
)  # fmt: skip


def card_list_for(
    *,
    user: User,
    status: str = "",
    province: str = "",
    number: str = "",
    district: str = "",
    after: str = "",
    limit: int = PAGE_SIZE,
) -> keyset.Page[ResidenceCard]:
    """One page of cards, newest first, by keyset from the `after` cursor.

    Keyset paging stays as fast on page 20,000 as on page 1 (index province, status, -id).
    """
    qs = (
        _scoped(user, ResidenceCard.objects.all())
        .select_related("resident", "province")
        # What the list shows: the rest of three whole records per row cost it more to read.
        .only(*CARD_LIST_COLUMNS)
    )
    if status:
        qs = qs.filter(status=status)
    if province:
        qs = qs.filter(province_id=province)
    if number:
        qs = qs.filter(number__startswith=number.strip().upper())
    if district:
        qs = qs.filter(resident__address_district_id=district)
    return keyset.paginate(qs, CARD_KEYS, after=after, page_size=limit)


def card_of_transferred_resident_for(*, user: User, pk: int) -> ResidenceCard:
    """A card whose resident is now in the user's scope (the card may be another office's).

    After a transfer the old card still belongs to its issuing province; the receiving
    province reaches it only through the resident it now holds, to reprint it.
    """
    qs = access.scope(ResidenceCard.objects.all(), user, "resident__province_id").select_related(
        "resident"
    )
    try:
        return qs.get(pk=pk)
    except ResidenceCard.DoesNotExist:
        raise Http404 from None


def card_get_for(*, user: User, pk: int) -> ResidenceCard:
    """A card the user may see, or 404 (another province's card does not exist for them)."""
    qs = _scoped(user, ResidenceCard.objects.all()).select_related(
        "resident", "province", "declaration", "issued_by", "replaces"
    )
    try:
        return qs.get(pk=pk)
    except ResidenceCard.DoesNotExist:
        raise Http404 from None


def card_get_for_number(*, user: User, number: str) -> ResidenceCard | None:
    """The card with this (already normalised) number, if the user may see it."""
    return (
        _scoped(user, ResidenceCard.objects.all())
        .select_related("resident", "province")
        .filter(number=number)
        .first()
    )


def card_get_by_token(*, token: str) -> ResidenceCard:
    """The card a QR code points to, for the public validity page; 404 for an unknown token."""
    card = ResidenceCard.objects.select_related("resident", "province").filter(token=token).first()
    if card is None:
        raise Http404
    return card


def card_events_for(*, card: ResidenceCard) -> list[CardEvent]:
    return list(card.events.select_related("actor").order_by("-at", "-id"))


def card_history_for(*, card: ResidenceCard) -> list[ResidenceCard]:
    """The resident's other cards (renewed, replaced...), newest first."""
    return list(
        ResidenceCard.objects.filter(resident_id=card.resident_id)
        .exclude(pk=card.pk)
        .order_by("-id")
    )


def declarations_due_for(*, user: User, province: str = "", limit: int = 200) -> list[Declaration]:
    """Acknowledged declarations whose resident has no card yet, in the user's scope."""
    code = user.province_id or province or None
    return list(
        declarations_due_a_card(code).select_related("resident", "resident__province")[:limit]
    )


def _due_rows(user: User) -> QuerySet[Declaration]:
    """Each resident's latest acknowledged declaration, when the resident has no card yet.

    The rule of `declarations_due_a_card` without its DISTINCT ON (which would read the whole
    province before any page): "latest" is that no later acknowledged declaration exists, so a
    page seeks on the acknowledgement time like every other queue.
    """
    later = Declaration.objects.filter(
        resident=OuterRef("resident_id"),
        status=Declaration.Status.ACKNOWLEDGED,
        id__gt=OuterRef("id"),
    )
    carded = ResidenceCard.objects.filter(
        resident=OuterRef("resident_id"),
        status__in=[*ResidenceCard.CURRENT_STATUSES, ResidenceCard.Status.EXPIRED],
    )
    revoked = ResidenceCard.objects.filter(
        declaration=OuterRef("id"), status=ResidenceCard.Status.REVOKED
    )
    return (
        access.scope(Declaration.objects.all(), user, "resident__province_id")
        .filter(status=Declaration.Status.ACKNOWLEDGED)
        .exclude(Exists(later))
        .exclude(Exists(carded))
        .exclude(Exists(revoked))
    )


CARDS_DUE = Queue(
    name="cards-due",
    model=Declaration,
    rows=_due_rows,
    moment="acknowledged_at",
    related=("resident", "resident__province", "resident__address_district"),
    # What its rows show (cards.templatetags.card_rows.due_rows) and sort by.
    columns=("acknowledged_at", "declared_on", "resident__surname", "resident__given_names",
             "resident__search_name", "resident__province__name_en",
             "resident__province__name_km", "resident__address_district__name_en",
             "resident__address_district__name_km"),
)  # fmt: skip


def due_count_for(*, user: User, province: str) -> int:
    """How many residents of a province (within the user's scope) are due their first card."""
    return declarations_due_a_card(user.province_id or province).count()


def declaration_get_for(*, user: User, pk: int) -> Declaration:
    """An acknowledged declaration of a resident in the user's scope, or 404."""
    qs = Declaration.objects.filter(status=Declaration.Status.ACKNOWLEDGED).select_related(
        "resident"
    )
    if user.province_id:
        qs = qs.filter(resident__province_id=user.province_id)
    try:
        return qs.get(pk=pk)
    except Declaration.DoesNotExist:
        raise Http404 from None


def provinces_for(*, user: User) -> QuerySet[Province]:
    qs = Province.objects.order_by("code")
    return qs.filter(code=user.province_id) if user.province_id else qs


def cards_by_ids_for(*, user: User, ids: list[int]) -> list[ResidenceCard]:
    return list(_scoped(user, ResidenceCard.objects.filter(pk__in=ids)).order_by("id"))


def card_ids_for_numbers(*, user: User, numbers: list[str]) -> list[int]:
    if not numbers:
        return []
    return list(
        _scoped(user, ResidenceCard.objects.filter(number__in=numbers)).values_list("id", flat=True)
    )


def print_run_list_for(*, user: User, limit: int = 50) -> list[PrintRun]:
    return list(
        _scoped(user, PrintRun.objects.all()).select_related("created_by", "province")[:limit]
    )


def print_run_get_for(*, user: User, pk: int) -> PrintRun:
    try:
        return (
            _scoped(user, PrintRun.objects.all())
            .select_related("created_by", "province")
            .get(pk=pk)
        )
    except PrintRun.DoesNotExist:
        raise Http404 from None


def print_run_cards(*, run: PrintRun) -> list[ResidenceCard]:
    return [
        entry.card
        for entry in run.entries.select_related("card", "card__resident").order_by("position")
    ]


def resident_ids_for_card_number(number: str) -> list[int]:
    """Ids of the residents holding the card with this typed number; [] if it is mistyped.

    For the residents search: a number is accepted with or without dashes and prefix, and its
    check digit is verified first, so a typo finds nobody rather than somebody else.
    """
    try:
        normalised = numbers.normalise(number)
    except numbers.InvalidCardNumber:
        return []
    return list(
        ResidenceCard.objects.filter(number=normalised).values_list("resident_id", flat=True)
    )


def current_card_for_resident(*, resident_id: int) -> ResidenceCard | None:
    """The resident's card of record (issued, printed, handed over or expiring), if any."""
    return ResidenceCard.objects.current().filter(resident_id=resident_id).first()
