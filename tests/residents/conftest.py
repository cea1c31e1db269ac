"""Residents fixtures: a Phnom Penh resident entered by `officer`, and form data for a new one."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfWriter

from accounts.models import User
from residents import services
from residents.models import Declaration, ResidenceBasis, Resident
from tests.factories import DeclarationFactory, ResidentFactory, TravelDocumentFactory


def make_resident(
    *, maker: User, status: str = Declaration.Status.SUBMITTED, number: str = "", **fields: Any
) -> Resident:
    """A resident of the maker's province with a current passport and one declaration."""
    resident = ResidentFactory(created_by=maker, province_id=maker.province_id, **fields)
    TravelDocumentFactory(resident=resident, **({"number": number} if number else {}))
    DeclarationFactory(
        resident=resident,
        created_by=maker,
        status=status,
        submitted_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
        if status != Declaration.Status.DRAFT
        else None,
        status_reason="Needs a clearer passport copy"
        if status in (Declaration.Status.RETURNED, Declaration.Status.REJECTED)
        else "",
    )
    return resident


@pytest.fixture
def resident(officer: User) -> Resident:
    return make_resident(maker=officer, number="E12345678", surname="WANG", given_names="LI NA")


@pytest.fixture
def declaration(resident: Resident) -> Declaration:
    return resident.declarations.get()


@pytest.fixture
def other_resident(other_officer: User) -> Resident:
    """A resident of Siem Reap."""
    return make_resident(maker=other_officer, number="G87654321", surname="NGUYEN")


def resident_post_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "surname": "Zhang",
        "given_names": "Wei Ming",
        "name_km": "",
        "name_native": "张伟明",
        "sex": "M",
        "date_of_birth": "1975-03-12",
        "place_of_birth": "Guangzhou",
        "nationality": "CN",
        "phone": "+855 12 345 678",
        "occupation": "Trader",
        "employer": "",
        "arrival_date": "1998-06-01",
        "address_province": "12",
        "address_district": "1201",
        "address_commune": "120101",
        "address_village": "Phum 3",
        "address_street": "St. 271, No. 12",
        "passport_number": "EA 123-4567",
        "passport_country": "CN",
        "passport_issue_date": "2020-01-15",
        "passport_expiry_date": "2030-01-14",
        "declared_on": "2026-11-20",
        "basis": str(ResidenceBasis.objects.get(code="marriage").pk),
        "notes": "Married since 2001.",
        "version": "",
    }
    data.update(overrides)
    return data


def create_input(officer: User, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments of services.resident_create for a valid new resident."""
    from provinces.models import Commune

    commune = Commune.objects.select_related("district").get(code="120101")
    fields = {
        "surname": "Zhang",
        "given_names": "Wei Ming",
        "name_native": "张伟明",
        "sex": "M",
        "date_of_birth": dt.date(1975, 3, 12),
        "nationality": "CN",
        "address_province": commune.district.province,
        "address_district": commune.district,
        "address_commune": commune,
    }
    fields.update(overrides.pop("fields", {}))
    return {
        "actor": officer,
        "fields": fields,
        "passport": overrides.pop(
            "passport", services.PassportInput(number="EA1234567", issuing_country="CN")
        ),
        "declaration": services.DeclarationInput(
            declared_on=dt.date(2026, 11, 20),
            basis=ResidenceBasis.objects.get(code="marriage"),
        ),
        **overrides,
    }


def pdf_bytes(tamper: Callable[[PdfWriter, Any], None] | None = None) -> bytes:
    """A one-page PDF as pypdf writes it; `tamper(writer, page)` may add to it first."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    if tamper is not None:
        tamper(writer, page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
