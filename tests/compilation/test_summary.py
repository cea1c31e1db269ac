from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from compilation import services
from compilation.models import DailySnapshot, DistrictSummary, NationalitySummary, ProvinceSummary
from residents.models import Declaration, Resident
from tests.compilation.conftest import make_record

pytestmark = pytest.mark.django_db

ZERO = dict.fromkeys(services.COUNT_COLUMNS, 0)


def figures(code: str) -> dict[str, int]:
    summary = ProvinceSummary.objects.get(province_id=code)
    return {column: getattr(summary, column) for column in services.COUNT_COLUMNS}


def test_the_refresh_writes_exact_counts_per_state_for_every_province(seeded):
    rows = services.province_summary_refresh()

    assert rows == 25
    assert ProvinceSummary.objects.count() == 25
    assert figures("12") == {
        **ZERO, "residents": 7, "draft": 1, "submitted": 2, "returned": 1, "verified": 1,
        "acknowledged": 1,
    }  # fmt: skip
    assert figures("17") == {
        **ZERO,
        "residents": 3,
        "verified": 1,
        "rejected": 1,
        "acknowledged": 1,
    }
    assert figures("01") == ZERO


def test_the_summary_equals_the_live_aggregate(seeded):
    services.province_summary_refresh()

    live = services.live_province_figures()

    assert len(live) == 25
    for code, expected in live.items():
        assert figures(code) == expected


def test_the_district_figures_add_up_per_district(seeded):
    services.province_summary_refresh()

    rows = DistrictSummary.objects.filter(province_id="12", residents__gt=0).order_by("district")
    first, second = (r.district_id for r in rows)
    assert [(r.residents, r.submitted, r.verified, r.draft) for r in rows] == [
        (5, 1, 0, 1),
        (2, 1, 1, 0),
    ]
    assert first < second
    # Every district of the province is listed, with zeros where nobody lives.
    assert DistrictSummary.objects.filter(province_id="12").count() == 14


def test_the_nationality_figures_count_residents_per_province(seeded):
    services.province_summary_refresh()

    got = dict(
        NationalitySummary.objects.filter(province_id="12", residents__gt=0).values_list(
            "nationality", "residents"
        )
    )
    assert got == {"CN": 4, "KR": 1, "VN": 2}
    assert NationalitySummary.objects.get(province_id="17", nationality="TH").residents == 1


def test_a_second_refresh_rewrites_changed_and_vanished_figures(seeded):
    services.province_summary_refresh()
    thai = seeded.residents["17"][1]
    Declaration.objects.filter(resident=thai).delete()
    thai.delete()
    Declaration.objects.filter(pk=seeded.declarations["12"][1].pk).update(
        status=Declaration.Status.VERIFIED, reviewed_by=seeded.checker_pp
    )

    services.province_summary_refresh()

    assert figures("17") == {**ZERO, "residents": 2, "verified": 1, "acknowledged": 1}
    assert figures("12")["submitted"] == 1
    assert figures("12")["verified"] == 2
    assert NationalitySummary.objects.get(province_id="17", nationality="TH").residents == 0
    assert ProvinceSummary.objects.count() == 25


def test_the_refresh_records_when_it_ran(seeded):
    at = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)

    services.province_summary_refresh(now=at)

    assert set(ProvinceSummary.objects.values_list("refreshed_at", flat=True)) == {at}


def test_the_daily_snapshot_is_taken_once_per_day_however_often_it_runs(seeded):
    day = dt.date(2026, 11, 25)

    services.daily_snapshot_take(day=day)
    Declaration.objects.filter(pk=seeded.declarations["12"][1].pk).update(
        status=Declaration.Status.VERIFIED, reviewed_by=seeded.checker_pp
    )
    services.daily_snapshot_take(day=day)

    assert DailySnapshot.objects.filter(day=day).count() == 25
    snapshot = DailySnapshot.objects.get(day=day, province_id="12")
    assert (snapshot.verified, snapshot.submitted, snapshot.residents) == (2, 1, 7)


def test_changes_after_sign_off_are_counted_for_the_signed_off_province_only(seeded, director):
    from compilation.models import ProvinceCompilation

    ProvinceCompilation.objects.create(
        province_id="17", status="finished", signed_off_by=director,
        signed_off_at=timezone.now(),
    )  # fmt: skip
    ProvinceCompilation.objects.create(province_id="12", status="in_progress")
    services.province_summary_refresh()
    assert ProvinceSummary.objects.get(province_id="17").changed_since_sign_off == 0

    resident = seeded.residents["17"][0]
    Resident.objects.filter(pk=resident.pk).update(
        phone="012 345 678", updated_at=timezone.now() + dt.timedelta(seconds=1)
    )
    services.province_summary_refresh()

    assert ProvinceSummary.objects.get(province_id="17").changed_since_sign_off == 1
    assert ProvinceSummary.objects.get(province_id="12").changed_since_sign_off == 0


def test_card_figures_are_counted_per_status_from_the_cards_model(seeded, director):
    from cards.models import ResidenceCard

    acknowledged = seeded.declarations["17"][2]
    statuses = ["issued", "printed", "active", "expiring", "expired", "replaced", "revoked"]
    for n, status in enumerate(statuses):
        resident = acknowledged.resident if n == 0 else make_record(
            province="17", status="acknowledged", maker=seeded.maker_sr, checker=seeded.checker_pp
        )[0]  # fmt: skip
        ResidenceCard.objects.create(
            number=f"TEST{n:04d}", resident=resident, declaration=resident.declarations.get(),
            province_id="17", issue_date=dt.date(2025, 1, 1), expiry_date=dt.date(2026, 12, 31),
            status=status, status_reason="Lost" if status == "revoked" else "", issued_by=director,
        )  # fmt: skip

    services.province_summary_refresh()

    got = figures("17")
    assert {k: v for k, v in got.items() if k.startswith("cards")} == {
        "cards_issued": 1, "cards_printed": 1, "cards_active": 1, "cards_expiring": 1,
        "cards_expired": 1, "cards_total": 7,
    }  # fmt: skip
    assert figures("12")["cards_total"] == 0
    assert services.live_province_figures()["17"] == got


def test_chart_axes_end_on_a_round_number_with_whole_gridlines():
    from compilation.charts import nice_ceiling

    assert [nice_ceiling(v) for v in (0, 1, 4, 5, 9, 38, 41, 90_000)] == [
        4,
        4,
        4,
        8,
        20,
        40,
        80,
        200_000,
    ]
