"""Foreign permanent residents, their travel documents and their declarations of status."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, ClassVar

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least, Left, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core import crypto
from core.formats import western_digits

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from residents.history_view import HistoryChange
    from residents.selectors import Comparison
from residents import history


def search_name_of(*parts: str) -> str:
    """Upper-case, accent-free, single-spaced form of a name, as stored for fuzzy search."""
    text = " ".join(p for p in parts if p)
    if text.isascii():  # nothing to decompose (an import computes this for every row)
        return " ".join(text.upper().split())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.upper().split())


NAME_FIELDS = ("surname", "given_names", "name_native", "name_km")
# Resident.search_name holds the names together; each may be within its own limit and the whole
# still too long (accents set apart by NFKD can also lengthen a name).
SEARCH_NAME_MAX = 300


def normalise_document_number(number: str) -> str:
    """Passport numbers are compared without spaces, dashes or case: 'e 123-456' is 'E123456'.

    Khmer digits typed for a passport's Western ones count as those digits.
    """
    return "".join(c for c in western_digits(number).upper() if c.isalnum())


class EndReason(models.TextChoices):
    """Why a residence ended."""

    DEPARTURE = "departure", _("Departure from Cambodia")
    DEATH = "death", _("Death")
    LOSS_OF_STATUS = "loss_of_status", _("Loss of status")
    NATURALISATION = "naturalisation", _("Naturalisation")


class FamilyRelation(models.TextChoices):
    """What the linked relative is to a resident."""

    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")


class DocumentType(models.Model):
    """A kind of supporting document (passport copy, marriage certificate...); configurable."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_km = models.CharField(_("name (Khmer)"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_km if get_language() == "km" else self.name_en


class ResidenceBasis(models.Model):
    """The configurable list of grounds on which a foreigner resides permanently."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_km = models.CharField(_("name (Khmer)"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    # What a verifier must have accepted before verifying a declaration on this basis.
    required_documents = models.ManyToManyField(
        DocumentType, blank=True, related_name="required_by", verbose_name=_("required documents")
    )
    # A basis resting on a family tie: the declaration is verified only once the resident is
    # linked to a registered resident by such a tie (residents.family).
    required_link = models.CharField(
        _("family link required"),
        max_length=10,
        choices=[("", _("None")), ("any", _("Any family link")), *FamilyRelation.choices],
        blank=True,
        default="",
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("basis of residence")
        verbose_name_plural = _("bases of residence")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_km if get_language() == "km" else self.name_en


class ResidentQuerySet(models.QuerySet):
    def in_province(self, province_code: str) -> ResidentQuerySet:
        return self.filter(province_id=province_code)

    def not_merged(self) -> ResidentQuerySet:
        return self.filter(merged_into__isnull=True)

    def current(self) -> ResidentQuerySet:
        """Residents whose residence has not ended, and not merged into another record (the same
        person): the ones every count of residents counts."""
        return self.filter(residence_ended_on__isnull=True, merged_into__isnull=True)

    def ended(self) -> ResidentQuerySet:
        return self.filter(residence_ended_on__isnull=False)


@pghistory.track(
    history.insert_event(),
    pghistory.UpdateEvent(),
    exclude=["search_name", "updated_at", "version"],
)
class Resident(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "X", _("Unspecified")

    surname = models.CharField(_("surname"), max_length=100)
    given_names = models.CharField(_("given names"), max_length=150, blank=True)
    name_km = models.CharField(_("name in Khmer"), max_length=150, blank=True)
    name_native = models.CharField(_("name in own script"), max_length=150, blank=True)
    # Maintained by the services from the names above; what the trigram index searches.
    search_name = models.CharField(max_length=SEARCH_NAME_MAX, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"))
    place_of_birth = models.CharField(_("place of birth"), max_length=150, blank=True)
    nationality = CountryField(_("nationality"))
    # Never served from a public URL: residents:photo checks access first.
    photo = models.ImageField(_("photo"), upload_to="photos/%Y/%m/", blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    employer = models.CharField(_("employer"), max_length=150, blank=True)
    arrival_date = models.DateField(_("date of first arrival in Cambodia"), null=True, blank=True)
    # The provincial office responsible for the record: what scopes every query.
    # The references to the small tables (province, commune, maker; a declaration's basis and
    # maker) are checked once per statement by triggers (migration 0020), not by a foreign
    # key's check of each row, which cost more than the row itself in a province's import.
    province = models.ForeignKey(
        "provinces.Province",
        verbose_name=_("responsible province office"),
        on_delete=models.PROTECT,
        related_name="residents",
        db_constraint=False,
    )
    # An address is one place. Official codes nest (commune 120101 is in district 1201, in
    # province 12, which the division tables' own constraints guarantee), so the commune's
    # reference and the resident_address_nested check prove the district and the province
    # exist and hold the commune: their own references would only repeat the commune's, and
    # could not see a commune of another district.
    address_province = models.ForeignKey(
        "provinces.Province",
        verbose_name=_("province of address"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    address_district = models.ForeignKey(
        "provinces.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    address_commune = models.ForeignKey(
        "provinces.Commune",
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    address_village = models.CharField(_("village"), max_length=150, blank=True)
    address_street = models.CharField(_("house and street"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    # A default, not auto_now_add: a loader (the demo data) may give the entry time it had.
    created_at = models.DateTimeField(
        _("entered at"), default=timezone.now, editable=False, db_index=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic locking: a save carries the version it read; a stale version is refused.
    version = models.PositiveIntegerField(default=1)
    # Set when a verifier found this record to be the same person as another one: the record
    # stays (its history with it), everything it held now belongs to the survivor.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    # Set only by an approved ResidenceEnding (residents.endings): the person stays in the
    # register and its history, but no longer counts as a current resident.
    residence_ended_on = models.DateField(_("residence ended on"), null=True, blank=True)
    residence_end_reason = models.CharField(
        _("reason residence ended"), max_length=20, choices=EndReason.choices, blank=True
    )

    objects = ResidentQuerySet.as_manager()

    # Not stored: read with the resident by residents.selectors (a prefetch, then the list's
    # passport and status label).
    current_documents: list[TravelDocument]
    current_passport: TravelDocument | None
    latest_status_label: StrOrPromise

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["-id"]
        indexes = [
            GinIndex(OpClass("search_name", name="gin_trgm_ops"), name="resident_name_trgm"),
            models.Index(fields=["province", "-id"], name="resident_province_id"),
            # Keyset pagination by name, for HQ (all provinces) and for one province.
            models.Index(fields=["search_name", "id"], name="resident_name_id"),
            models.Index(
                fields=["province", "search_name", "id"], name="resident_province_name_id"
            ),
            models.Index(fields=["nationality", "date_of_birth"], name="resident_nat_dob"),
            models.Index(Upper("surname"), "date_of_birth", name="resident_surname_dob"),
            # The dashboard's count of ended residences per reason reads only these rows.
            models.Index(
                fields=["province", "residence_end_reason"],
                condition=Q(residence_ended_on__isnull=False),
                name="resident_ended_reason",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="resident_end_reason_with_date",
                condition=Q(residence_ended_on__isnull=True, residence_end_reason="")
                | (Q(residence_ended_on__isnull=False) & ~Q(residence_end_reason="")),
            ),
            models.CheckConstraint(
                name="resident_surname_upper", condition=Q(surname=Upper("surname"))
            ),
            models.CheckConstraint(
                name="resident_not_merged_into_itself", condition=~Q(merged_into=F("id"))
            ),
            models.CheckConstraint(
                name="resident_address_nested",
                condition=Q(address_district=Left("address_commune", 4))
                & Q(address_province=Left("address_district", 2)),
                violation_error_message=_(
                    "The commune must lie in the district, and the district in the province."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.surname} {self.given_names}".strip()


def mask_number(number: str) -> str:
    """A document number where the whole of it is not needed: only its last three characters."""
    return "•" * max(len(number) - 3, 0) + number[-3:]


@pghistory.track(
    history.insert_event(),
    pghistory.UpdateEvent(),
    # The ciphertext changes with every encryption; the blind index says whether the number did.
    exclude=["number_encrypted", "created_at"],
    meta={"indexes": [models.Index(fields=["resident"], name="traveldocevent_resident")]},
)
class TravelDocument(models.Model):
    """A passport (or other travel document); its number is stored encrypted."""

    ENCRYPTION_CONTEXT = "residents.TravelDocument.number"

    class Kind(models.TextChoices):
        PASSPORT = "passport", _("Passport")
        TRAVEL_DOCUMENT = "travel_document", _("Travel document")

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="documents", verbose_name=_("resident")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PASSPORT)
    number_encrypted = crypto.EncryptedTextField(
        editable=False, context=ENCRYPTION_CONTEXT, index_field="number_index"
    )
    # Keyed hash of the normalised number: unique per issuing country, and exact search.
    number_index = models.CharField(max_length=64, editable=False)
    issuing_country = CountryField(_("issuing country"))
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("travel document")
        verbose_name_plural = _("travel documents")
        constraints = [
            # Number first: the same index finds a passport by its number alone.
            models.UniqueConstraint(
                fields=["number_index", "issuing_country"], name="travel_document_unique_number"
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(is_current=True),
                name="travel_document_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.masked_number}"

    @staticmethod
    def index_of(number: str) -> str:
        return crypto.blind_index(
            normalise_document_number(number), context=TravelDocument.ENCRYPTION_CONTEXT
        )

    def set_number(self, number: str) -> None:
        normalised = normalise_document_number(number)
        self.number_encrypted = crypto.encrypt(normalised, context=self.ENCRYPTION_CONTEXT)
        self.number_index = crypto.blind_index(normalised, context=self.ENCRYPTION_CONTEXT)

    @property
    def number(self) -> str:
        return crypto.decrypt(self.number_encrypted, context=self.ENCRYPTION_CONTEXT)

    @property
    def masked_number(self) -> str:
        return mask_number(self.number)


class DeclarationQuerySet(models.QuerySet):
    def with_status(self, *statuses: str) -> DeclarationQuerySet:
        return self.filter(status__in=statuses)


@pghistory.track(
    history.insert_event(),
    pghistory.UpdateEvent(),
    # A claim is who is looking at the record, not a change of it.
    exclude=["updated_at", "version", "claimed_by", "claimed_until"],
    meta={"indexes": [models.Index(fields=["resident"], name="declarationevent_resident")]},
)
class Declaration(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    # The one table of allowed moves; services.declaration_* go through `can_move_to`.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.DRAFT: frozenset({Status.SUBMITTED}),
        Status.SUBMITTED: frozenset({Status.VERIFIED, Status.RETURNED, Status.REJECTED}),
        Status.RETURNED: frozenset({Status.SUBMITTED}),
        # Editing a verified record sends it back for verification.
        Status.VERIFIED: frozenset({Status.ACKNOWLEDGED, Status.SUBMITTED}),
        Status.REJECTED: frozenset(),
        Status.ACKNOWLEDGED: frozenset(),
    }

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("resident")
    )
    declared_on = models.DateField(_("date of declaration"))
    # Bases and users are deactivated, never deleted: these foreign keys need no index of their
    # own (every write of a declaration would maintain it for nothing). Both are checked once
    # per statement, as a resident's small references are (migration 0020 of residents).
    basis = models.ForeignKey(
        ResidenceBasis,
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name=_("basis of residence"),
        db_index=False,
        db_constraint=False,
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        # Searched through declaration_status_submitted (status first).
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    status_reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("maker"),
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("entered at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
        db_index=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
        db_index=False,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    # The verifier reviewing the record now, until the claim lapses by itself. On the row itself,
    # so that a verifier pulling "next" past a row another one has just claimed re-reads it.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
        db_index=False,
    )
    claimed_until = models.DateTimeField(_("held until"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-declared_on", "-id"]
        constraints = [
            # Maker-checker: the reviewer is never the maker.
            models.CheckConstraint(
                name="declaration_reviewer_not_maker",
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("created_by")),
            ),
            models.CheckConstraint(
                name="declaration_reason_when_returned_or_rejected",
                condition=~Q(status__in=["returned", "rejected"]) | ~Q(status_reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="declaration_status_submitted"),
            # The verification queue's keyset order (oldest and newest first).
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status="submitted"),
                name="declaration_queue_order",
            ),
            # The verification queue filtered by basis or by maker, in its keyset order: the seek
            # reads only that basis's (maker's) rows instead of filtering the whole queue's walk.
            models.Index(
                fields=["basis", "submitted_at", "id"],
                condition=Q(status="submitted"),
                name="declaration_queue_basis",
            ),
            models.Index(
                fields=["created_by", "submitted_at", "id"],
                condition=Q(status="submitted"),
                name="declaration_queue_maker",
            ),
            # The other work queues' keyset orders (residents.queues), one per state.
            models.Index(
                fields=["reviewed_at", "id"],
                condition=Q(status="verified"),
                name="declaration_ack_order",
            ),
            models.Index(
                fields=["created_by", "reviewed_at", "id"],
                condition=Q(status="returned"),
                name="declaration_returned_order",
            ),
            models.Index(
                fields=["acknowledged_at", "id"],
                condition=Q(status="acknowledged"),
                name="declaration_due_order",
            ),
            # Filter by maker (the maker's list of returns reads it too).
            models.Index(fields=["created_by", "status"], name="declaration_maker_status"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_status_display()}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    # What pages ask of a declaration (they never compare its status themselves).
    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    @property
    def awaits_submission(self) -> bool:
        """A draft, or returned to its maker: to correct and submit."""
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def awaits_review(self) -> bool:
        """Submitted: a verifier may verify, return or reject it."""
        return self.can_move_to(self.Status.VERIFIED)

    @property
    def awaits_acknowledgement(self) -> bool:
        return self.can_move_to(self.Status.ACKNOWLEDGED)

    @property
    def is_changeable(self) -> bool:
        """Not yet rejected or acknowledged: its details and documents may still change."""
        return bool(self.TRANSITIONS[self.status])


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["file"],
    meta={"indexes": [models.Index(fields=["declaration"], name="docevent_declaration")]},
)
class DeclarationDocument(models.Model):
    """A supporting document uploaded with a declaration (PDF, JPEG or PNG, checked by content)."""

    class Check(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        ACCEPTED = "accepted", _("Accepted")
        ILLEGIBLE = "illegible", _("Illegible")
        MISSING = "missing", _("Missing or incomplete")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to="declarations/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Set by the verifier on the review screen: what the document is, and whether it holds.
    document_type = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document type"),
        db_index=False,
    )
    verdict = models.CharField(
        _("check"), max_length=12, choices=Check.choices, default=Check.UNCHECKED
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
        db_index=False,
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")

    def __str__(self) -> str:
        return self.original_name


class NameMatch(models.TextChoices):
    SPELLING = "spelling", _("Names spelt alike")
    SOUND = "sound", _("Names that sound alike")


def explain_match(kind: str, similarity: float) -> StrOrPromise:
    """A likely duplicate's reason, as the verifier reads it."""
    if kind == NameMatch.SOUND:
        return _(
            "Names that sound alike (another spelling or spacing), same date of birth and "
            "nationality"
        )
    return _("Name %(percent)s%% similar, same date of birth and nationality") % {
        "percent": round(similarity * 100)
    }


class LikelyDuplicateQuerySet(models.QuerySet):
    def open(self) -> LikelyDuplicateQuerySet:
        return self.filter(status=LikelyDuplicate.Status.OPEN)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    meta={
        "indexes": [
            models.Index(fields=["resident"], name="duplicateevent_resident"),
            models.Index(fields=["other"], name="duplicateevent_other"),
        ]
    },
)
class LikelyDuplicate(models.Model):
    """A resident who looks like another one (similar name, same birth date and nationality).

    Raised at entry for the verifier of `resident`; the verifier decides it is not a duplicate or
    confirms it (and the declaration is then rejected as a duplicate).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("To check")
        NOT_DUPLICATE = "not_duplicate", _("Not a duplicate")
        CONFIRMED = "confirmed", _("Confirmed duplicate")
        MERGED = "merged", _("Merged: the same person")

    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        related_name="duplicate_flags",
        verbose_name=_("resident"),
    )
    other = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="+", verbose_name=_("similar resident")
    )
    similarity = models.FloatField(_("name similarity"))
    # Why the names matched (the SQL function ims_name_match, migration 0007).
    match_kind = models.CharField(
        _("why the names match"), max_length=16, choices=NameMatch.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LikelyDuplicateQuerySet.as_manager()

    # Not stored: set by the duplicates pages' reads (residents.selectors).
    other_in_scope: bool
    comparison: list[Comparison]

    class Meta:
        verbose_name = _("likely duplicate")
        verbose_name_plural = _("likely duplicates")
        ordering = ["-similarity", "other_id"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "other"], name="likely_duplicate_once"),
            models.CheckConstraint(
                name="likely_duplicate_not_self", condition=~Q(resident=F("other"))
            ),
        ]
        indexes = [
            models.Index(
                fields=["resident"], condition=Q(status="open"), name="likely_duplicate_open"
            ),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="open"),
                name="likely_duplicate_queue_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} ~ {self.other_id}"

    @property
    def is_open(self) -> bool:
        """Still to decide (not yet judged a duplicate, a different person, or merged)."""
        return self.status == self.Status.OPEN

    @property
    def reason(self) -> StrOrPromise:
        """Why the two records matched, in the reader's language."""
        return explain_match(self.match_kind, self.similarity)


class CorrectionQuerySet(models.QuerySet):
    def open(self) -> CorrectionQuerySet:
        return self.filter(status=Correction.Status.REQUESTED)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["evidence"],
    meta={"indexes": [models.Index(fields=["resident"], name="correctionevent_resident")]},
)
class Correction(models.Model):
    """A change to an acknowledged or carded resident's record, asked by an officer.

    Such a record was checked once already (and may be printed on a card): it changes only when
    a verifier other than the officer who asked approves the request (residents.corrections).
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Correction requested")
        APPROVED = "approved", _("Correction approved")
        REFUSED = "refused", _("Correction refused")

    # The one table of allowed moves; residents.corrections goes through `can_move_to`.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.REQUESTED: frozenset({Status.APPROVED, Status.REFUSED}),
        Status.APPROVED: frozenset(),
        Status.REFUSED: frozenset(),
    }

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("resident")
    )
    # {field: [value before, value asked]}, as JSON (dates in ISO form, places by code).
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.TextField(_("reason for the correction"))
    evidence = models.FileField(_("evidence"), upload_to="corrections/%Y/%m/")
    evidence_name = models.CharField(_("evidence file"), max_length=200)
    evidence_type = models.CharField(max_length=40)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
        db_index=False,
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The effect on the card, when the approved change touched what the card prints.
    replaced_card = models.CharField(_("card replaced"), max_length=24, blank=True)
    new_card = models.CharField(_("new card"), max_length=24, blank=True)

    objects = CorrectionQuerySet.as_manager()

    # Not stored: the changes as the history reads them, set by residents.selectors.
    rows: list[HistoryChange]

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-id"]
        constraints = [
            # Maker-checker: whoever asked never decides.
            models.CheckConstraint(
                name="correction_decider_not_requester",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
            ),
            models.CheckConstraint(
                name="correction_reason_when_refused",
                condition=~Q(status="refused") | ~Q(decision_reason=""),
            ),
            # One open request per resident: a second would be decided against a stale record.
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status="requested"),
                name="correction_one_open_per_resident",
            ),
        ]
        indexes = [models.Index(fields=["resident", "-id"], name="correction_resident")]

    def __str__(self) -> str:
        return f"{self.resident_id} · {self.get_status_display()}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def badge_class(self) -> str:
        """The Bootstrap colour of its status badge."""
        colours: dict[str, str] = {
            self.Status.APPROVED: "text-bg-success",
            self.Status.REFUSED: "text-bg-danger",
        }
        return colours.get(self.status, "text-bg-info")


# --- The life of a record after its first card: end of residence, transfers, families --------
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["evidence"],
    meta={"indexes": [models.Index(fields=["resident"], name="endingevent_resident")]},
)
class ResidenceEnding(models.Model):
    """A request to end a residence (departure, death...): an officer asks, a verifier decides.

    On approval the resident's `residence_ended_on` is set and their card revoked
    (residents.endings); the record itself stays in the register.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.REQUESTED: frozenset({Status.APPROVED, Status.REFUSED, Status.WITHDRAWN}),
        Status.APPROVED: frozenset(),
        Status.REFUSED: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="endings", verbose_name=_("resident")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=EndReason.choices)
    ended_on = models.DateField(_("date residence ended"))
    notes = models.TextField(_("details"), blank=True)
    evidence = models.FileField(_("evidence document"), upload_to="endings/%Y/%m/")
    evidence_name = models.CharField(_("file name"), max_length=200)
    evidence_type = models.CharField(max_length=40)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
        db_index=False,
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("end of residence")
        verbose_name_plural = _("ends of residence")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status="requested"),
                name="ending_one_open_per_resident",
            ),
            models.CheckConstraint(
                name="ending_decider_not_requester",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
            ),
            models.CheckConstraint(
                name="ending_reason_when_refused",
                condition=~Q(status="refused") | ~Q(decision_reason=""),
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(status="requested"),
                name="ending_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} · {self.get_reason_display()}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    meta={"indexes": [models.Index(fields=["resident"], name="transferevent_resident")]},
)
class ProvinceTransfer(models.Model):
    """A move to another province office: proposed by the sender, decided by the receiver.

    Until it is accepted the record stays with the sending province; on acceptance the resident's
    `province` (its scope, its counts, its responsibility) becomes the receiving one.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.PROPOSED: frozenset({Status.ACCEPTED, Status.REFUSED, Status.WITHDRAWN}),
        Status.ACCEPTED: frozenset(),
        Status.REFUSED: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("resident")
    )
    from_province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from province"),
        db_index=False,
    )
    to_province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to province"),
        db_index=False,
    )
    reason = models.TextField(_("reason for the move"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
        db_index=False,
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("transfer between provinces")
        verbose_name_plural = _("transfers between provinces")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status="proposed"),
                name="transfer_one_open_per_resident",
            ),
            models.CheckConstraint(
                name="transfer_to_another_province", condition=~Q(to_province=F("from_province"))
            ),
            models.CheckConstraint(
                name="transfer_reason_when_refused",
                condition=~Q(status="refused") | ~Q(decision_reason=""),
            ),
        ]
        indexes = [
            # Each province's incoming and outgoing lists of open proposals.
            models.Index(
                fields=["to_province", "proposed_at"],
                condition=Q(status="proposed"),
                name="transfer_incoming",
            ),
            models.Index(
                fields=["from_province", "proposed_at"],
                condition=Q(status="proposed"),
                name="transfer_outgoing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}: {self.from_province_id} → {self.to_province_id}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


INVERSE_RELATION = {
    FamilyRelation.SPOUSE: FamilyRelation.SPOUSE,
    FamilyRelation.CHILD: FamilyRelation.PARENT,
    FamilyRelation.PARENT: FamilyRelation.CHILD,
}


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.DeleteEvent(),
    meta={
        "indexes": [
            models.Index(fields=["resident"], name="familyevent_resident"),
            models.Index(fields=["relative"], name="familyevent_relative"),
        ]
    },
)
class FamilyLink(models.Model):
    """`relative` is `resident`'s spouse, child or parent; the other record reads the inverse.

    One row per pair of people, whichever record it was entered from.
    """

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="family_links", verbose_name=_("resident")
    )
    relative = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        related_name="family_links_in",
        verbose_name=_("relative"),
    )
    relation = models.CharField(_("relation"), max_length=10, choices=FamilyRelation.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("family link")
        verbose_name_plural = _("family links")
        constraints = [
            models.CheckConstraint(
                name="family_link_not_self", condition=~Q(resident=F("relative"))
            ),
            models.UniqueConstraint(
                Least("resident", "relative"),
                Greatest("resident", "relative"),
                name="family_link_once_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.relation} {self.relative_id}"

    def relation_seen_from(self, resident_id: int) -> str:
        """What the other person is to `resident_id`: the relation, or its inverse."""
        if resident_id == self.resident_id:
            return self.relation
        return INVERSE_RELATION[FamilyRelation(self.relation)]


# The 'insert' and 'update' event models pghistory makes for the tracked models above, and sets
# on this module by name: declared here so that bulk writers (residents.bulk) import them.
ResidentEvent: type[models.Model]
TravelDocumentEvent: type[models.Model]
DeclarationEvent: type[models.Model]
