from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count
from pghistory.models import Events

from demo.residents import seed_residents
from residents import selectors
from residents.models import Declaration, Resident, TravelDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(capsys) -> None:
    call_command("seed_demo", "--password", "demo-password-123", "--residents", "600")


def test_seed_demo_creates_residents_in_every_status_led_by_phnom_penh_and_china(seeded):
    provinces = dict(
        Resident.objects.values_list("province_id")
        .annotate(n=Count("id"))
        .values_list("province_id", "n")
    )
    nationalities = dict(
        Resident.objects.values_list("nationality")
        .annotate(n=Count("id"))
        .values_list("nationality", "n")
    )

    assert Resident.objects.count() == 600
    assert max(provinces, key=provinces.get) == "12"
    assert len(provinces) >= 20
    assert sorted(nationalities, key=nationalities.get, reverse=True)[:2] == ["CN", "VN"]
    assert set(Declaration.objects.values_list("status", flat=True)) == set(
        Declaration.Status.values
    )
    assert Resident.objects.exclude(name_km="").count() > 0
    assert TravelDocument.objects.count() == 600


def test_seed_demo_twice_does_not_duplicate_and_can_grow(seeded):
    assert seed_residents(count=600) == 0
    assert seed_residents(count=650) == 50
    assert Resident.objects.count() == 650


def test_seeded_records_keep_maker_checker_and_reasons(seeded):
    reviewed = Declaration.objects.exclude(reviewed_by=None)

    assert reviewed.count() > 0
    assert not reviewed.filter(reviewed_by=models_f("created_by")).exists()
    assert not Declaration.objects.filter(status="returned", status_reason="").exists()


def test_seeded_passports_decrypt_and_are_found_by_exact_search(seeded, director):
    document = TravelDocument.objects.select_related("resident").order_by("id").first()

    page = selectors.resident_list_for(
        user=director, filters=selectors.ResidentFilters(passport=document.number)
    )

    assert [r.pk for r in page.items] == [document.resident_id]


def test_seeded_records_have_their_history_with_the_seeding_user(seeded):
    resident = Resident.objects.order_by("id").first()

    events = list(Events.objects.tracks(resident))

    assert [e.pgh_label for e in events] == ["insert"]
    assert events[0].pgh_context["action"] == "demo.seed"


def models_f(name: str):
    from django.db.models import F

    return F(name)
