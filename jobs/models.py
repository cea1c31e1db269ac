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
    """An in-app message to one officer: "N residents' cards reached this threshold"."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    province = models.ForeignKey(
        "provinces.Province", on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    threshold = models.PositiveSmallIntegerField(_("threshold"))
    count = models.PositiveIntegerField(_("residents"))
    run = models.ForeignKey(
        JobRun, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("job run")
    )
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
        return threshold_label(self.threshold)

    @property
    def text(self) -> str:
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
        return f"{reverse('jobs:renewals')}?stage={self.threshold}&run={self.run_id}"
