"""Decisions per verifier and records entered per officer, per day and per week."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from compilation import selectors
from tests.conftest import client_for
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

PP = ZoneInfo("Asia/Phnom_Penh")
A = AuditEvent.Action


@pytest.fixture
def week_of_work(time_machine, officer, verifier, other_verifier, other_officer):
    """Thursday 3 December 2026. Phnom Penh's verifier: a rejection on 24 November, a verify and
    a return today (and a document check, which is no decision). Siem Reap's: one on the 2nd.
    Phnom Penh's officer entered 2 residents on the 1st, Siem Reap's 1 today."""

    def at(day: int, month: int = 12) -> None:
        time_machine.move_to(dt.datetime(2026, month, day, 10, 0, tzinfo=PP), tick=False)

    at(24, 11)
    audit_record(actor=verifier, action=A.DECLARATION_REJECTED)
    at(1)
    ResidentFactory.create_batch(2, province_id="12", created_by=officer)
    at(2)
    audit_record(actor=other_verifier, action=A.DECLARATION_VERIFIED)
    at(3)
    audit_record(actor=verifier, action=A.DECLARATION_VERIFIED)
    audit_record(actor=verifier, action=A.DECLARATION_RETURNED)
    audit_record(actor=verifier, action=A.DOCUMENT_CHECKED)
    ResidentFactory(province_id="17", created_by=other_officer)


def counts(rows):
    return {r.name: (r.days, r.weeks) for r in rows}


def test_the_chief_sees_the_province_s_decisions_and_entries_per_day_and_week(
    week_of_work, verifier
):
    figures = selectors.throughput_for(user=verifier, code="12")

    assert (figures.days[0], figures.days[-1]) == (dt.date(2026, 11, 27), dt.date(2026, 12, 3))
    assert figures.weeks == [dt.date(2026, 11, 9), dt.date(2026, 11, 16),
                             dt.date(2026, 11, 23), dt.date(2026, 11, 30)]  # fmt: skip
    assert counts(figures.decisions) == {"verifier_pp": ([0, 0, 0, 0, 0, 0, 2], [0, 0, 1, 2])}
    assert counts(figures.entries) == {"officer_pp": ([0, 0, 0, 0, 2, 0, 0], [0, 0, 0, 2])}


def test_hq_sees_every_province_s_people(week_of_work, director):
    figures = selectors.throughput_for(user=director)

    assert counts(figures.decisions) == {
        "verifier_pp": ([0, 0, 0, 0, 0, 0, 2], [0, 0, 1, 2]),
        "verifier_sr": ([0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 1]),
    }
    assert {r.name: r.province_code for r in figures.entries} == {
        "officer_pp": "12", "officer_sr": "17",
    }  # fmt: skip


def test_the_throughput_costs_the_same_queries_whatever_the_numbers(
    week_of_work, verifier, officer, django_assert_num_queries
):
    with django_assert_num_queries(3):  # the province, the decisions, the entries
        selectors.throughput_for(user=verifier, code="12")
    ResidentFactory.create_batch(5, province_id="12", created_by=officer)
    for _ in range(5):
        audit_record(actor=verifier, action=A.DECLARATION_VERIFIED)
    with django_assert_num_queries(3):
        selectors.throughput_for(user=verifier, code="12")


def test_the_province_page_shows_the_chief_the_throughput(week_of_work, verifier_client):
    response = verifier_client.get(reverse("provinces:province-throughput", args=["12"]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-user="verifier_pp"' in body
    assert 'data-user="verifier_sr"' not in body
    assert "03-12-2026" in body


def test_hq_sees_the_throughput_of_every_province(week_of_work, director_client):
    response = director_client.get(reverse("provinces:throughput"))

    assert response.status_code == 200
    assert 'data-user="verifier_sr"' in response.content.decode()


def test_an_officer_may_not_see_the_throughput(week_of_work, officer_client):
    response = officer_client.get(reverse("provinces:province-throughput", args=["12"]))

    assert response.status_code == 403


def test_another_province_s_chief_does_not_find_it(week_of_work, other_verifier):
    response = client_for(other_verifier).get(reverse("provinces:province-throughput", args=["12"]))

    assert response.status_code == 404


def test_a_chief_may_not_see_every_province(week_of_work, verifier_client):
    assert verifier_client.get(reverse("provinces:throughput")).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("provinces:province-throughput", args=["12"]))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
