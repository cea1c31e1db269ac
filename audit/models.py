"""The audit trail: one append-only, hash-chained table of security-relevant actions.

Rows are never updated or deleted: the application's database role holds only SELECT and INSERT
on the table, a PostgreSQL trigger refuses UPDATE, DELETE and TRUNCATE to everyone else (see
migration 0002), and each row carries a keyed hash (audit.chain) over its predecessor's, so
`manage.py verify_audit` detects a row altered or removed by someone able to bypass both, even
one who re-hashed what they changed, and the anchors outside the database show a removed tail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.chain import GENESIS_HASH, chain_hash

__all__ = ["GENESIS_HASH", "AuditEvent"]


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        # Sign-in and accounts
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        SIGN_OUT = "sign_out", _("Signed out")
        SESSION_EXPIRED = "session_expired", _("Session ended (time limit)")
        OTP_ENROLLED = "otp_enrolled", _("Two-factor sign-in set up")
        OTP_VERIFIED = "otp_verified", _("Two-factor code accepted")
        OTP_FAILED = "otp_failed", _("Two-factor code refused")
        OTP_RESET = "otp_reset", _("Two-factor device removed")
        USER_CREATED = "user_created", _("User created")
        USER_CHANGED = "user_changed", _("User changed")
        ROLE_CHANGED = "role_changed", _("Role or scope changed")
        USER_DEACTIVATED = "user_deactivated", _("User deactivated")
        USER_DELETED = "user_deleted", _("User deleted")
        USER_INVITED = "user_invited", _("Invitation sent")
        USER_REACTIVATED = "user_reactivated", _("User reactivated")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
        RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("Recovery codes generated")
        OTHER_SESSIONS_ENDED = "other_sessions_ended", _("Other sessions signed out")
        # Residents and declarations
        RESIDENT_VIEWED = "resident_viewed", _("Resident record viewed")
        PHOTO_VIEWED = "photo_viewed", _("Photo viewed")
        DOCUMENT_VIEWED = "document_viewed", _("Document viewed")
        DOCUMENT_CHECKED = "document_checked", _("Supporting document checked")
        RESIDENT_CREATED = "resident_created", _("Resident created")
        RESIDENT_CHANGED = "resident_changed", _("Resident changed")
        DECLARATION_SUBMITTED = "declaration_submitted", _("Declaration submitted")
        DECLARATION_VERIFIED = "declaration_verified", _("Declaration verified")
        DECLARATION_RETURNED = "declaration_returned", _("Declaration returned")
        DECLARATION_REJECTED = "declaration_rejected", _("Declaration rejected")
        DECLARATION_ACKNOWLEDGED = "declaration_acknowledged", _("Declaration acknowledged")
        DUPLICATE_RESOLVED = "duplicate_resolved", _("Duplicate resolved")
        DECLARATION_CREATED = "declaration_created", _("Declaration entered")
        CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
        CORRECTION_APPROVED = "correction_approved", _("Correction approved")
        CORRECTION_REFUSED = "correction_refused", _("Correction refused")
        PASSPORT_REPLACED = "passport_replaced", _("New passport recorded")
        RESIDENCE_END_REQUESTED = "residence_end_requested", _("End of residence requested")
        RESIDENCE_END_DECIDED = "residence_end_decided", _("End of residence decided")
        TRANSFER_PROPOSED = "transfer_proposed", _("Transfer to another province proposed")
        TRANSFER_DECIDED = "transfer_decided", _("Transfer to another province decided")
        FAMILY_LINK_ADDED = "family_link_added", _("Family link added")
        FAMILY_LINK_REMOVED = "family_link_removed", _("Family link removed")
        # Bulk data
        IMPORTED = "imported", _("Data imported")
        EXPORTED = "exported", _("Data exported")
        PDF_DOWNLOADED = "pdf_downloaded", _("PDF downloaded")
        # Cards
        CARD_ISSUED = "card_issued", _("Card issued")
        CARD_PRINTED = "card_printed", _("Card printed")
        CARD_SPOILED = "card_spoiled", _("Card spoiled")
        CARD_REPRINTED = "card_reprinted", _("Card reprinted")
        CARD_HANDED_OVER = "card_handed_over", _("Card handed over")
        CARD_RENEWED = "card_renewed", _("Card renewed")
        CARD_REPLACED = "card_replaced", _("Card replaced")
        CARD_REVOKED = "card_revoked", _("Card revoked")
        CARD_VALIDITY_CHECKED = "card_validity_checked", _("Card validity checked")
        PRINT_RUN_CREATED = "print_run_created", _("Print run created")
        PRINT_RUN_RETRIED = "print_run_retried", _("Print run tried again")
        IMPORT_RETRIED = "import_retried", _("Import sent to the workers again")
        EXPORT_RETRIED = "export_retried", _("Export built again")
        # Province lists
        PROVINCE_LIST_SUBMITTED = "province_list_submitted", _("Province list submitted")
        PROVINCE_LIST_SIGNED_OFF = "province_list_signed_off", _("Province list signed off")
        PROVINCE_LIST_RETURNED = "province_list_returned", _("Province list returned")
        PROVINCE_LIST_REOPENED = "province_list_reopened", _("Province list reopened")
        # Operations
        AUDIT_SEARCHED = "audit_searched", _("Audit trail searched")
        KEYS_ROTATED = "keys_rotated", _("Encryption keys rotated")
        JOB_RUN_REQUESTED = "job_run_requested", _("Job run requested")
        OTHER = "other", _("Other")

    at = models.DateTimeField(_("time"), db_index=True)
    # No foreign-key constraint: deleting a user must neither cascade into nor be blocked by
    # the trail, and the name, role and province are copied as they were at the time.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, blank=True)
    province_code = models.CharField(_("province"), max_length=8, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="audit_user_id"),
            models.Index(fields=["action", "-id"], name="audit_action_id"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["province_code", "-id"], name="audit_province_id"),
            # Throughput and the forecast: decisions (by action) in a window, per province.
            models.Index(fields=["action", "at", "province_code"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.username}"

    def chain_payload(self) -> list[object]:
        """The predecessor's hash and every recorded field, in the order the hash covers them."""
        return [
            self.prev_hash,
            self.at.isoformat(timespec="microseconds"),
            self.user_id,
            self.username,
            self.role,
            self.province_code,
            self.ip or "",
            self.action,
            self.object_type,
            self.object_id,
            self.object_repr,
            self.detail,
        ]

    def compute_hash(self) -> str:
        """The keyed hash (HMAC-SHA256 under AUDIT_HMAC_KEY) of `chain_payload`."""
        return chain_hash(self.chain_payload())
