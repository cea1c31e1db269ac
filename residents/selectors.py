"""Every read the residents views make, scoped to what the user may see.

Provincial users (officers, verifiers, a provincial clerk) see their own province only; national
users see every province. Anything out of scope answers 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.models import User
from core import formats, keyset
from core.keyset import Key
from provinces.models import Commune, District, Province
from residents import hooks, rules
from residents.history_view import describe_corrections, resident_history_for
from residents.models import (
    SEARCH_NAME_MAX,
    Correction,
    Declaration,
    DeclarationDocument,
    DocumentType,
    LikelyDuplicate,
    Resident,
    TravelDocument,
    explain_match,
    search_name_of,
)
from residents.services import missing_documents_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

    class _Listed(TypedDict):
        latest_status: str
        card_expiry_date: dt.date | None

    # A resident as the list reads one: with its latest declaration's status and card's expiry.
    ListedResident = WithAnnotations[Resident, _Listed]

_R = TypeVar("_R", bound=Resident)
_Q = TypeVar("_Q", bound=QuerySet[Any])

PAGE_SIZE = 25


def _scoped(queryset: _Q, user: User, path: str = "province_id") -> _Q:
    # access.scope filters the queryset it is given: a ResidentQuerySet stays one.
    return access.scope(queryset, user, path)  # type: ignore[return-value]


in_scope = access.in_scope


def _current_documents() -> Prefetch:
    return Prefetch(
        "documents",
        queryset=TravelDocument.objects.filter(is_current=True),
        to_attr="current_documents",
    )


# --- Single records --------------------------------------------------------------------------
def resident_get_for(*, user: User, pk: int) -> Resident:
    """The resident if the user may see it, else 404."""
    resident = (
        _scoped(Resident.objects.all(), user)
        .select_related(
            "province", "address_province", "address_district", "address_commune", "created_by"
        )
        .prefetch_related(_current_documents())
        .annotate(**card_annotations())
        .filter(pk=pk)
        .first()
    )
    if resident is None:
        raise Http404
    return resident


def declaration_get_for(*, user: User, pk: int) -> Declaration:
    declaration = (
        _scoped(Declaration.objects.all(), user, "resident__province_id")
        .select_related("resident", "resident__province", "basis", "created_by", "reviewed_by")
        .filter(pk=pk)
        .first()
    )
    if declaration is None:
        raise Http404
    return declaration


def document_get_for(*, user: User, pk: int) -> DeclarationDocument:
    document = (
        _scoped(DeclarationDocument.objects.all(), user, "declaration__resident__province_id")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404
    return document


def duplicate_get_for(*, user: User, pk: int) -> LikelyDuplicate:
    flag = _scoped(LikelyDuplicate.objects.all(), user, "resident__province_id").filter(pk=pk)
    found = flag.first()
    if found is None:
        raise Http404
    return found


# --- The list, with keyset pagination --------------------------------------------------------
# Each sort is a list of (column, descending); all columns of one sort go the same way, so the
# "after this row" condition is one row comparison the (province, column, id) indexes answer.
# The columns the residents list shows (residents.templatetags.resident_rows) and sorts by: the
# rest of a resident's record and of its two divisions cost the list more to read than its query.
LIST_COLUMNS = (
    "surname", "given_names", "name_km", "name_native", "search_name", "date_of_birth",
    "nationality", "province__name_en", "province__name_km", "address_district__name_en",
    "address_district__name_km",
)  # fmt: skip

SORTS: dict[str, tuple[Key, ...]] = {
    "newest": (Key("id", descending=True),),
    "oldest": (Key("id"),),
    "name": (Key("search_name", "text", max_length=SEARCH_NAME_MAX), Key("id")),
    # A computed rank: its seek reads no index, but the rank is only shown for a name search.
    "relevance": (Key("rank", "number", descending=True), Key("id", descending=True)),
}


# Statuses a list may be asked for together: "compiled" is through verification (verified or
# acknowledged), the figure the HQ dashboard's progress counts.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "compiled": (Declaration.Status.VERIFIED, Declaration.Status.ACKNOWLEDGED),
}
# Not verified yet (the province page's figure): a declaration still with the province or the
# verifier, or no declaration at all.
PENDING = "pending"
PENDING_DECLARATION_STATUSES = (
    Declaration.Status.DRAFT,
    Declaration.Status.SUBMITTED,
    Declaration.Status.RETURNED,
)


def pending_residents(residents: _Q) -> _Q:
    """Residents not through verification yet: a declaration in draft, submitted or returned,
    or no declaration at all."""
    return residents.filter(
        Exists(
            Declaration.objects.filter(
                resident=OuterRef("pk"), status__in=PENDING_DECLARATION_STATUSES
            )
        )
        | ~Exists(Declaration.objects.filter(resident=OuterRef("pk")))
    )


@dataclass(frozen=True)
class ResidentFilters:
    q: str = ""
    passport: str = ""
    card: str = ""
    status: str = ""
    nationality: str = ""
    province: str = ""
    district: str = ""
    entered_from: dt.date | None = None
    entered_to: dt.date | None = None
    sort: str = "newest"
    # "" lists current residents (the default everywhere); "ended" or "all" include the others.
    residence: str = ""


@dataclass
class ResidentPage(keyset.Page[Resident]):
    sort: str = "newest"
    extra: dict[str, Any] = field(default_factory=dict)


def _latest_status() -> Subquery:
    return Subquery(
        Declaration.objects.filter(resident=OuterRef("pk")).order_by("-id").values("status")[:1]
    )


# --- Cards, through the hooks cards answer (cards stand above residents) ----------------------
def card_number_of(typed: str) -> str:
    """The typed card number normalised, or "" when it is mistyped (or no app reads cards)."""
    return next((n for n in hooks.card_number_typed.collect(number=typed) if n), "")


def with_card_numbered(queryset: _Q, typed: str, resident: str = "pk") -> _Q:
    """The rows whose resident (at `resident`) holds a card with this typed number, any status.

    None when the number is mistyped; the filter itself is the cards app's (one EXISTS).
    """
    number = card_number_of(typed)
    conditions = (
        hooks.cards_numbered.collect(number=number, resident_ref=resident) if number else []
    )
    if not conditions:
        return queryset.none()
    return queryset.filter(*conditions)


def card_annotations(resident: str = "pk") -> dict[str, Any]:
    """Annotations of a resident query that cards give (the card of record's expiry date)."""
    annotations: dict[str, Any] = {}
    for answer in hooks.resident_card_annotations.collect(resident_ref=resident):
        annotations.update(answer)
    return annotations


def narrowed_by_search(
    rows: _Q, *, q: str = "", passport: str = "", card: str = "", resident: str = ""
) -> _Q:
    """Rows narrowed to what a person searched: a name (by word similarity), a passport number,
    a card number. The residents list and every work queue search this one way.

    `resident` is the path from the rows to their resident ("" when the rows are residents,
    "resident" for declarations).
    """
    prefix, ref = (f"{resident}__", f"{resident}_id") if resident else ("", "pk")
    name = search_name_of(q)
    if name:
        rows = rows.filter(**{f"{prefix}search_name__trigram_word_similar": name})
    if passport.strip():
        rows = rows.filter(
            Exists(
                TravelDocument.objects.filter(
                    resident=OuterRef(ref), number_index=TravelDocument.index_of(passport)
                )
            )
        )
    if card.strip():
        rows = with_card_numbered(rows, card, ref)
    return rows


def resident_queryset_for(*, user: User, filters: ResidentFilters) -> QuerySet[Resident]:
    """Residents the user may see, filtered (not yet ordered or paginated)."""
    residents = _scoped(Resident.objects.all(), user)
    if filters.residence == "ended":
        residents = residents.ended()
    elif filters.residence != "all":
        residents = residents.current()
    if filters.province and user.is_national:
        residents = residents.filter(province_id=filters.province)
    residents = narrowed_by_search(
        residents, q=filters.q, passport=filters.passport, card=filters.card
    )
    name = search_name_of(filters.q)
    if name:
        residents = residents.annotate(rank=TrigramWordSimilarity(name, "search_name"))
    if filters.status == PENDING:
        residents = pending_residents(residents)
    elif filters.status:
        statuses = STATUS_GROUPS.get(filters.status, (filters.status,))
        residents = residents.filter(
            Exists(Declaration.objects.filter(resident=OuterRef("pk"), status__in=statuses))
        )
    if filters.nationality:
        residents = residents.filter(nationality=filters.nationality)
    if filters.district:
        residents = residents.filter(address_district_id=filters.district)
    if filters.entered_from:
        residents = residents.filter(created_at__date__gte=filters.entered_from)
    if filters.entered_to:
        residents = residents.filter(created_at__date__lte=filters.entered_to)
    return residents


def resident_list_for(
    *,
    user: User,
    filters: ResidentFilters,
    after: str = "",
    before: str = "",
    page_size: int = PAGE_SIZE,
) -> ResidentPage:
    """One page of residents, seeking from a cursor: as fast on page 10,000 as on page 1.

    One query for the page and one for the passports shown on it, whatever the page.
    """
    sort = filters.sort if filters.sort in SORTS else "newest"
    if sort == "relevance" and not search_name_of(filters.q):
        sort = "newest"
    keys = SORTS[sort]
    residents = (
        resident_queryset_for(user=user, filters=filters)
        .select_related("province", "address_district")
        .only(*LIST_COLUMNS)
        .annotate(latest_status=_latest_status(), **card_annotations())
    )
    found = keyset.paginate(residents, keys, after=after, before=before, page_size=page_size)
    _attach_current_documents(found.items)
    return ResidentPage(
        items=found.items, next_cursor=found.next_cursor, prev_cursor=found.prev_cursor, sort=sort
    )


def _attach_current_documents(residents: list[ListedResident]) -> None:
    documents = {
        d.resident_id: d
        for d in TravelDocument.objects.filter(
            resident__in=[r.pk for r in residents], is_current=True
        ).only("resident_id", "number_encrypted")  # the masked number is all the list shows
    }
    labels = dict(Declaration.Status.choices)
    for resident in residents:
        resident.current_passport = documents.get(resident.pk)
        resident.latest_status_label = labels.get(resident.latest_status, "")


# --- Detail and history ----------------------------------------------------------------------
def declarations_of(*, resident: Resident) -> list[Declaration]:
    return list(
        resident.declarations.select_related(
            "basis", "created_by", "reviewed_by", "acknowledged_by"
        )
        .prefetch_related("documents")
        .order_by("-id")
    )


def cards_of(*, resident: Resident) -> list[Any]:
    """The resident's cards, newest first (through the cards' own relation: no import upwards)."""
    return list(resident.cards.order_by("-issue_date", "-id"))


def duplicate_flags_of(*, user: User, resident: Resident) -> list[LikelyDuplicate]:
    flags = list(
        resident.duplicate_flags.select_related("other", "other__province", "decided_by").order_by(
            "-similarity", "other_id"
        )
    )
    for flag in flags:
        flag.other_in_scope = in_scope(user, flag.other.province_id)
    return flags


# --- Work queues: residents.queues (these names stay, for the callers that read them here) ---


@dataclass
class Comparison:
    label: str
    mine: str
    theirs: str

    @property
    def differs(self) -> bool:
        return self.mine != self.theirs


def _compared(resident: Resident, other: Resident, passports: dict[int, str]) -> list[Comparison]:
    def text(person: Resident, name: str) -> str:
        value = getattr(person, name)
        if isinstance(value, dt.date):
            return formats.day(value)
        if name == "nationality":
            return str(value.name)
        return str(value or "")

    rows = [
        Comparison(str(Resident._meta.get_field(name).verbose_name), text(resident, name),  # type: ignore[union-attr]  # a concrete field
                   text(other, name))
        for name in ("surname", "given_names", "name_native", "name_km", "sex", "date_of_birth",
                     "place_of_birth", "nationality", "arrival_date", "address_district",
                     "address_commune")
    ]  # fmt: skip
    rows.append(
        Comparison(str(_("Passport")), passports.get(resident.pk, ""), passports.get(other.pk, ""))
    )
    return rows


def review_of(*, user: User, declaration: Declaration, resident: Resident) -> dict[str, Any]:
    """Everything the review screen shows besides the record: documents, duplicates, history.

    A fixed number of queries whatever the number of documents or flags.
    """
    documents = list(
        declaration.documents.select_related("document_type", "checked_by").order_by("id")
    )
    flags = duplicate_flags_of(user=user, resident=resident)
    others = {
        r.pk: r
        for r in Resident.objects.filter(
            pk__in=[f.other_id for f in flags if f.other_in_scope]
        ).select_related("address_district", "address_commune")
    }
    passports = {
        d.resident_id: d.masked_number
        for d in TravelDocument.objects.filter(resident__in=[resident.pk, *others], is_current=True)
    }
    me = (
        Resident.objects.select_related("address_district", "address_commune").get(pk=resident.pk)
        if others
        else resident
    )
    for flag in flags:
        flag.comparison = (
            _compared(me, others[flag.other_id], passports) if flag.other_id in others else []
        )
    return {
        "documents": documents,
        "document_types": list(DocumentType.objects.filter(is_active=True)),
        "missing_documents": missing_documents_of(declaration=declaration),
        "flags": flags,
        "history": resident_history_for(resident=resident),
    }


def returned_declarations_for(*, user: User) -> QuerySet[Declaration]:
    """Declarations the verifiers sent back to this officer, with their reasons."""
    return (
        _scoped(Declaration.objects.all(), user, "resident__province_id")
        .filter(
            status=Declaration.Status.RETURNED,
            created_by=user,
            resident__residence_ended_on__isnull=True,
        )
        .select_related("resident", "reviewed_by")
        .order_by("-reviewed_at", "-id")
    )


def acknowledgement_summary_for(*, user: User) -> list[dict[str, Any]]:
    """Verified declarations waiting for HQ, per province (one GROUP BY)."""
    counts = dict(
        _scoped(Declaration.objects.all(), user, "resident__province_id")
        .filter(status=Declaration.Status.VERIFIED, resident__residence_ended_on__isnull=True)
        .values_list("resident__province_id")
        .annotate(n=Count("id"))
        .values_list("resident__province_id", "n")
    )
    return [
        {"province": province, "verified": counts.get(province.code, 0)}
        for province in _scoped(Province.objects.all(), user, "code")
    ]


def verified_declarations_for(*, user: User, province_code: str, page: int = 1) -> Page:
    declarations = (
        _scoped(Declaration.objects.all(), user, "resident__province_id")
        .filter(
            status=Declaration.Status.VERIFIED,
            resident__province_id=province_code,
            resident__residence_ended_on__isnull=True,
        )
        .select_related("resident", "basis", "created_by", "reviewed_by")
        .order_by("reviewed_at", "id")
    )
    return Paginator(declarations, 50).get_page(page)


def verified_count_of(*, province: Province) -> int:
    """How many verified declarations of a province (already scoped) wait for HQ."""
    return Declaration.objects.filter(
        status=Declaration.Status.VERIFIED,
        resident__province_id=province.code,
        resident__residence_ended_on__isnull=True,
    ).count()


def province_get_for(*, user: User, code: str) -> Province:
    province = _scoped(Province.objects.all(), user, "code").filter(code=code).first()
    if province is None:
        raise Http404
    return province


# --- Duplicates at entry ---------------------------------------------------------------------
@dataclass
class PassportHolder:
    resident: Resident
    in_scope: bool


def passport_holder_for(
    *, user: User, issuing_country: str, number: str, exclude_resident_id: int | None = None
) -> PassportHolder | None:
    """Who already holds this passport, in any province; the caller shows details only in scope."""
    holder = rules.passport_holder(
        issuing_country=issuing_country, number=number, exclude_resident_id=exclude_resident_id
    )
    if holder is None:
        return None
    return PassportHolder(holder, in_scope(user, holder.province_id))


@dataclass
class LikelyMatch:
    resident: Resident
    similarity: float
    in_scope: bool
    kind: str = ""

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)

    @property
    def reason(self) -> StrOrPromise:
        return explain_match(self.kind, self.similarity)


def likely_duplicates_for_entry(
    *,
    user: User,
    names: list[str],
    date_of_birth: dt.date,
    nationality: str,
    exclude_resident_id: int | None = None,
) -> list[LikelyMatch]:
    """People in any province born the same day, same nationality, with a similar name."""
    name = search_name_of(*names)
    if not name:
        return []
    # The same rule as the flags raised on saving (residents.services.flag_likely_duplicates).
    matches = (
        Resident.objects.filter(nationality=nationality, date_of_birth=date_of_birth)
        .annotate(
            similarity=TrigramSimilarity("search_name", name),
            match_kind=Func(
                F("search_name"), Value(name), function="ims_name_match", output_field=CharField()
            ),
        )
        .filter(match_kind__isnull=False)
        .select_related("province")
        .order_by("-similarity", "id")
    )
    if exclude_resident_id is not None:
        matches = matches.exclude(pk=exclude_resident_id)
    return [
        LikelyMatch(m, m.similarity, in_scope(user, m.province_id), m.match_kind)
        for m in matches[:10]
    ]


# --- Choices for the address selects ---------------------------------------------------------
def districts_of(province_code: str) -> QuerySet[District]:
    return District.objects.filter(province_id=province_code).order_by("code")


def communes_of(district_code: str) -> QuerySet[Commune]:
    return Commune.objects.filter(district_id=district_code).order_by("code")


# The verification queue as its callers name it (the engine is residents.queues).
from residents.queues import (  # noqa: E402, F401
    QUEUE_PAGE_SIZE,
    VERIFICATION,
    QueueFilters,
    QueuePage,
    next_candidates_for,
    verification_candidates_for,
)


def queue_ordered(
    declarations: QuerySet[Declaration], filters: QueueFilters, *, backwards: bool = False
) -> QuerySet[Declaration]:
    return VERIFICATION.ordered(declarations, filters, backwards=backwards)


def queue_counts_for(*, user: User, filters: QueueFilters) -> dict[str, Any]:
    return VERIFICATION.counts(user=user, filters=filters)


def verification_queue_for(
    *,
    user: User,
    filters: QueueFilters | None = None,
    after: str = "",
    before: str = "",
    last: bool = False,
    start: str = "",
    page_size: int = QUEUE_PAGE_SIZE,
) -> QueuePage:
    """One page of the verification queue (see `residents.queues.Queue.page`)."""
    return VERIFICATION.page(user=user, filters=filters, after=after, before=before, last=last,
                             start=start, page_size=page_size)  # fmt: skip


# --- Corrections and passports ---------------------------------------------------------------
def correction_get_for(*, user: User, pk: int) -> Correction:
    """A correction request if the user may see its resident, else 404."""
    correction = (
        _scoped(Correction.objects.all(), user, "resident__province_id")
        .select_related("resident", "resident__province", "requested_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if correction is None:
        raise Http404
    return correction


def corrections_of(*, resident: Resident) -> list[Correction]:
    corrections = list(
        resident.corrections.select_related("requested_by", "decided_by").order_by("-id")
    )
    describe_corrections(corrections)
    return corrections


def correction_queue_for(*, user: User, limit: int = 200) -> list[Correction]:
    """The corrections of the user's province waiting for a decision, oldest first."""
    corrections = list(
        _scoped(Correction.objects.open(), user, "resident__province_id")
        .select_related("resident", "requested_by")
        .order_by("requested_at", "id")[:limit]
    )
    describe_corrections(corrections)
    return corrections


def passports_of(*, resident: Resident) -> list[TravelDocument]:
    """Every passport of the resident, the current one first, then the newest."""
    return list(resident.documents.order_by("-is_current", "-id"))


def resident_page_sections(*, user: User, resident: Resident, cards: list[Any]) -> dict[str, Any]:
    """What the apps above residents add to a resident's page (cards' reprints, jobs' flags)."""
    context: dict[str, Any] = {}
    for answer in hooks.resident_page.collect(user=user, resident=resident, cards=cards):
        context.update(answer)
    return context
