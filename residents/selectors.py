"""Every read the residents views make, scoped to what the user may see.

Provincial users (officers, verifiers, a provincial clerk) see their own province only; national
users see every province. Anything out of scope answers 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.core.paginator import Page, Paginator
from django.db import models
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
from residents.keyset import decode_cursor, encode_cursor
from residents.models import (
    INVERSE_RELATION,
    Correction,
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
    items: list[ListedResident]
    next_cursor: str = ""
    prev_cursor: str = ""
    sort: str = "newest"
    extra: dict[str, Any] = field(default_factory=dict)


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
    residents: QuerySet[_R],
    keys: tuple[tuple[str, bool], ...],
    values: list[Any],
    *,
    backwards: bool,
) -> QuerySet[_R]:
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


def _attach_current_documents(residents: list[ListedResident]) -> None:
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
    "residents.CorrectionEvent": (Correction, _("Correction")),
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
    Correction: _("Correction requested"),
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
    LikelyDuplicate.Status.MERGED: _("Merged: the same person"),
    Correction.Status.APPROVED: _("Correction approved"),
    Correction.Status.REFUSED: _("Correction refused"),
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


def _action_of(model: type[models.Model], event: Any) -> str:
    if event.pgh_label == "insert":
        return str(CREATED[model])
    if model is Resident and "merged_into_id" in (event.pgh_diff or {}):
        return str(_("Records merged: the same person"))
    if event.pgh_label == "delete":
        return str(_("Family link removed"))
    status = (event.pgh_diff or {}).get("status")
    if status and (model, status[1]) in MODEL_STATUS_ACTIONS:
        return str(MODEL_STATUS_ACTIONS[(model, status[1])])
    if status and status[1] in STATUS_ACTIONS:
        return str(STATUS_ACTIONS[status[1]])
    return str(CHANGED.get(model, _("Changed")))


HIDDEN_FIELDS = {"id", "version", "updated_at", "search_name", "resident", "declaration",
                 "merged_at"}  # fmt: skip


def resident_history_for(*, resident: Resident) -> list[HistoryEntry]:
    """Every recorded change of the resident and its records, oldest first: who, when, what.

    A fixed number of queries: the events, then one look-up per kind of referenced name.
    """
    declarations = list(resident.declarations.all())
    # A record merged into this one brought its history along (and a merged record shows the
    # survivor's merge too): both records' events, one list.
    people = [resident, *Resident.objects.filter(merged_into=resident)]
    if resident.merged_into_id:
        people.append(Resident.objects.get(pk=resident.merged_into_id))
    ids = {p.pk for p in people}
    events = list(Events.objects.references(*people).filter(pgh_model__in=list(SUBJECTS)))
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
        # (the event's data names columns: "resident_id")
        or e.pgh_data.get("resident_id", e.pgh_data.get("resident")) in ids
    ]
    # An event naming both records (a flag between them) is read once.
    events = list({(e.pgh_model, e.pgh_id): e for e in events}.values())
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
        elif model is Correction:
            # What the officer asked for, field by field.
            for key, (before, after) in (event.pgh_data.get("changes") or {}).items():
                model_field = Resident._meta.get_field(key)
                changes.append(
                    HistoryChange(
                        str(model_field.verbose_name),  # type: ignore[union-attr]  # a concrete field's name (get_field also types relations)
                        _readable(model_field, key, before, {}),
                        _readable(model_field, key, after, {}),
                    )
                )
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
        elif model is Correction:
            reason = event.pgh_data.get(
                "reason" if event.pgh_label == "insert" else "decision_reason", ""
            )
        elif model in (ResidenceEnding, ProvinceTransfer) and event.pgh_data.get("status") in (
            "refused",
        ):
            reason = event.pgh_data.get("decision_reason", "")
        entries.append(
            HistoryEntry(
                when=event.pgh_created_at,
                who=names.user(context.get("user")),
                action=_action_of(model, event),
                subject=f"{subject} {event.pgh_data.get('id', '')}"
                if model in (Declaration, Correction)
                or (model is Resident and event.pgh_data.get("id") != resident.pk)
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

    USER_FIELDS = {
        "created_by",
        "reviewed_by",
        "acknowledged_by",
        "decided_by",
        "uploaded_by",
        "requested_by",
    }

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
            found: Iterable[Province | District | Commune] = (
                model.objects.filter(code__in=codes[kind]) if codes[kind] else []
            )
            self.places[kind] = {p.code: p.name for p in found}
        found_bases = ResidenceBasis.objects.filter(pk__in=bases) if bases else []
        self.bases = {b.pk: str(b) for b in found_bases}

    def user(self, pk: int | None) -> str:
        if pk is None:
            return str(_("system"))
        return self.users.get(pk, f"#{pk}")

    def describe(
        self, model: type[models.Model], key: str, before: Any, after: Any
    ) -> tuple[str, str, str]:
        try:
            model_field = model._meta.get_field(key)
            label = str(model_field.verbose_name)  # type: ignore[union-attr]  # a concrete field's name (get_field also types relations)
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
            return value.strftime("%d-%m-%Y")
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


def describe_corrections(corrections: list[Correction]) -> None:
    """Set `rows` on each correction: (field label, value before, value asked), readable.

    Places are named with one query per kind of place, whatever the number of corrections.
    """
    places = {
        "address_province": Province,
        "address_district": District,
        "address_commune": Commune,
    }
    codes: dict[str, set[str]] = {name: set() for name in places}
    for correction in corrections:
        for name, pair in correction.changes.items():
            if name in codes:
                codes[name].update(v for v in pair if v)
    names: dict[str, dict[str, str]] = {
        name: {
            place.code: place.name
            for place in places[name]._default_manager.filter(code__in=wanted)
        }
        for name, wanted in codes.items()
        if wanted
    }
    for correction in corrections:
        rows = []
        for name, (before, after) in correction.changes.items():
            model_field = Resident._meta.get_field(name)
            rows.append(
                HistoryChange(
                    str(model_field.verbose_name),  # type: ignore[union-attr]  # a concrete field's name (get_field also types relations)
                    _readable(model_field, name, before, names),
                    _readable(model_field, name, after, names),
                )
            )
        correction.rows = rows


def _readable(model_field: Any, name: str, value: Any, names: dict[str, dict[str, str]]) -> str:
    if value in (None, ""):
        return "—"
    if name in names:
        return names[name].get(value, value)
    if name == "nationality":
        from django_countries import countries

        return str(countries.name(value) or value)
    choices = getattr(model_field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    return str(value)


def passports_of(*, resident: Resident) -> list[TravelDocument]:
    """Every passport of the resident, the current one first, then the newest."""
    return list(resident.documents.order_by("-is_current", "-id"))


def passport_flag_of(*, resident: Resident) -> Any:
    """The nightly job's flag that the current passport expires before the current card, if any."""
    from cards.models import ResidenceCard

    return (
        resident.passport_flags.filter(
            document__is_current=True, card__status__in=ResidenceCard.CURRENT_STATUSES
        )
        .order_by("-id")
        .first()
    )
