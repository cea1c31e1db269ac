"""The compilation of the province lists: HQ's target and status per province, the steps taken,
and the dashboard's figures (summaries and daily snapshots).

The tables keep the names they had when the compilation lived in `provinces` (`Meta.db_table`):
the models moved, the data did not.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from provinces.models import District, Province


class ProvinceCompilation(models.Model):
    """Where a province's list stands: HQ's target, its status, and who moved it last.

    One row per province, created on first use. The status changes only through
    `compilation.services` (one function per step), each writing a `ProvinceListEvent`.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted to HQ")
        UNDER_REVIEW = "under_review", _("Under review")
        FINISHED = "finished", _("Finished")
        RETURNED = "returned", _("Returned")
        REOPENED = "reopened", _("Reopened by HQ")

    # The one table of allowed moves. HQ may also sign off from any unfinished status, but only
    # with a recorded override reason (see services.province_list_sign_off).
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.IN_PROGRESS: frozenset({Status.SUBMITTED}),
        Status.SUBMITTED: frozenset({Status.UNDER_REVIEW, Status.FINISHED, Status.RETURNED}),
        Status.UNDER_REVIEW: frozenset({Status.FINISHED, Status.RETURNED}),
        Status.RETURNED: frozenset({Status.SUBMITTED}),
        # A finished list holds its records (compilation.hold) until HQ deliberately reopens it,
        # with a reason; the province then works on it and submits it again.
        Status.FINISHED: frozenset({Status.REOPENED}),
        Status.REOPENED: frozenset({Status.SUBMITTED}),
    }

    province = models.OneToOneField(
        Province,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="compilation",
        verbose_name=_("province"),
    )
    estimated_residents = models.PositiveIntegerField(_("estimated residents"), default=0)
    status = models.CharField(
        _("list status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed off by"),
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    override_reason = models.TextField(_("override reason"), blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reopened by"),
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "provinces_provincecompilation"
        verbose_name = _("province compilation")
        verbose_name_plural = _("province compilations")
        ordering = ["province"]
        constraints = [
            models.CheckConstraint(
                name="compilation_finished_has_sign_off",
                condition=~Q(status="finished") | Q(signed_off_at__isnull=False),
            ),
            models.CheckConstraint(
                name="compilation_returned_has_reason",
                condition=~Q(status="returned") | ~Q(return_reason=""),
            ),
            models.CheckConstraint(
                name="compilation_reopened_has_reason",
                condition=~Q(status="reopened") | ~Q(reopen_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} · {self.get_status_display()}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    @property
    def is_held(self) -> bool:
        """Signed off: the province's records are held until HQ reopens the list."""
        return self.status == self.Status.FINISHED

    @property
    def can_sign_off(self) -> bool:
        """HQ may sign off any unfinished list (from a status the table does not name, with an
        override reason: services.province_list_sign_off)."""
        return not self.is_held

    @property
    def is_returned(self) -> bool:
        return self.status == self.Status.RETURNED

    @property
    def is_reopened(self) -> bool:
        return self.status == self.Status.REOPENED


class ProvinceListEvent(models.Model):
    """One row per step of a province list: who did what, when, why."""

    class Kind(models.TextChoices):
        ESTIMATE_SET = "estimate_set", _("Estimate set")
        SUBMITTED = "submitted", _("Submitted to HQ")
        REVIEW_STARTED = "review_started", _("Review started")
        SIGNED_OFF = "signed_off", _("Signed off")
        SIGNED_OFF_OVERRIDE = "signed_off_override", _("Signed off by HQ override")
        RETURNED = "returned", _("Returned")
        REOPENED = "reopened", _("Reopened by HQ")

    province = models.ForeignKey(
        Province, on_delete=models.CASCADE, related_name="list_events", verbose_name=_("province")
    )
    kind = models.CharField(_("step"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        db_table = "provinces_provincelistevent"
        verbose_name = _("province list event")
        verbose_name_plural = _("province list events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["province", "-at"], name="province_event_at")]

    def __str__(self) -> str:
        return f"{self.province_id} · {self.get_kind_display()}"

    @property
    def is_estimate_change(self) -> bool:
        """An estimate set: its details hold the figure before and after."""
        return self.kind == self.Kind.ESTIMATE_SET


class SummaryCounts(models.Model):
    """The figures shared by the summaries and the snapshots."""

    residents = models.PositiveIntegerField(_("entered"), default=0)
    draft = models.PositiveIntegerField(_("draft"), default=0)
    submitted = models.PositiveIntegerField(_("submitted"), default=0)
    returned = models.PositiveIntegerField(_("returned"), default=0)
    verified = models.PositiveIntegerField(_("verified"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    acknowledged = models.PositiveIntegerField(_("acknowledged"), default=0)
    cards_issued = models.PositiveIntegerField(_("cards issued"), default=0)
    cards_printed = models.PositiveIntegerField(_("cards printed"), default=0)
    cards_active = models.PositiveIntegerField(_("cards handed over"), default=0)
    cards_expiring = models.PositiveIntegerField(_("cards expiring"), default=0)
    cards_expired = models.PositiveIntegerField(_("cards expired"), default=0)
    cards_total = models.PositiveIntegerField(_("cards ever issued"), default=0)

    class Meta:
        abstract = True

    @property
    def compiled(self) -> int:
        """Records through verification: verified or already acknowledged."""
        return self.verified + self.acknowledged


class ProvinceSummary(SummaryCounts):
    """The dashboard's figures for one province, rewritten by one set-based statement.

    Never a live aggregate per request: `services.province_summary_refresh` rewrites every row.
    """

    province = models.OneToOneField(
        Province, primary_key=True, on_delete=models.CASCADE, related_name="summary"
    )
    # Records changed after the province list was signed off (0 when not signed off).
    changed_since_sign_off = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "provinces_provincesummary"
        verbose_name = _("province summary")
        verbose_name_plural = _("province summaries")

    def __str__(self) -> str:
        return f"{self.province_id}: {self.residents}"


class DistrictSummary(SummaryCounts):
    """The same figures per (responsible province, district of address)."""

    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "provinces_districtsummary"
        verbose_name = _("district summary")
        verbose_name_plural = _("district summaries")
        constraints = [
            models.UniqueConstraint(fields=["province", "district"], name="district_summary_unique")
        ]

    def __str__(self) -> str:
        return f"{self.province_id}/{self.district_id}: {self.residents}"


class NationalitySummary(models.Model):
    """Residents per (province, nationality), for the nationality chart."""

    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    nationality = models.CharField(max_length=2)
    residents = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "provinces_nationalitysummary"
        constraints = [
            models.UniqueConstraint(
                fields=["province", "nationality"], name="nationality_summary_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.province_id}/{self.nationality}: {self.residents}"


class DailySnapshot(SummaryCounts):
    """A province's figures as they stood on one day: the trend charts read these."""

    day = models.DateField(_("day"))
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField()

    class Meta:
        db_table = "provinces_dailysnapshot"
        verbose_name = _("daily snapshot")
        verbose_name_plural = _("daily snapshots")
        ordering = ["day", "province"]
        constraints = [
            models.UniqueConstraint(fields=["day", "province"], name="daily_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day:%d-%m-%Y} {self.province_id}: {self.residents}"
