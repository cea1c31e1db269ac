"""Runs of the nightly jobs, the renewal notices they send, and the officers' notifications."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# The threshold of a notice about a card that has already expired.
EXPIRED = 0


class JobRun(models.Model):
    """One run of a job: when, what it changed, and why it failed if it did."""

    class Job(models.TextChoices):
        FLAG_CARD_EXPIRY = "flag_card_expiry", _("Flag expiring and expired cards")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        # Another worker held the job's lock: this one did nothing.
        SKIPPED = "skipped", _("Skipped (already running)")
        # Found still running by the next run: its worker died; the next run finished the work.
        INTERRUPTED = "interrupted", _("Interrupted")

    FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.SKIPPED, Status.INTERRUPTED)

    job = models.CharField(_("job"), max_length=40, choices=Job.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    # The day the run worked for (its "today"), in the project's time zone.
    run_for = models.DateField(_("for the day"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Null when the beat schedule started it.
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    task_id = models.CharField(max_length=64, blank=True)
    # Rows changed per state: {"expired": 3, "expiring": 12, "notices": 15, ...}.
    counts = models.JSONField(_("rows changed"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["job", "-id"], name="job_run_job"),
            models.Index(fields=["status", "-id"], name="job_run_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_job_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def badge_class(self) -> str:
        """The Bootstrap colour of its status badge."""
        colours: dict[str, str] = {
            self.Status.SUCCEEDED: "text-bg-success",
            self.Status.FAILED: "text-bg-danger",
            self.Status.INTERRUPTED: "text-bg-danger",
            self.Status.SKIPPED: "text-bg-secondary",
        }
        return colours.get(self.status, "text-bg-info")

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def changed(self) -> int:
        """Cards whose status the run changed."""
        return int(self.counts.get("expired", 0)) + int(self.counts.get("expiring", 0))


def threshold_label(threshold: int) -> str:
    if threshold == EXPIRED:
        return str(_("Expired"))
    return ngettext("Within %(days)d day", "Within %(days)d days", threshold) % {"days": threshold}


class RenewalNotice(models.Model):
    """A card that reached a renewal threshold: noticed once per card and threshold, ever.

    The unique constraint is what makes a second run (or two runs at once) notify nobody twice.
    A renewed card is replaced by a new one, whose own thresholds start afresh.
    """

    # The card, the province and the run have no index of their own: the indexes below start
    # with them, and the nightly job writes every index of thousands of notices a night.
    card = models.ForeignKey(
        "cards.ResidenceCard",
        on_delete=models.CASCADE,
        related_name="renewal_notices",
        verbose_name=_("card"),
        db_index=False,
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("resident"),
    )
    province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("province"),
        db_index=False,
    )
    # Days before expiry (90, 60, 30 by default), or 0 once the card has expired.
    threshold = models.PositiveSmallIntegerField(_("threshold"))
    expiry_date = models.DateField(_("expiry date"))
    created_at = models.DateTimeField(_("noticed at"), default=timezone.now)
    run = models.ForeignKey(
        JobRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notices",
        db_index=False,
    )

    class Meta:
        verbose_name = _("renewal notice")
        verbose_name_plural = _("renewal notices")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["card", "threshold"], name="renewal_notice_once"),
        ]
        indexes = [
            models.Index(fields=["province", "threshold", "-id"], name="renewal_notice_province"),
            models.Index(fields=["run", "province", "threshold"], name="renewal_notice_run"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} · {self.threshold}"

    @property
    def threshold_label(self) -> str:
        return threshold_label(self.threshold)


class Notification(models.Model):
    """An in-app message to one user, also e-mailed: cards to renew, or an event of their work.

    The nightly job's entries ("N residents' cards reached this threshold") carry a run, a
    threshold and a count; the others name one record (`target`) and what happened to it.
    """

    class Kind(models.TextChoices):
        RENEWAL = "renewal", _("Cards to renew")
        DECLARATION_RETURNED = "declaration_returned", _("Declaration returned")
        LIST_RETURNED = "list_returned", _("Province list returned")
        PRINT_RUN_FAILED = "print_run_failed", _("Print run failed")
        IMPORT_FAILED = "import_failed", _("Import failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(
        _("kind"), max_length=24, choices=Kind.choices, default=Kind.RENEWAL,
        db_default=Kind.RENEWAL,
    )  # fmt: skip
    # Null for a national print run; the in-app list shows an entry only within its reader's scope.
    province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("province"),
    )
    threshold = models.PositiveSmallIntegerField(_("threshold"), null=True, blank=True)
    count = models.PositiveIntegerField(_("residents"), default=0, db_default=0)
    run = models.ForeignKey(
        JobRun,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
        verbose_name=_("job run"),
    )
    # The record an event is about (a declaration, province list, print run or import batch),
    # and which occurrence of it ("<id>:<version>"): one notification per recipient and event.
    target = models.PositiveBigIntegerField(_("record"), null=True, blank=True)
    event_key = models.CharField(max_length=64, blank=True, default="", db_default="")
    detail = models.JSONField(default=dict, blank=True, db_default={})
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            # A run adds the counts of its chunks into one notification per officer and threshold.
            models.UniqueConstraint(
                fields=["recipient", "run", "province", "threshold"], name="notification_once"
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "event_key"],
                condition=~Q(kind="renewal"),
                name="notification_event_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient"),
            models.Index(
                fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
            models.Index(
                fields=["run"],
                name="notification_not_emailed",
                condition=Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def threshold_label(self) -> str:
        return "" if self.threshold is None else threshold_label(self.threshold)

    @property
    def text(self) -> str:
        detail = self.detail or {}
        if self.kind == self.Kind.DECLARATION_RETURNED:
            return _("Declaration %(declaration)s of %(name)s was returned to you: %(reason)s") % {
                "declaration": self.target, "name": detail.get("name", ""),
                "reason": detail.get("reason", ""),
            }  # fmt: skip
        if self.kind == self.Kind.LIST_RETURNED:
            return _("HQ returned the list of %(province)s: %(reason)s") % {
                "province": self.province.name if self.province else "",
                "reason": detail.get("reason", ""),
            }
        if self.kind == self.Kind.PRINT_RUN_FAILED:
            return _("Print run %(run)s failed: build it again or retry it.") % {"run": self.target}
        if self.kind == self.Kind.IMPORT_FAILED:
            return _("The import of %(file)s failed: see why, then upload it again.") % {
                "file": detail.get("file", "")
            }
        if self.threshold == EXPIRED:
            return ngettext(
                "The card of %(count)d resident has expired: renew it.",
                "The cards of %(count)d residents have expired: renew them.",
                self.count,
            ) % {"count": self.count}
        return ngettext(
            "The card of %(count)d resident expires within %(days)d days: renew it.",
            "The cards of %(count)d residents expire within %(days)d days: renew them.",
            self.count,
        ) % {"count": self.count, "days": self.threshold}

    @property
    def link(self) -> str:
        """The record the notification is about (its page checks the reader's scope again)."""
        detail = self.detail or {}
        if self.kind == self.Kind.DECLARATION_RETURNED:
            return reverse("residents:detail", args=[detail.get("resident", 0)])
        if self.kind == self.Kind.LIST_RETURNED:
            return reverse("provinces:detail", args=[self.province_id])
        if self.kind == self.Kind.PRINT_RUN_FAILED:
            return reverse("cards:print-run-detail", args=[self.target])
        if self.kind == self.Kind.IMPORT_FAILED:
            return reverse("imports:batch-detail", args=[self.target])
        return f"{reverse('jobs:renewals')}?stage={self.threshold}&run={self.run_id}"


class PassportExpiryFlag(models.Model):
    """A resident whose current passport expires before their current card: flagged once.

    Once per card and passport: a new passport (or a new card) that still falls short is
    flagged afresh; the unique constraint makes a second run (or two at once) flag nobody twice.
    """

    card = models.ForeignKey(
        "cards.ResidenceCard",
        on_delete=models.CASCADE,
        related_name="passport_flags",
        verbose_name=_("card"),
    )
    document = models.ForeignKey(
        "residents.TravelDocument",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("passport"),
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.CASCADE,
        related_name="passport_flags",
        verbose_name=_("resident"),
    )
    province = models.ForeignKey(
        "provinces.Province", on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    passport_expiry = models.DateField(_("passport expiry date"))
    card_expiry = models.DateField(_("card expiry date"))
    created_at = models.DateTimeField(_("flagged at"), default=timezone.now)
    run = models.ForeignKey(
        JobRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="passport_flags"
    )

    class Meta:
        verbose_name = _("passport expiring before the card")
        verbose_name_plural = _("passports expiring before the card")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["card", "document"], name="passport_flag_once"),
        ]
        indexes = [
            models.Index(fields=["resident", "-id"], name="passport_flag_resident"),
            models.Index(fields=["province", "-id"], name="passport_flag_province"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} · {self.passport_expiry}"
