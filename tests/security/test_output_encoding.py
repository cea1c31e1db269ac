"""A corpus of XSS payloads in free-text fields always comes out escaped."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import DeclarationFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

# Each payload holds a character that must be escaped, so finding it verbatim means it was not.
XSS_PAYLOADS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    '<img src="file:///etc/passwd">',
    "</textarea><script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "<style>body{display:none}</style>",
    "\u202e<b>reversed</b>",
]


def assert_escaped(page: str, payload: str) -> None:
    assert payload not in page
    assert escape(payload) in page


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sign_in_page_escapes_a_hostile_user_name(geo, payload):
    response = Client().post("/accounts/login/", {"username": payload, "password": "x" * 12})

    assert response.status_code == 200
    assert_escaped(response.content.decode(), payload)


def test_audit_trail_escapes_hostile_user_names_objects_and_details(admin_client_, officer):
    for payload in XSS_PAYLOADS:
        Client().post("/accounts/login/", {"username": payload, "password": "x" * 12})
    resident = ResidentFactory(surname="SAFE", given_names=XSS_PAYLOADS[0])
    audit_record(
        actor=officer, action=AuditEvent.Action.RESIDENT_VIEWED, obj=resident,
        detail={"note": XSS_PAYLOADS[1]},
    )  # fmt: skip

    page = admin_client_.get("/audit/").content.decode()

    for payload in XSS_PAYLOADS:
        assert_escaped(page, payload)


def test_admin_user_list_escapes_hostile_names(admin_client_):
    for n, payload in enumerate(XSS_PAYLOADS):
        UserFactory(username=f"hostile{n}", first_name=payload, last_name="X")

    page = admin_client_.get("/admin/accounts/user/").content.decode()

    for payload in XSS_PAYLOADS:
        assert payload not in page
    assert escape(XSS_PAYLOADS[0]) in page


def hostile_residents(officer) -> list:
    residents = []
    for payload in XSS_PAYLOADS:
        resident = ResidentFactory(
            surname=payload,
            given_names=payload,
            name_km=payload,
            name_native=payload,
            place_of_birth=payload,
            occupation=payload,
            employer=payload,
            address_street=payload,
            address_village=payload,
            created_by=officer,
        )
        DeclarationFactory(resident=resident, notes=payload)
        residents.append(resident)
    return residents


def test_resident_list_and_detail_escape_hostile_names_and_addresses(officer, officer_client):
    residents = hostile_residents(officer)

    list_page = officer_client.get("/residents/").content.decode()
    detail_pages = [officer_client.get(f"/residents/{r.pk}/").content.decode() for r in residents]

    for payload, resident, detail in zip(XSS_PAYLOADS, residents, detail_pages, strict=True):
        stored = resident.surname  # upper-cased by the model's rule
        assert_escaped(list_page, stored)
        assert_escaped(detail, stored)
        assert payload not in detail
