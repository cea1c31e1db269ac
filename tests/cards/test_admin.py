"""The admin shows cards and print runs but never changes them (the services do, with events)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from cards.models import PrintRun, ResidenceCard


@pytest.mark.parametrize("model", [ResidenceCard, PrintRun])
def test_the_admin_of_cards_and_print_runs_is_read_only(model, administrator):
    request = RequestFactory().get("/admin/")
    request.user = administrator
    model_admin = admin.site._registry[model]

    assert model_admin.has_view_permission(request) is True
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
