"""The province list steps and the dashboard's reports are in the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from audit.models import AuditEvent
from compilation import services
from provinces.models import Province
from residents.models import Declaration

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def trail() -> list[tuple[str, str, str, str, dict]]:
    """(action, user name, object type, object id, detail) of the events on records, oldest
    first (the accounts' own events, from the fixtures and sign-ins, are left out)."""
    return [
        (e.action, e.username, e.object_type, e.object_id, e.detail)
        for e in AuditEvent.objects.exclude(object_type="accounts.user").order_by("id")
    ]


@pytest.fixture
def phnom_penh(geo) -> Province:
    return Province.objects.get(code="12")


@pytest.fixture
def all_verified(seeded) -> None:
    """Phnom Penh's records all through verification (the undeclared resident removed)."""
    Declaration.objects.filter(
        resident__province_id="12", status__in=["draft", "submitted", "returned"]
    ).update(status="verified", reviewed_by=seeded.checker_pp, status_reason="")
    seeded.residents["12"][-1].delete()


def test_submit_review_and_sign_off_are_each_recorded(all_verified, verifier, director, phnom_penh):
    services.province_list_submit(province=phnom_penh, actor=verifier)
    services.province_list_start_review(province=phnom_penh, actor=director)
    services.province_list_sign_off(province=phnom_penh, actor=director)

    assert trail() == [
        (Action.PROVINCE_LIST_SUBMITTED, "verifier_pp", "provinces.province", "12",
         {"from": "in_progress", "to": "submitted"}),
        (Action.PROVINCE_LIST_SIGNED_OFF, "director", "provinces.province", "12",
         {"from": "under_review", "to": "finished", "override": False, "pending_records": 0}),
    ]  # fmt: skip


def test_a_sign_off_by_override_says_so_with_the_pending_count(seeded, director, phnom_penh):
    services.province_list_sign_off(province=phnom_penh, actor=director, override_reason="Deadline")

    assert trail() == [
        (Action.PROVINCE_LIST_SIGNED_OFF, "director", "provinces.province", "12",
         {"from": "in_progress", "to": "finished", "override": True, "pending_records": 5}),
    ]  # fmt: skip


def test_returning_a_list_is_recorded(all_verified, verifier, director, phnom_penh):
    services.province_list_submit(province=phnom_penh, actor=verifier)

    services.province_list_return(province=phnom_penh, actor=director, reason="Recount")

    assert trail()[-1] == (
        Action.PROVINCE_LIST_RETURNED, "director", "provinces.province", "12",
        {"from": "submitted", "to": "returned"},
    )  # fmt: skip


def test_refused_steps_record_nothing(seeded, verifier, other_verifier, director, phnom_penh):
    with pytest.raises(services.ProvinceListError):  # records not verified yet
        services.province_list_submit(province=phnom_penh, actor=verifier)
    with pytest.raises(Http404):  # another province's chief: not theirs to see
        services.province_list_submit(province=phnom_penh, actor=other_verifier)
    with pytest.raises(services.ProvinceListError):  # nothing submitted, no override
        services.province_list_sign_off(province=phnom_penh, actor=director)
    with pytest.raises(services.ProvinceListError):  # nothing submitted to return
        services.province_list_return(province=phnom_penh, actor=director, reason="x")
    with pytest.raises(PermissionDenied):  # not HQ
        services.province_list_return(province=phnom_penh, actor=verifier, reason="x")

    assert trail() == []


@pytest.mark.parametrize(
    ("name", "action", "extension"),
    [
        ("provinces:export-csv", Action.EXPORTED, "csv"),
        ("provinces:export-xlsx", Action.EXPORTED, "xlsx"),
        ("provinces:report-pdf", Action.PDF_DOWNLOADED, "pdf"),
    ],
)
def test_each_report_download_is_recorded_with_its_format(
    director_client, seeded, name, action, extension
):
    assert director_client.get(reverse(name)).status_code == 200

    assert trail() == [
        (action, "director", "", "", {"report": "provinces_dashboard", "format": extension}),
    ]
    event = AuditEvent.objects.get(action=action)
    assert event.ip == "127.0.0.1"


@pytest.mark.parametrize(
    "name", ["provinces:export-csv", "provinces:export-xlsx", "provinces:report-pdf"]
)
def test_a_refused_or_anonymous_download_records_nothing(officer_client, client, geo, name):
    assert officer_client.get(reverse(name)).status_code == 403
    assert client.get(reverse(name)).status_code == 302

    assert trail() == []
