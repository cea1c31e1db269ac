"""Every read the residents views make, scoped to what the user may see.

Provincial users (officers, verifiers, a provincial clerk) see their own province only; national
users see every province. Anything out of scope answers 404, as if it did not exist.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from accounts import access
from accounts.models import User
from cards.expiry import card_expiry_subquery
from provinces.models import Commune, District, Province
from residents.models import (
    INVERSE_RELATION,
    SEARCH_NAME_MAX,
    Declaration,
    DeclarationDocument,
    DocumentType,
    FamilyLink,
    FamilyRelation,
    LikelyDuplicate,
    ProvinceTransfer,
    ResidenceBasis,
    ResidenceEnding,
    Resident,
    TravelDocument,
    explain_match,
    search_name_of,
)
from residents.services import missing_documents_of

PAGE_SIZE = 25


def _scoped(queryset: QuerySet, user: User, path: str = "province_id") -> QuerySet:
    return access.scope(queryset, user, path)


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
        .annotate(card_expiry_date=card_expiry_subquery())
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
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "newest": (("id", True),),
    "oldest": (("id", False),),
    "name": (("search_name", False), ("id", False)),
    "relevance": (("rank", True), ("id", True)),
}


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
class ResidentPage:
    items: list[Resident]
    next_cursor: str = ""
    prev_cursor: str = ""
    sort: str = "newest"
    extra: dict[str, Any] = field(default_factory=dict)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# What each sort column's value in a cursor must be: anything else is a tampered cursor.
_BIGINT = 2**63


def _valid_id(value: Any) -> bool:
    return type(value) is int and -_BIGINT <= value < _BIGINT


def _valid_name(value: Any) -> bool:
    if type(value) is not str or len(value) > SEARCH_NAME_MAX or "\x00" in value:
        return False
    try:
        value.encode()  # a lone surrogate ("\ud800" in the JSON) is no text PostgreSQL takes
    except UnicodeEncodeError:
        return False
    return True


def _valid_rank(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _valid_moment(value: Any) -> bool:
    """A moment as the queue's cursors carry it: an ISO date and time with its offset."""
    if type(value) is not str or len(value) > 40:
        return False
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


_CURSOR_VALUES = {
    "id": _valid_id,
    "search_name": _valid_name,
    "rank": _valid_rank,
    "submitted_at": _valid_moment,
}
# The longest cursor made: a name of SEARCH_NAME_MAX characters, each escaped as \uXXXX in JSON.
_CURSOR_MAX = 4 * (SEARCH_NAME_MAX * 6 + 64) // 3 + 4


def decode_cursor(token: str, keys: tuple[tuple[str, bool], ...]) -> list[Any] | None:
    """The key values in a cursor, or None for a missing or tampered one (first page then).

    A tampered cursor is any that this module did not make: bad base64 or JSON, another shape,
    or a value the sort's column could not hold. The list then starts again at its first page.
    """
    if not token or len(token) > _CURSOR_MAX:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    if not all(_CURSOR_VALUES[column](v) for (column, _desc), v in zip(keys, values, strict=True)):
        return None
    return values


def _latest_status() -> Subquery:
    return Subquery(
        Declaration.objects.filter(resident=OuterRef("pk")).order_by("-id").values("status")[:1]
    )


def _cards_numbered(number: str, resident: str = "pk") -> QuerySet:
    """The resident's cards with this typed number (any status); none when it is mistyped."""
    from cards import numbers
    from cards.models import ResidenceCard

    try:
        normalised = numbers.normalise(number)
    except numbers.InvalidCardNumber:
        return ResidenceCard.objects.none()
    return ResidenceCard.objects.filter(resident=OuterRef(resident), number=normalised)


def resident_queryset_for(*, user: User, filters: ResidentFilters) -> QuerySet[Resident]:
    """Residents the user may see, filtered (not yet ordered or paginated)."""
    residents = _scoped(Resident.objects.all(), user)
    if filters.residence == "ended":
        residents = residents.ended()
    elif filters.residence != "all":
        residents = residents.current()
    if filters.province and user.is_national:
        residents = residents.filter(province_id=filters.province)
    name = search_name_of(filters.q)
    if name:
        residents = residents.filter(search_name__trigram_word_similar=name).annotate(
            rank=TrigramWordSimilarity(name, "search_name")
        )
    if filters.passport.strip():
        residents = residents.filter(
            Exists(
                TravelDocument.objects.filter(
                    resident=OuterRef("pk"),
                    number_index=TravelDocument.index_of(filters.passport),
                )
            )
        )
    if filters.card.strip():
        residents = residents.filter(Exists(_cards_numbered(filters.card)))
    if filters.status:
        residents = residents.filter(
            Exists(Declaration.objects.filter(resident=OuterRef("pk"), status=filters.status))
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
        .annotate(latest_status=_latest_status(), card_expiry_date=card_expiry_subquery())
    )
    backwards = False
    cursor = decode_cursor(after, keys)
    if cursor is None and (cursor := decode_cursor(before, keys)) is not None:
        backwards = True
    if cursor is not None:
        residents = _seek(residents, keys, cursor, backwards=backwards)
    order = [("-" if desc != backwards else "") + column for column, desc in keys]
    rows = list(residents.order_by(*order)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    _attach_current_documents(rows)
    page = ResidentPage(items=rows, sort=sort)
    if rows:
        first, last = rows[0], rows[-1]
        more_after = has_more if not backwards else True
        more_before = (cursor is not None) if not backwards else has_more
        if more_after:
            page.next_cursor = encode_cursor([_key(last, c) for c, _d in keys])
        if more_before:
            page.prev_cursor = encode_cursor([_key(first, c) for c, _d in keys])
    return page


def _key(resident: Resident, column: str) -> Any:
    return getattr(resident, column)


def _seek(
    residents: QuerySet[Resident],
    keys: tuple[tuple[str, bool], ...],
    values: list[Any],
    *,
    backwards: bool,
) -> QuerySet[Resident]:
    descending = keys[0][1] != backwards
    operator = "<" if descending else ">"
    if keys[0][0] == "rank":
        # A computed rank cannot be a row comparison on an index; expand it instead.
        rank, pk = values
        lookup = "lt" if descending else "gt"
        return residents.filter(
            Q(**{f"rank__{lookup}": rank}) | Q(rank=rank, **{f"id__{lookup}": pk})
        )
    table = Resident._meta.db_table
    columns = ", ".join(f'"{table}"."{column}"' for column, _desc in keys)
    placeholders = ", ".join(["%s"] * len(keys))
    return residents.extra(where=[f"({columns}) {operator} ({placeholders})"], params=values)  # noqa: S610


def _attach_current_documents(residents: list[Resident]) -> None:
    documents = {
        d.resident_id: d
        for d in TravelDocument.objects.filter(
            resident__in=[r.pk for r in residents], is_current=True
        )
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


@dataclass
class HistoryChange:
    field: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    when: dt.datetime
    who: str
    action: str
    subject: str
    changes: list[HistoryChange]
    reason: str = ""


SUBJECTS = {
    "residents.ResidentEvent": (Resident, _("Resident")),
    "residents.TravelDocumentEvent": (TravelDocument, _("Passport")),
    "residents.DeclarationEvent": (Declaration, _("Declaration")),
    "residents.DeclarationDocumentEvent": (DeclarationDocument, _("Supporting document")),
    "residents.LikelyDuplicateEvent": (LikelyDuplicate, _("Likely duplicate")),
    "residents.ResidenceEndingEvent": (ResidenceEnding, _("End of residence")),
    "residents.ProvinceTransferEvent": (ProvinceTransfer, _("Transfer between provinces")),
    "residents.FamilyLinkEvent": (FamilyLink, _("Family link")),
}
CREATED = {
    Resident: _("Resident entered"),
    Declaration: _("Declaration entered"),
    TravelDocument: _("Passport recorded"),
    DeclarationDocument: _("Supporting document added"),
    LikelyDuplicate: _("Flagged as a likely duplicate"),
    ResidenceEnding: _("End of residence requested"),
    ProvinceTransfer: _("Transfer to another province proposed"),
    FamilyLink: _("Family link added"),
}
CHANGED = {
    Resident: _("Resident changed"),
    Declaration: _("Declaration changed"),
    TravelDocument: _("Passport changed"),
}
# What a status change means, read from the row itself (one pghistory context may hold several
# actions, e.g. entering and submitting at once, so its metadata cannot name each of them).
STATUS_ACTIONS = {
    Declaration.Status.SUBMITTED: _("Submitted for verification"),
    Declaration.Status.VERIFIED: _("Verified"),
    Declaration.Status.RETURNED: _("Returned to the officer"),
    Declaration.Status.REJECTED: _("Rejected"),
    Declaration.Status.ACKNOWLEDGED: _("Acknowledged"),
    LikelyDuplicate.Status.NOT_DUPLICATE: _("Marked as not a duplicate"),
    LikelyDuplicate.Status.CONFIRMED: _("Confirmed as a duplicate"),
}


# The same status words mean different things on different records.
MODEL_STATUS_ACTIONS = {
    (ResidenceEnding, ResidenceEnding.Status.APPROVED): _("End of residence approved"),
    (ResidenceEnding, ResidenceEnding.Status.REFUSED): _("End of residence refused"),
    (ResidenceEnding, ResidenceEnding.Status.WITHDRAWN): _("End of residence withdrawn"),
    (ProvinceTransfer, ProvinceTransfer.Status.ACCEPTED): _("Transfer accepted"),
    (ProvinceTransfer, ProvinceTransfer.Status.REFUSED): _("Transfer refused"),
    (ProvinceTransfer, ProvinceTransfer.Status.WITHDRAWN): _("Transfer withdrawn"),
}
# What an insert of these records shows as its content (the others show none).
INSERT_FIELDS = {
    ResidenceEnding: ("reason", "ended_on"),
    ProvinceTransfer: ("from_province", "to_province", "reason"),
}


def _action_of(model: type, event: Any) -> str:
    if event.pgh_label == "insert":
        return str(CREATED[model])
    if event.pgh_label == "delete":
        return str(_("Family link removed"))
    status = (event.pgh_diff or {}).get("status")
    if status and (model, status[1]) in MODEL_STATUS_ACTIONS:
        return str(MODEL_STATUS_ACTIONS[(model, status[1])])
    if status and status[1] in STATUS_ACTIONS:
        return str(STATUS_ACTIONS[status[1]])
    return str(CHANGED.get(model, _("Changed")))


HIDDEN_FIELDS = {"id", "version", "updated_at", "search_name", "resident", "declaration"}


def resident_history_for(*, resident: Resident) -> list[HistoryEntry]:
    """Every recorded change of the resident and its records, oldest first: who, when, what.

    A fixed number of queries: the events, then one look-up per kind of referenced name.
    """
    declarations = list(resident.declarations.all())
    events = list(Events.objects.references(resident).filter(pgh_model__in=list(SUBJECTS)))
    if declarations:
        # Supporting documents point at declarations, not at the resident.
        events += Events.objects.references(declarations).filter(
            pgh_model="residents.DeclarationDocumentEvent"
        )
    order = list(SUBJECTS)
    # One transaction shares one timestamp: its inserts come before its updates.
    events.sort(
        key=lambda e: (
            e.pgh_created_at,
            e.pgh_label != "insert",
            order.index(e.pgh_model),
            e.pgh_id,
        )
    )
    # Flags where this resident is the *other* one belong to another record's history.
    events = [
        e
        for e in events
        if e.pgh_model != "residents.LikelyDuplicateEvent"
        or e.pgh_data.get("resident") == resident.pk
    ]
    names = _NameLookup(events)
    entries = []
    for event in events:
        model, subject = SUBJECTS[event.pgh_model]
        context = event.pgh_context or {}
        changes = []
        if event.pgh_label == "update":
            for raw_key, (before, after) in sorted((event.pgh_diff or {}).items()):
                key = _field_name(raw_key)
                if key in HIDDEN_FIELDS:
                    continue
                label, before_text, after_text = names.describe(model, key, before, after)
                changes.append(HistoryChange(label, before_text, after_text))
            if not changes:
                continue
        elif model is FamilyLink:
            # The relation as this record reads it; the relative's name may be out of scope.
            relation = event.pgh_data.get("relation", "")
            subject_id = event.pgh_data.get("resident", event.pgh_data.get("resident_id"))
            if subject_id != resident.pk and relation:
                relation = INVERSE_RELATION[FamilyRelation(relation)]
            changes.append(
                HistoryChange(str(_("relation")), "—", str(FamilyRelation(relation).label))
            )
        elif event.pgh_label == "insert" and model in INSERT_FIELDS:
            for key in INSERT_FIELDS[model]:
                value = event.pgh_data.get(key, event.pgh_data.get(f"{key}_id"))
                label, _before, after = names.describe(model, key, None, value)
                changes.append(HistoryChange(label, "—", after))
        reason = ""
        if model is Declaration and event.pgh_data.get("status") in ("returned", "rejected"):
            reason = event.pgh_data.get("status_reason", "")
        if model in (ResidenceEnding, ProvinceTransfer) and event.pgh_data.get("status") in (
            "refused",
        ):
            reason = event.pgh_data.get("decision_reason", "")
        entries.append(
            HistoryEntry(
                when=event.pgh_created_at,
                who=names.user(context.get("user")),
                action=_action_of(model, event),
                subject=f"{subject} {event.pgh_data.get('id', '')}"
                if model is Declaration
                else str(subject),
                changes=changes,
                reason=reason,
            )
        )
    return entries


def _field_name(column: str) -> str:
    """History rows name foreign keys by column ("basis_id"); the model field is "basis"."""
    return column.removesuffix("_id") if column.endswith("_id") else column


PROVINCE_KEYS = ("province", "address_province", "from_province", "to_province")


class _NameLookup:
    """Turns ids found in history rows into names, with one query per kind of name."""

    USER_FIELDS = {"created_by", "reviewed_by", "acknowledged_by", "decided_by", "uploaded_by"}

    def __init__(self, events: list[Any]) -> None:
        user_ids: set[int] = set()
        codes: dict[str, set[str]] = {"province": set(), "district": set(), "commune": set()}
        bases: set[int] = set()
        for event in events:
            if (event.pgh_context or {}).get("user"):
                user_ids.add(event.pgh_context["user"])
            if event.pgh_model == "residents.ProvinceTransferEvent":
                for key in ("from_province_id", "to_province_id"):
                    codes["province"].add(event.pgh_data.get(key))
            for raw_key, pair in (event.pgh_diff or {}).items():
                key = _field_name(raw_key)
                for value in pair:
                    if value is None:
                        continue
                    if key in self.USER_FIELDS:
                        user_ids.add(value)
                    elif key in PROVINCE_KEYS:
                        codes["province"].add(value)
                    elif key == "address_district":
                        codes["district"].add(value)
                    elif key == "address_commune":
                        codes["commune"].add(value)
                    elif key == "basis":
                        bases.add(value)
        self.users = (
            {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
        )
        self.places: dict[str, dict[str, str]] = {}
        for kind, model in (("province", Province), ("district", District), ("commune", Commune)):
            found = model.objects.filter(code__in=codes[kind]) if codes[kind] else []
            self.places[kind] = {p.code: p.name for p in found}
        found_bases = ResidenceBasis.objects.filter(pk__in=bases) if bases else []
        self.bases = {b.pk: str(b) for b in found_bases}

    def user(self, pk: int | None) -> str:
        if pk is None:
            return str(_("system"))
        return self.users.get(pk, f"#{pk}")

    def describe(self, model: type, key: str, before: Any, after: Any) -> tuple[str, str, str]:
        try:
            model_field = model._meta.get_field(key)
            label = str(model_field.verbose_name)
        except Exception:  # a renamed column still shows, under its raw name
            model_field, label = None, key
        if key == "number_index":
            return str(_("passport number")), "•••", str(_("(new number)"))
        return label, self._text(model_field, key, before), self._text(model_field, key, after)

    def _text(self, model_field: Any, key: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if key in self.USER_FIELDS:
            return self.users.get(value, f"#{value}")
        if key in PROVINCE_KEYS:
            return self.places["province"].get(value, value)
        if key == "address_district":
            return self.places["district"].get(value, value)
        if key == "address_commune":
            return self.places["commune"].get(value, value)
        if key == "basis":
            return self.bases.get(value, str(value))
        choices = getattr(model_field, "choices", None)
        if choices:
            return str(dict(choices).get(value, value))
        if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            try:
                if len(value) == 10:
                    return dt.date.fromisoformat(value).strftime("%d-%m-%Y")
                moment = timezone.localtime(dt.datetime.fromisoformat(value))
                return moment.strftime("%d-%m-%Y %H:%M")
            except ValueError:
                return value
        return str(value)


# --- Verification, returns, acknowledgement --------------------------------------------------
@dataclass(frozen=True)
class QueueFilters:
    """What a verifier narrows the queue to; every field travels in the URL."""

    q: str = ""
    passport: str = ""
    card: str = ""
    district: str = ""
    commune: str = ""
    batch: int | None = None
    maker: int | None = None
    basis: int | None = None
    flags: str = ""  # "open": with likely duplicates to decide; "none": without
    older_than: int | None = None  # days in the queue
    sort: str = "oldest"


# Each sort: (table, column, descending) keys, all one way, so "after this row" is one row
# comparison that declaration_queue_order (or the resident's name index) answers.
QUEUE_SORTS: dict[str, tuple[tuple[str, str], ...]] = {
    "oldest": (("declaration", "submitted_at"), ("declaration", "id")),
    "newest": (("declaration", "submitted_at"), ("declaration", "id")),
    "name": (("resident", "search_name"), ("declaration", "id")),
}
QUEUE_DESCENDING = {"oldest": False, "newest": True, "name": False}
QUEUE_PAGE_SIZE = 50
AGE_BUCKETS = (7, 30)
QUEUE_COUNTS_SECONDS = 30


@dataclass
class QueuePage:
    items: list[Declaration]
    total: int
    counts: dict[str, Any]
    filters: QueueFilters
    next_cursor: str = ""
    prev_cursor: str = ""
    first: bool = True
    last: bool = True


def verification_candidates_for(*, user: User, filters: QueueFilters) -> QuerySet[Declaration]:
    """Submitted declarations of the user's province made by someone else, filtered.

    Not ordered: `queue_ordered` orders them (the list and "next" share that order).
    """
    declarations = (
        _scoped(Declaration.objects.all(), user, "resident__province_id")
        .filter(status=Declaration.Status.SUBMITTED, resident__residence_ended_on__isnull=True)
        .exclude(created_by=user)
    )
    name = search_name_of(filters.q)
    if name:
        declarations = declarations.filter(resident__search_name__trigram_word_similar=name)
    if filters.passport.strip():
        declarations = declarations.filter(
            Exists(
                TravelDocument.objects.filter(
                    resident=OuterRef("resident_id"),
                    number_index=TravelDocument.index_of(filters.passport),
                )
            )
        )
    if filters.card.strip():
        declarations = declarations.filter(Exists(_cards_numbered(filters.card, "resident_id")))
    if filters.district:
        declarations = declarations.filter(resident__address_district_id=filters.district)
    if filters.commune:
        declarations = declarations.filter(resident__address_commune_id=filters.commune)
    if filters.batch:
        declarations = declarations.filter(resident__import_record__batch_id=filters.batch)
    if filters.maker:
        declarations = declarations.filter(created_by_id=filters.maker)
    if filters.basis:
        declarations = declarations.filter(basis_id=filters.basis)
    if filters.flags:
        flagged = Exists(LikelyDuplicate.objects.open().filter(resident=OuterRef("resident_id")))
        declarations = declarations.filter(flagged if filters.flags == "open" else ~flagged)
    if filters.older_than:
        since = timezone.now() - dt.timedelta(days=filters.older_than)
        declarations = declarations.filter(submitted_at__lt=since)
    return declarations


def queue_sort_of(filters: QueueFilters) -> str:
    return filters.sort if filters.sort in QUEUE_SORTS else "oldest"


def queue_ordered(
    declarations: QuerySet[Declaration], filters: QueueFilters, *, backwards: bool = False
) -> QuerySet[Declaration]:
    sort = queue_sort_of(filters)
    descending = QUEUE_DESCENDING[sort] != backwards
    columns = [
        ("resident__" if table == "resident" else "") + column
        for table, column in QUEUE_SORTS[sort]
    ]
    return declarations.order_by(*[("-" if descending else "") + c for c in columns])


def queue_key_of(declaration: Declaration, filters: QueueFilters) -> list[Any]:
    values: list[Any] = []
    for table, column in QUEUE_SORTS[queue_sort_of(filters)]:
        value = getattr(declaration.resident if table == "resident" else declaration, column)
        values.append(value.isoformat() if isinstance(value, dt.datetime) else value)
    return values


def queue_seek(
    declarations: QuerySet[Declaration],
    filters: QueueFilters,
    values: list[Any],
    *,
    backwards: bool = False,
    inclusive: bool = False,
) -> QuerySet[Declaration]:
    """The declarations after (or before) the row with these key values, in the queue's order."""
    sort = queue_sort_of(filters)
    descending = QUEUE_DESCENDING[sort] != backwards
    operator = ("<" if descending else ">") + ("=" if inclusive else "")
    tables = {"declaration": Declaration._meta.db_table, "resident": Resident._meta.db_table}
    columns = ", ".join(f'"{tables[t]}"."{c}"' for t, c in QUEUE_SORTS[sort])
    placeholders = ", ".join(["%s"] * len(values))
    if any(t == "resident" for t, _c in QUEUE_SORTS[sort]):
        declarations = declarations.filter(resident__isnull=False)  # joins the resident table
    return declarations.extra(where=[f"({columns}) {operator} ({placeholders})"], params=values)  # noqa: S610


def _jump_cursor(filters: QueueFilters, start: str) -> list[Any] | None:
    """The key just before the first row submitted on a day (or named from a text), or None."""
    start = start.strip()
    if not start:
        return None
    sort = queue_sort_of(filters)
    if sort == "name":
        name = search_name_of(start)
        return [name, 0] if name else None
    try:
        day = dt.date.fromisoformat(start)
    except ValueError:
        return None
    if sort == "newest":
        day += dt.timedelta(days=1)  # newest first: from the end of that day down
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return [moment.isoformat(), 0]


def queue_counts_for(*, user: User, filters: QueueFilters) -> dict[str, Any]:
    """How many records each filter would show, the others kept: a fixed five queries."""
    now = timezone.now()
    base = verification_candidates_for(user=user, filters=filters)
    flagged = Exists(LikelyDuplicate.objects.open().filter(resident=OuterRef("resident_id")))
    totals = base.aggregate(
        total=Count("id"),
        **{
            f"older_than_{days}": Count("id", filter=Q(submitted_at__lt=now - dt.timedelta(days)))
            for days in AGE_BUCKETS
        },
    )
    flags = verification_candidates_for(user=user, filters=_replace(filters, flags="")).aggregate(
        open=Count("id", filter=flagged), none=Count("id", filter=~flagged)
    )

    def facet(field_name: str, path: str, label: str, label_km: str = "") -> list[dict[str, Any]]:
        rows = (
            verification_candidates_for(user=user, filters=_replace(filters, **{field_name: ""}))
            .values(value=F(path), label=F(label), label_km=F(label_km or label))
            .annotate(count=Count("id"))
            .order_by("label")
        )
        return list(rows)

    return {
        **totals,
        "flags": flags,
        "districts": facet(
            "district",
            "resident__address_district_id",
            "resident__address_district__name_en",
            "resident__address_district__name_km",
        ),
        "bases": facet("basis", "basis_id", "basis__name_en", "basis__name_km"),
        "makers": facet("maker", "created_by_id", "created_by__username"),
    }


def _replace(filters: QueueFilters, **changes: Any) -> QueueFilters:
    cleaned = {k: (None if v == "" and k in ("batch", "maker", "basis") else v)
               for k, v in changes.items()}  # fmt: skip
    return replace(filters, **cleaned)


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
    """One page of the verification queue, seeking from a cursor: page 400 costs what page 1 does.

    "Last" reads the queue backwards from its end, as fast as the first page. A fixed number of
    queries whatever the page: the page, then the counts.
    """
    filters = filters or QueueFilters()
    declarations = (
        verification_candidates_for(user=user, filters=filters)
        .select_related(
            "resident", "resident__address_district", "basis", "created_by", "claimed_by"
        )
        .annotate(
            # A correlated count, read for the page's rows only (a join and GROUP BY would
            # group the whole queue before the LIMIT).
            open_flags=Subquery(
                LikelyDuplicate.objects.open()
                .filter(resident=OuterRef("resident_id"))
                .order_by()
                .values("resident")
                .annotate(count=Count("id"))
                .values("count")[:1]
            )
        )
    )
    keys = tuple((column, False) for _table, column in QUEUE_SORTS[queue_sort_of(filters)])
    backwards = last
    cursor = decode_cursor(after, keys)
    if cursor is None and (cursor := decode_cursor(before, keys)) is not None:
        backwards = True
    if cursor is None and not last:
        # A jump: straight to a day (by date) or to a name, as fast as the first page.
        cursor = _jump_cursor(filters, start)
    if cursor is not None:
        declarations = queue_seek(declarations, filters, cursor, backwards=backwards)
    rows = list(queue_ordered(declarations, filters, backwards=backwards)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    # The counts read the whole queue (hundreds of milliseconds at a province's scale): kept a
    # few seconds per verifier and filter, so paging through one filter pays for them once.
    key = f"queue-counts:{user.pk}:{hashlib.sha256(repr(filters).encode()).hexdigest()[:32]}"
    counts = cache.get(key)
    if counts is None:
        counts = queue_counts_for(user=user, filters=filters)
        cache.set(key, counts, QUEUE_COUNTS_SECONDS)
    page = QueuePage(items=rows, total=counts["total"], counts=counts, filters=filters)
    if rows:
        more_after = has_more if not backwards else (cursor is not None and not last)
        more_before = (cursor is not None) if not backwards else has_more
        if more_after:
            page.next_cursor = encode_cursor(queue_key_of(rows[-1], filters))
        if more_before:
            page.prev_cursor = encode_cursor(queue_key_of(rows[0], filters))
        page.first, page.last = not more_before, not more_after
    return page


def next_candidates_for(
    *, user: User, filters: QueueFilters, after: Declaration | None = None
) -> list[QuerySet[Declaration]]:
    """Where "next" looks, in turn: the queue past the current record, then from its start."""
    candidates = verification_candidates_for(user=user, filters=filters)
    if after is None:
        return [candidates]
    past = queue_seek(candidates, filters, queue_key_of(after, filters)).exclude(pk=after.pk)
    return [past, candidates.exclude(pk=after.pk)]


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
            return value.strftime("%d-%m-%Y")
        if name == "nationality":
            return str(value.name)
        return str(value or "")

    rows = [
        Comparison(str(Resident._meta.get_field(name).verbose_name), text(resident, name),
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
    documents = TravelDocument.objects.filter(
        issuing_country=issuing_country, number_index=TravelDocument.index_of(number)
    ).select_related("resident", "resident__province")
    if exclude_resident_id is not None:
        documents = documents.exclude(resident_id=exclude_resident_id)
    document = documents.first()
    if document is None:
        return None
    return PassportHolder(document.resident, in_scope(user, document.resident.province_id))


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
    def reason(self) -> str:
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
