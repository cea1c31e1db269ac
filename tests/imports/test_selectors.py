"""Selectors of the imports app that the views use."""

from __future__ import annotations

import pytest

from imports import selectors, services
from provinces.models import Province
from tests.imports.conftest import csv_bytes, person, upload

pytestmark = pytest.mark.django_db


def test_the_same_file_imported_in_another_province_is_not_revealed_to_an_officer(
    officer, other_officer, director, bases
):
    data = csv_bytes([person(1)])
    siem_reap = Province.objects.get(code="17")
    earlier = services.import_batch_create(
        actor=other_officer, province=siem_reap, upload=upload(data)
    )
    services.import_commit_request(batch=earlier, actor=other_officer)

    batch = services.import_batch_create(
        actor=officer, province=Province.objects.get(code="12"), upload=upload(data)
    )

    assert selectors.import_same_file_before(user=officer, batch=batch) is None
    assert selectors.import_same_file_before(user=director, batch=batch) == earlier
