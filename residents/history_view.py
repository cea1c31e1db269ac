"""The resident's history as a person reads it: who did what, when, and the values before and
after, in words (the records' events come from pghistory; residents.history writes them for bulk
inserts). Also the readable rows of a correction request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from accounts.models import User
from core import formats
from provinces.models import Commune, District, Province
from residents.models import (
    INVERSE_RELATION,
    Correction,
    Declaration,
    DeclarationDocument,
    FamilyLink,
    FamilyRelation,
    LikelyDuplicate,
    ProvinceTransfer,
    ResidenceBasis,
    ResidenceEnding,
    Resident,
    TravelDocument,
)


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
                    return formats.day(dt.date.fromisoformat(value))
                return formats.day_time(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        return str(value)


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
            return formats.day(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
