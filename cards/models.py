"""Permanent residence cards, their events, and the print runs that put them on plastic."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A card "expires soon" (and may be renewed) when its last valid day is at most this many days away.
EXPIRING_WINDOW_DAYS = 90


def expiry_date_for(issue_date: dt.date) -> dt.date:
    """Last valid day of a card issued on `issue_date`: the day before the second anniversary.

    The rule GDI applies for "valid for two years". A card issued on 29 February has its second
    anniversary on 1 March (no 29 February two years later), so it is valid through 28 February.
    """
    try:
        anniversary = issue_date.replace(year=issue_date.year + 2)
    except ValueError:  # 29 February
        anniversary = dt.date(issue_date.year + 2, 3, 1)
    return anniversary - dt.timedelta(days=1)


def new_token() -> str:
    """The secret the QR code carries: 192 random bits, never derived from the card's id."""
    return secrets.token_urlsafe(24)


class ResidenceCardQuerySet(models.QuerySet):
    def current(self) -> ResidenceCardQuerySet:
        """Cards that are the resident's card of record (at most one per resident)."""
        return self.filter(status__in=ResidenceCard.CURRENT_STATUSES)

    def in_province(self, province_code: str) -> ResidenceCardQuerySet:
        return self.filter(province_id=province_code)

    def expiring_before(self, day: dt.date) -> ResidenceCardQuerySet:
        """Current cards whose last valid day falls before `day` (not yet marked expired).

        `expiring_before(today)` are the cards that have expired; `expiring_before(today + 91
        days)` those within the 90-day window.
        """
        return self.current().filter(expiry_date__lt=day)

    def expired_on(self, day: dt.date) -> ResidenceCardQuerySet:
        """Cards no longer valid on `day` by date alone (current ones past expiry, or expired)."""
        return self.filter(
            Q(status=ResidenceCard.Status.EXPIRED)
            | Q(status__in=ResidenceCard.CURRENT_STATUSES, expiry_date__lt=day)
        )

    def renewable_on(self, day: dt.date) -> ResidenceCardQuerySet:
        """Cards that may be renewed on `day`: expiring within the window, or expired."""
        window_end = day + dt.timedelta(days=EXPIRING_WINDOW_DAYS)
        return self.filter(
            status__in=[*ResidenceCard.CURRENT_STATUSES, ResidenceCard.Status.EXPIRED],
            expiry_date__lte=window_end,
        )

    def not_printed(self) -> ResidenceCardQuerySet:
        return self.filter(status=ResidenceCard.Status.ISSUED)


class ResidenceCard(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PRINTED = "printed", _("Printed")
        ACTIVE = "active", _("Handed over")
        EXPIRING = "expiring", _("Expiring")
        EXPIRED = "expired", _("Expired")
        REPLACED = "replaced", _("Replaced")
        REVOKED = "revoked", _("Revoked")

    class Validity(models.TextChoices):
        """What a validity check answers, computed from the status and today's date."""

        VALID = "valid", _("Valid")
        EXPIRING = "expiring", _("Valid, expiring soon")
        # Issued or printed but still with GDI: whoever shows it did not receive it from GDI.
        NOT_HANDED_OVER = "not_handed_over", _("Not yet issued to its holder")
        EXPIRED = "expired", _("Expired")
        REPLACED = "replaced", _("Replaced")
        REVOKED = "revoked", _("Revoked")

    CURRENT_STATUSES: ClassVar[tuple[str, ...]] = (
        Status.ISSUED,
        Status.PRINTED,
        Status.ACTIVE,
        Status.EXPIRING,
    )
    # A lost or damaged card can be replaced once it exists on plastic and is still in force.
    REPLACEABLE_STATUSES: ClassVar[tuple[str, ...]] = (
        Status.PRINTED,
        Status.ACTIVE,
        Status.EXPIRING,
    )
    # The one table of allowed moves; every service goes through `can_move_to`.
    # The nightly job moves ACTIVE -> EXPIRING and any current status -> EXPIRED.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.ISSUED: frozenset({Status.PRINTED, Status.EXPIRED, Status.REPLACED, Status.REVOKED}),
        # A spoiled print sends the card back to ISSUED, to be printed again.
        Status.PRINTED: frozenset(
            {Status.ACTIVE, Status.ISSUED, Status.EXPIRED, Status.REPLACED, Status.REVOKED}
        ),
        Status.ACTIVE: frozenset(
            {Status.EXPIRING, Status.EXPIRED, Status.REPLACED, Status.REVOKED}
        ),
        Status.EXPIRING: frozenset({Status.EXPIRED, Status.REPLACED, Status.REVOKED}),
        Status.EXPIRED: frozenset({Status.REPLACED, Status.REVOKED}),
        Status.REPLACED: frozenset(),
        Status.REVOKED: frozenset(),
    }

    number = models.CharField(_("card number"), max_length=24, unique=True, editable=False)
    # No index of its own for the resident nor the province: card_resident and
    # card_province_status start with them. Each index is written again at every status move
    # (the nightly job moves thousands of cards a night), so none is kept twice.
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name=_("resident"),
        db_index=False,
    )
    declaration = models.ForeignKey(
        "residents.Declaration",
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name=_("declaration"),
    )
    # The issuing office (the resident's province at issue time): scopes every query.
    province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name=_("issuing province"),
        db_index=False,
    )
    issue_date = models.DateField(_("issue date"))
    expiry_date = models.DateField(_("expiry date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    status_reason = models.TextField(_("reason"), blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement",
        verbose_name=_("replaces card"),
    )
    # Unique by a constraint (card_token_unique), not unique=True, which would add a second,
    # pattern-matching index that no query uses (a token is only ever looked up whole).
    token = models.CharField(max_length=64, default=new_token, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handed_over_to = models.CharField(_("handed over to"), max_length=200, blank=True)

    objects = ResidenceCardQuerySet.as_manager()

    # Not stored: set on each row of the renewals page by jobs.views._describe.
    days_left: int
    stage_label: str
    new_card: ResidenceCard | None
    renewal_state: str
    renewal_label: str

    class Meta:
        verbose_name = _("residence card")
        verbose_name_plural = _("residence cards")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["token"], name="card_token_unique"),
            # At most one valid card per resident, whatever the code path.
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status__in=["issued", "printed", "active", "expiring"]),
                name="card_one_current_per_resident",
            ),
            models.CheckConstraint(
                name="card_expiry_not_before_issue",
                condition=Q(expiry_date__gte=models.F("issue_date")),
            ),
            models.CheckConstraint(
                name="card_reason_when_revoked",
                condition=~Q(status="revoked") | ~Q(status_reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["province", "status", "-id"], name="card_province_status"),
            models.Index(fields=["status", "expiry_date"], name="card_status_expiry"),
            # The nightly job's cards issued since its last run (jobs.services._notice_chunk):
            # with it, each night reads the few cards that changed, never the whole window.
            models.Index(fields=["created_at"], name="card_created_at"),
            models.Index(fields=["resident", "-id"], name="card_resident"),
        ]

    def __str__(self) -> str:
        return self.number

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def is_current(self) -> bool:
        return self.status in self.CURRENT_STATUSES

    def validity_on(self, day: dt.date) -> str:
        """Answer of a validity check on `day`: only a card handed over to its holder is valid.

        A replaced or revoked card is never valid; nor is one still on the print floor (issued or
        printed), which nobody should be holding yet. Computed from the dates, so a card is shown
        expired on the day after its expiry date even if the nightly job has not run yet.
        """
        if self.status == self.Status.REVOKED:
            return self.Validity.REVOKED
        if self.status == self.Status.REPLACED:
            return self.Validity.REPLACED
        if self.status == self.Status.EXPIRED or day > self.expiry_date:
            return self.Validity.EXPIRED
        if self.status in (self.Status.ISSUED, self.Status.PRINTED):
            return self.Validity.NOT_HANDED_OVER
        if self.expiry_date <= day + dt.timedelta(days=EXPIRING_WINDOW_DAYS):
            return self.Validity.EXPIRING
        return self.Validity.VALID

    def is_valid_on(self, day: dt.date) -> bool:
        return self.validity_on(day) in (self.Validity.VALID, self.Validity.EXPIRING)

    def is_renewable_on(self, day: dt.date) -> bool:
        return self.status in (
            *self.CURRENT_STATUSES,
            self.Status.EXPIRED,
        ) and self.expiry_date <= day + dt.timedelta(days=EXPIRING_WINDOW_DAYS)


class CardEvent(models.Model):
    """One row per thing that happened to a card, with who did it and when."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PRINTED = "printed", _("Printed")
        REPRINTED = "reprinted", _("Reprinted")
        SPOILED = "spoiled", _("Spoiled")
        HANDED_OVER = "handed_over", _("Handed over")
        RENEWED = "renewed", _("Renewed")
        REPLACED = "replaced", _("Replaced")
        REVOKED = "revoked", _("Revoked")
        VERIFIED = "verified", _("Validity checked")
        # For the nightly job: a card it marks as expiring soon, or as expired.
        MARKED_EXPIRING = "marked_expiring", _("Marked as expiring")
        MARKED_EXPIRED = "marked_expired", _("Marked as expired")

    # No index of its own: card_event_card_at starts with the card.
    card = models.ForeignKey(
        ResidenceCard,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("card"),
        db_index=False,
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    # Null for a check made by the public through the QR code.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    print_run = models.ForeignKey(
        "PrintRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # Not stored: set on a check's event by the card page (cards.views.card_detail).
    result_label: StrOrPromise

    class Meta:
        verbose_name = _("card event")
        verbose_name_plural = _("card events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["card", "-at"], name="card_event_card_at")]

    def __str__(self) -> str:
        return f"{self.card} · {self.get_kind_display()}"


class PrintRun(models.Model):
    """A batch of cards printed together, rendered into one PDF by a Celery task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Selection(models.TextChoices):
        NOT_PRINTED = "not_printed", _("All issued cards not yet printed")
        PROVINCE = "province", _("Issued cards of one province")
        PICKED = "picked", _("Hand-picked cards")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the run was last handed to the workers (created, or tried again): a run still queued
    # a while later is sent again by the sweep (gdi_ims.queue).
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    # Set when every card of the run belongs to one province: what scopes a provincial clerk.
    province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    selection = models.CharField(_("selection"), max_length=16, choices=Selection.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("cards"), default=0)
    progress = models.PositiveIntegerField(_("cards rendered"), default=0)
    pdf = models.FileField(_("PDF"), upload_to="print-runs/%Y/%m/", blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    cards = models.ManyToManyField(
        ResidenceCard, through="PrintRunCard", related_name="print_runs", verbose_name=_("cards")
    )

    class Meta:
        verbose_name = _("print run")
        verbose_name_plural = _("print runs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["province", "-id"], name="print_run_province")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def percent(self) -> int:
        return round(100 * self.progress / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class PrintRunCard(models.Model):
    print_run = models.ForeignKey(PrintRun, on_delete=models.CASCADE, related_name="entries")
    card = models.ForeignKey(ResidenceCard, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    # Filled when the card had been printed before: a reprint needs a reason.
    reprint_reason = models.TextField(_("reprint reason"), blank=True)
    # True while the run is queued or rendering; cleared when it is done or has failed. The
    # database lets a card be in one open run at a time, whatever the clerks do at once.
    open = models.BooleanField(default=True)

    class Meta:
        ordering = ["print_run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["print_run", "card"], name="print_run_card_once"),
            models.UniqueConstraint(
                fields=["card"], condition=models.Q(open=True), name="print_run_card_one_open_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.print_run_id}/{self.position}"
