"""The projected finish of a province's list, its verifier-days, and the burn-down chart."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from compilation import selectors, services
from compilation.forecast import Forecast, State
from compilation.models import ProvinceCompilation

DEADLINE = dt.date(2026, 12, 31)
TODAY = dt.date(2026, 12, 3)
PHNOM_PENH_TZ = ZoneInfo("Asia/Phnom_Penh")


def outlook(remaining: int, decided: int, verifier_days: int, today: dt.date = TODAY) -> Forecast:
    return Forecast(
        remaining=remaining, decided=decided, verifier_days=verifier_days, today=today,
        deadline=DEADLINE,
    )  # fmt: skip


def test_at_two_a_day_twenty_records_finish_in_ten_days_on_time():
    f = outlook(remaining=20, decided=14, verifier_days=7)

    assert (f.rate, f.finish, f.state, f.extra_verifier_days) == (
        2.0, dt.date(2026, 12, 13), State.ON_TIME, 0,
    )  # fmt: skip


def test_a_late_list_says_how_many_more_verifier_days_finish_it_on_time():
    # One verifier a day deciding 2 records; 28 days left give 28 verifier-days, 50 are needed.
    f = outlook(remaining=100, decided=14, verifier_days=7)

    assert (f.finish, f.state, f.days_left, f.extra_verifier_days) == (
        dt.date(2027, 1, 22), State.LATE, 28, 22,
    )  # fmt: skip


def test_without_decisions_in_the_last_7_days_there_is_no_finish_date():
    f = outlook(remaining=5, decided=0, verifier_days=0)

    assert (f.rate, f.finish, f.state, f.extra_verifier_days) == (0.0, None, State.NO_RATE, None)


def test_a_list_with_nothing_remaining_is_done_today():
    f = outlook(remaining=0, decided=0, verifier_days=0)

    assert (f.finish, f.state, f.extra_verifier_days) == (TODAY, State.DONE, 0)


def test_past_the_deadline_the_finish_is_projected_but_no_verifier_days_can_make_it():
    f = outlook(remaining=3, decided=7, verifier_days=7, today=dt.date(2027, 1, 5))

    assert (f.finish, f.state, f.days_left, f.extra_verifier_days) == (
        dt.date(2027, 1, 8), State.PAST_DEADLINE, 0, None,
    )  # fmt: skip


@pytest.fixture
def on_the_3rd(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 3, 12, 0, tzinfo=PHNOM_PENH_TZ), tick=False)


@pytest.mark.django_db
def test_the_province_page_projects_the_finish_from_the_last_7_days(
    on_the_3rd, seeded, director, director_client
):
    # Phnom Penh: 7 entered, estimate 12; 1 verified and 1 acknowledged: 10 still to decide.
    ProvinceCompilation.objects.create(province_id="12", estimated_residents=12)
    services.province_summary_refresh()
    declaration = seeded.declarations["12"][1]
    for action in [AuditEvent.Action.DECLARATION_VERIFIED] * 6 + [
        AuditEvent.Action.DECLARATION_REJECTED
    ]:
        audit_record(actor=seeded.checker_pp, action=action, obj=declaration)
    audit_record(
        actor=seeded.checker_pp, action=AuditEvent.Action.DECLARATION_RETURNED, obj=declaration
    )

    page = director_client.get(reverse("provinces:detail", args=["12"]))

    f = page.context["page"].forecast
    assert (f.remaining, f.decided, f.verifier_days, f.finish) == (
        10, 7, 1, dt.date(2026, 12, 13),
    )  # fmt: skip
    body = page.content.decode()
    assert 'data-testid="forecast-finish">\n      13-12-2026' in body
    assert "<title>Burn-down: records still to decide</title><desc>" in body
    assert "against the deadline of 31-12-2026. Today: 10. Projected finish: 13-12-2026." in body


@pytest.mark.django_db
def test_the_dashboard_says_so_when_no_finish_date_can_be_projected(
    on_the_3rd, seeded, director_client
):
    services.province_summary_refresh()

    body = director_client.get(reverse("provinces:dashboard")).content.decode()

    assert "No finish date: no record was verified or rejected in the last 7 days." in body
    assert "No projection: no record was verified or rejected in the last 7 days." in body


@pytest.mark.django_db
def test_the_burn_down_draws_each_day_today_and_the_projection(on_the_3rd, seeded, director):
    ProvinceCompilation.objects.create(province_id="12", estimated_residents=12)
    services.daily_snapshot_take(day=dt.date(2026, 12, 1))
    services.province_summary_refresh()
    rows = [r for r in selectors._rows() if r.province.code == "12"]
    f = Forecast(remaining=10, decided=7, verifier_days=1, today=TODAY, deadline=DEADLINE)

    days, remaining = selectors._burndown(selectors.DailySnapshot.objects.filter(province_id="12"))
    svg = selectors.burndown_chart(days, remaining, f)

    assert (days, remaining, selectors.remaining_of(rows[0])) == ([dt.date(2026, 12, 1)], [10], 10)
    assert svg.count('<circle cx="') == 2  # the 1st and today
    assert 'data-role="projection"' in svg
    assert 'data-role="deadline"' in svg
    assert "01-12-2026" in svg
    assert "31-12-2026" in svg
