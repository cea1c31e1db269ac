"""The nightly job at scale: a normal night reads the cards that crossed a line, not the window.

Thousands of cards are copied set-based from one made the usual way (the copies carry every
column of the original, whatever columns the tables hold), spread over 800 days of expiry.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from cards.models import ResidenceCard
from jobs import services
from jobs.models import JobRun, RenewalNotice

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 1)
COPIES = 20_000
SPREAD = 800  # days of expiry dates, from DAY on: 25 cards a day


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s AND column_name <> 'id' "
            "ORDER BY ordinal_position",
            [table],
        )
        return [column for (column,) in cursor.fetchall()]


def _copy(table: str, template: int, base: int, overrides: dict[str, str]) -> None:
    """COPIES rows of `table` like row `template`, ids base + 1 .. base + COPIES (g = 1..)."""
    columns = _columns(table)
    values = [overrides.get(c, f"t.{c}") for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, {', '.join(columns)}) OVERRIDING SYSTEM VALUE "  # noqa: S608
            f"SELECT %(base)s + g, {', '.join(values)} FROM {table} t, "
            "generate_series(1, %(n)s) AS g WHERE t.id = %(template)s",
            {"base": base, "n": COPIES, "template": template},
        )


@pytest.fixture
def many_cards(make_card) -> None:
    template = make_card(expiry_date=DAY + dt.timedelta(days=SPREAD + 10))
    base = 1_000_000
    with connection.cursor() as cursor:
        # Copies of records made by the services: their history rows are not the point here.
        cursor.execute("SELECT set_config('ims.bulk_history', 'on', true)")
    _copy("residents_resident", template.resident_id, base, {})
    _copy("residents_declaration", template.declaration_id, base, {"resident_id": f"{base} + g"})
    _copy(
        "cards_residencecard",
        template.pk,
        base,
        {
            "resident_id": f"{base} + g",
            "declaration_id": f"{base} + g",
            "number": "'C' || g",
            "token": "md5('card' || g)",
            "status": "'active'",
            "expiry_date": f"'{DAY}'::date + g %% {SPREAD}",
            "issue_date": f"'{DAY}'::date + g %% {SPREAD} - 729",
            "created_at": "timestamptz '2020-01-01 00:00+00'",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('ims.bulk_history', 'off', true)")
        cursor.execute("ANALYZE cards_residencecard")
        cursor.execute("ANALYZE jobs_renewalnotice")


def test_a_normal_night_reads_the_cards_that_crossed_a_threshold_by_index(many_cards):
    first = services.flag_card_expiry(today=DAY)
    assert first.status == JobRun.Status.SUCCEEDED
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cards_residencecard")
        cursor.execute("ANALYZE jobs_renewalnotice")
    night = DAY + dt.timedelta(days=1)
    probe = JobRun.objects.create(job=first.job, run_for=night, started_at=first.finished_at)

    sql, params = services.notice_statement(
        probe, first.finished_at, 50_000, today=night, since=first
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())

    # The cards issued since the last run and the three days that crossed a threshold: one
    # index range each, OR-ed; never every card of the 90-day window.
    assert "BitmapOr" in plan
    assert "card_created_at" in plan
    assert plan.count("card_status_expiry") == 3
    assert "Seq Scan on cards_residencecard" not in plan


def test_a_normal_night_notices_exactly_the_cards_that_crossed_a_threshold(many_cards):
    services.flag_card_expiry(today=DAY)
    night = DAY + dt.timedelta(days=1)

    run = services.flag_card_expiry(today=night)

    # 25 cards a day: those whose last valid day was DAY expire, those 91 days ahead enter the
    # window, and those 31, 61 and 91 days ahead reach the 30-, 60- and 90-day notices.
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts == {
        "expired": 25, "expiring": 25, "notices": 100, "emails": 0, "passports": 0
    }  # fmt: skip
    crossed = RenewalNotice.objects.filter(run=run).values_list("threshold", "expiry_date")
    assert sorted(set(crossed)) == [
        (0, DAY),
        (30, night + dt.timedelta(days=30)),
        (60, night + dt.timedelta(days=60)),
        (90, night + dt.timedelta(days=90)),
    ]
    assert ResidenceCard.objects.filter(status=ResidenceCard.Status.EXPIRED).count() == 25
