"""A real record of every kind in one province, for the URL and object guards."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from accounts.models import User
from cards import services as card_services
from cards.models import PrintRun, PrintRunCard
from imports.models import ExportLog, ImportBatch
from jobs.models import JobRun, Notification
from provinces.models import Province
from residents.models import (
    Correction,
    Declaration,
    DeclarationDocument,
    FamilyLink,
    LikelyDuplicate,
    ProvinceTransfer,
    ResidenceEnding,
)
from tests.residents.conftest import make_resident


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(out, "PNG")
    return out.getvalue()


def build_world(*, officer: User, verifier: User, clerk: User) -> dict[str, Any]:
    """One record of every kind in `officer`'s province (its verifier gets the notification)."""
    code = officer.province_id
    resident = make_resident(maker=officer, surname="SOK")
    resident.photo.save("world.png", ContentFile(_png()), save=True)
    declaration = resident.declarations.get()
    document = DeclarationDocument.objects.create(
        declaration=declaration,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="world.pdf"),
        original_name="world.pdf",
        content_type="application/pdf",
        size=15,
        uploaded_by=officer,
    )
    twin = make_resident(maker=officer, surname="SOKH")
    duplicate = LikelyDuplicate.objects.create(resident=resident, other=twin, similarity=0.9)
    verified = make_resident(maker=officer, status=Declaration.Status.VERIFIED)
    acknowledged = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    carded = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=carded.declarations.get(), actor=clerk)
    correction = Correction(
        resident=acknowledged,
        changes={"phone": ["", "+855 12 000 111"]},
        reason="Number mistyped",
        evidence_name="world.pdf",
        evidence_type="application/pdf",
        requested_by=officer,
    )
    correction.evidence.save("world.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    print_run = PrintRun.objects.create(
        created_by=clerk,
        selection=PrintRun.Selection.PICKED,
        total=1,
        province_id=code,
        status=PrintRun.Status.FAILED,
        queued_at=timezone.now() - dt.timedelta(hours=1),
    )
    PrintRunCard.objects.create(print_run=print_run, card=card, position=1, open=False)
    batch = ImportBatch.objects.create(
        province_id=code,
        created_by=officer,
        file_name="world.csv",
        file_sha256="1" * 64,
        status=ImportBatch.Status.VALIDATED,
    )
    leaving = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    ending = ResidenceEnding.objects.create(
        resident=leaving,
        reason="departure",
        ended_on=dt.date(2026, 11, 1),
        evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="exit.pdf"),
        evidence_name="exit.pdf",
        evidence_type="application/pdf",
        requested_by=officer,
    )
    # To a third province: neither Phnom Penh's nor Siem Reap's users may see it from the other.
    third = Province.objects.exclude(code__in=[code, "12", "17"]).order_by("code").first()
    moving = make_resident(maker=officer, status=Declaration.Status.ACKNOWLEDGED)
    transfer = ProvinceTransfer.objects.create(
        resident=moving,
        from_province_id=code,
        to_province=third,
        reason="Moved for work",
        proposed_by=officer,
    )
    link = FamilyLink.objects.create(
        resident=resident, relative=twin, relation="spouse", created_by=officer
    )
    export = ExportLog.objects.create(
        user=officer,
        province_id=code,
        file_format=ExportLog.Format.XLSX,
        row_count=1,
        rows_written=1,
        status=ExportLog.Status.READY,
        file=ContentFile(b"PK world", name="exports/world.xlsx"),
    )
    run = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY, status=JobRun.Status.SUCCEEDED)
    notification = Notification.objects.create(
        recipient=verifier, province_id=code, threshold=30, count=1, run=run
    )
    return {
        "code": code,
        "user": officer,
        "resident": resident,
        "declaration": declaration,
        "document": document,
        "duplicate": duplicate,
        "verified": verified.declarations.get(),
        "acknowledged": acknowledged.declarations.get(),
        "card": card,
        "correction": correction,
        "print_run": print_run,
        "batch": batch,
        "export": export,
        "notification": notification,
        "ending": ending,
        "transfer": transfer,
        "family_link": link,
    }
