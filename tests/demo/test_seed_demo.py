from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from accounts.models import User
from compilation.models import ProvinceCompilation, ProvinceSummary
from demo.compilation import ESTIMATES
from demo.users import DEMO_USERS
from residents.models import Resident

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_user_per_role_and_prints_their_logins(capsys):
    call_command("seed_demo", "--password", "demo-password-123", "--residents", "60")

    out = capsys.readouterr().out
    assert set(User.objects.values_list("role", flat=True)) == set(User.Role.values)
    for demo in DEMO_USERS:
        assert demo.username in out
    assert "password: demo-password-123" in out
    assert User.objects.filter(role=User.Role.OFFICER, province_id="17").exists()
    response = Client().post(
        "/accounts/login/", {"username": "verifier_pp", "password": "demo-password-123"}
    )
    assert response.status_code == 302


def test_seed_demo_twice_keeps_one_user_per_name(capsys):
    call_command("seed_demo", "--password", "demo-password-123", "--residents", "60")
    call_command("seed_demo", "--password", "demo-password-123", "--residents", "60")

    assert User.objects.count() == len(DEMO_USERS)


def test_seed_demo_sets_every_province_estimate_and_fills_the_dashboard(capsys):
    call_command("seed_demo", "--password", "demo-password-123", "--residents", "60")

    estimates = ProvinceCompilation.objects.values_list("estimated_residents", flat=True)
    assert sorted(estimates) == sorted(ESTIMATES.values())
    assert sum(estimates) == 91_150
    assert ProvinceSummary.objects.count() == 25
    assert ProvinceSummary.objects.aggregate(n=Sum("residents"))["n"] == Resident.objects.count()
