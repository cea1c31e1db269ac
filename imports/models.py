"""Import batches of the provinces' spreadsheets, their row problems, and the log of exports."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.queue import STALLED_AFTER
from residents.models import TravelDocument

# The context of an export's encrypted query (imports.services encrypts and decrypts it).
EXPORT_QUERY_CONTEXT = "imports.export.query"


class ImportBatch(models.Model):
    """One uploaded file: validated first (dry run), then committed by the officer."""

    # Not stored: set on a failed batch by the jobs page's reader (jobs.selectors).
    reason: str

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Checked, waiting for import")
        COMMIT_QUEUED = "commit_queued", _("Import queued")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Refused")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    RUNNING = (Status.VALIDATING, Status.COMMIT_QUEUED)

    province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=_("province"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    # Encrypted at rest (imports.files); emptied when its retention runs out.
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.VALIDATING
    )
    # Why a whole file was refused (already translated when shown: stored as msgid + params).
    failure_code = models.CharField(max_length=40, blank=True)
    failure_params = models.JSONField(default=dict, blank=True)
    unknown_columns = models.JSONField(default=list, blank=True)
    # The row taken as the header (title lines above it are skipped), and the lines under the
    # list that are not data (footers: "Prepared by", signatures, totals), as [row, text].
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    skipped_lines = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    ok_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows in error"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("duplicate rows"), default=0)
    accepted_rows = models.PositiveIntegerField(_("accepted"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected"), default=0)
    validated_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # When the batch was last handed to the workers: one still running a while later, with no
    # worker on it, is sent again by the sweep (gdi_ims.queue).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # The likely duplicates of the imported residents are flagged after the commit, by a task of
    # its own (services.import_flag_duplicates): set when it is done. A committed batch without
    # it a while later is sent again by the sweep.
    duplicates_flagged_at = models.DateTimeField(
        _("likely duplicates flagged at"), null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["province", "-created_at"], name="import_batch_province")]
        constraints = [
            # Every row of a committed file ends accepted, rejected or duplicate.
            models.CheckConstraint(
                name="import_batch_counts_add_up",
                condition=~models.Q(status="committed")
                | models.Q(
                    total_rows=models.F("accepted_rows")
                    + models.F("rejected_rows")
                    + models.F("duplicate_rows")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%d-%m-%Y})"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def is_committed(self) -> bool:
        return self.status == self.Status.COMMITTED

    @property
    def is_checked(self) -> bool:
        """Checked, or checked and imported: its counts of rows are known."""
        return self.status in (self.Status.VALIDATED, self.Status.COMMITTED)


class ImportIssue(models.Model):
    """A row in error or a duplicate, as found by the last check of its batch."""

    class Kind(models.TextChoices):
        ERROR = "error", _("Error")
        DUPLICATE = "duplicate", _("Duplicate")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    column = models.CharField(_("column"), max_length=40, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    # A key of imports.messages.REASONS, rendered in the reader's language when shown.
    code = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["batch", "kind", "row_number"], name="import_issue_batch")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number} {self.code}"

    @property
    def column_label(self) -> str:
        from imports.columns import BY_KEY

        column = BY_KEY.get(self.column)
        return str(column.label) if column else ""

    @property
    def reason(self) -> str:
        from imports.messages import render

        return render(self.code, self.params)

    @property
    def fix(self) -> str:
        from imports.messages import fix

        return fix(self.code, self.params)


class ImportedResident(models.Model):
    """Which resident each accepted row of a batch became (the batch's list, and its audit)."""

    # Looked up through the (batch, row_number) constraint's index. Checked once per statement
    # (migration 0011), not by a foreign key's check of each of the batch's rows.
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.CASCADE,
        related_name="imported",
        db_index=False,
        db_constraint=False,
    )
    row_number = models.PositiveIntegerField(_("row"))
    resident = models.OneToOneField(
        "residents.Resident", on_delete=models.CASCADE, related_name="import_record"
    )

    class Meta:
        ordering = ["row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="imported_row_once")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number} -> {self.resident_id}"


class ExportLog(models.Model):
    """Every export of residents: who, when, with which filters, how many rows.

    A CSV export streams within its request and is done when logged; an XLSX export is built
    by a task on the reports queue (queued, building, then ready with its file, or failed),
    its progress in `rows_written`. One left building with no progress for a while (its worker
    died) is queued again by the sweep (gdi_ims.queue), and a stuck or failed one may be asked
    again by its maker: `attempts` counts the builds begun.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    # The only moves an export makes (ExportLog.move_to guards them).
    # Back to queued: a build whose worker stopped moving, or a failed one asked again.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.QUEUED: frozenset({Status.BUILDING, Status.FAILED}),
        Status.BUILDING: frozenset({Status.READY, Status.FAILED, Status.QUEUED}),
        Status.READY: frozenset(),
        Status.FAILED: frozenset({Status.QUEUED}),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    province = models.ForeignKey(
        "provinces.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scope"),
    )
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.READY
    )
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    # The filters as the task applies them, a searched passport number included: encrypted
    # (core.crypto), since `filters` (and the audit trail) must never hold one.
    query_encrypted = crypto.EncryptedTextField(
        blank=True, default="", context=EXPORT_QUERY_CONTEXT
    )
    file = models.FileField(_("file"), upload_to="exports/", blank=True, default="")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # When the export last moved (queued, a build begun, a chunk of rows written): one queued or
    # building that has not moved for a while has no worker on it.
    moved_at = models.DateTimeField(_("last moved at"), null=True, blank=True)
    # Builds begun; a build writes its progress and its file only while it is the latest one.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            # The sweep's look-up of exports waiting on a worker (a handful at any time).
            models.Index(
                fields=["moved_at"],
                name="export_log_unfinished",
                condition=models.Q(status__in=["queued", "building"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.file_format} {self.row_count}"

    # What the reader may do with it, set where it is listed (imports.services.export_actions).
    can_download: bool
    can_retry: bool

    @property
    def is_streamed(self) -> bool:
        """A CSV export: streamed within its request, done once logged (no build, no file)."""
        return self.file_format == self.Format.CSV

    @property
    def is_pending(self) -> bool:
        """Queued or being built: its page keeps asking for its progress."""
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_building(self) -> bool:
        return self.status == self.Status.BUILDING

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    def move_to(self, status: str) -> None:
        """Set the status, refusing any move the transition table does not list."""
        if status not in self.TRANSITIONS[self.status]:
            raise ValueError(f"an export cannot go from {self.status} to {status}")
        self.status = status

    @staticmethod
    def stalled_after() -> dt.timedelta:
        """How long a build may go without writing a chunk before its worker is taken for dead."""
        from imports import conf

        return dt.timedelta(minutes=conf.get("EXPORT_STALLED_MINUTES"))

    def is_stuck(self, *, now: dt.datetime | None = None) -> bool:
        """Queued and never started, or building with no chunk written, for a while."""
        if self.status == self.Status.QUEUED:
            quiet = STALLED_AFTER
        elif self.status == self.Status.BUILDING:
            quiet = self.stalled_after()
        else:
            return False
        moved = self.moved_at or self.created_at
        return bool(moved and moved < (now or timezone.now()) - quiet)

    @property
    def stuck(self) -> bool:
        return self.is_stuck()

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return min(100, self.rows_written * 100 // self.row_count) if self.row_count else 0


class StagedRow(models.Model):
    """A row the dry run found valid, cleaned and ready to write; the commit reads and deletes it.

    The commit writes residents from these rows with a few INSERT ... SELECT statements instead of
    parsing and checking the file again; it re-checks only what the database may have changed in
    between (duplicates). The table is UNLOGGED (written once, read once, never replicated): after
    a database crash it comes back empty, and the commit then checks the file again.
    """

    # Looked up through the (batch, row_number) constraint's index.
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    row_number = models.PositiveIntegerField()
    surname = models.CharField(max_length=100)
    given_names = models.CharField(max_length=150)
    name_km = models.CharField(max_length=150)
    name_native = models.CharField(max_length=150)
    # Resident.search_name, and the key of the same-person check (surname and given names only).
    search_name = models.CharField(max_length=300)
    person_name = models.CharField(max_length=300)
    sex = models.CharField(max_length=1)
    date_of_birth = models.DateField()
    place_of_birth = models.CharField(max_length=150)
    nationality = models.CharField(max_length=2)
    phone = models.CharField(max_length=40)
    occupation = models.CharField(max_length=120)
    employer = models.CharField(max_length=150)
    arrival_date = models.DateField(null=True)
    district = models.CharField(max_length=8)
    commune = models.CharField(max_length=8)
    village = models.CharField(max_length=150)
    street = models.CharField(max_length=200)
    passport_country = models.CharField(max_length=2)
    # As TravelDocument.number_encrypted (its context and blind index): the commit copies both.
    passport_encrypted = crypto.EncryptedTextField(
        context=TravelDocument.ENCRYPTION_CONTEXT, index_field="passport_index"
    )
    passport_index = models.CharField(max_length=64)
    passport_issue_date = models.DateField(null=True)
    passport_expiry_date = models.DateField(null=True)
    basis_id = models.BigIntegerField()
    # Empty when the file gave no date: the declaration is then dated the day of the commit.
    declared_on = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="staged_row_once")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"
