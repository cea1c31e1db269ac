"""Bulk writers skip the row-by-row insert triggers and write the history events themselves."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from residents.history import bulk_history
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

ResidentEvent = apps.get_model("residents", "ResidentEvent")


def test_an_insert_outside_a_bulk_write_is_recorded_by_its_trigger():
    resident = ResidentFactory()

    assert list(ResidentEvent.objects.values_list("pgh_obj_id", "pgh_label")) == [
        (resident.pk, "insert")
    ]


def test_inside_a_bulk_write_the_insert_trigger_does_not_fire_and_after_it_fires_again():
    with transaction.atomic(), bulk_history():
        bulk = ResidentFactory()
    after = ResidentFactory()

    assert not ResidentEvent.objects.filter(pgh_obj_id=bulk.pk).exists()
    assert ResidentEvent.objects.filter(pgh_obj_id=after.pk).count() == 1


def test_a_bulk_write_does_not_silence_the_update_trigger():
    resident = ResidentFactory(occupation="Farmer")
    with transaction.atomic(), bulk_history():
        resident.occupation = "Teacher"
        resident.save()

    assert list(
        ResidentEvent.objects.filter(pgh_obj_id=resident.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "occupation")
    ) == [("insert", "Farmer"), ("update", "Teacher")]


def test_a_failed_statement_in_a_bulk_write_surfaces_as_itself():
    resident = ResidentFactory()

    with pytest.raises(IntegrityError, match="resident_surname_upper"):  # noqa: SIM117
        with transaction.atomic(), bulk_history(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE residents_resident SET surname = 'lower' WHERE id = %s", [resident.pk]
            )

    resident.refresh_from_db()
    assert resident.surname.isupper()


def test_history_is_back_on_when_an_error_leaves_a_bulk_write_early():
    with transaction.atomic():
        with pytest.raises(ValueError, match="stop"), bulk_history():
            raise ValueError("stop")
        later = ResidentFactory()

    assert ResidentEvent.objects.filter(pgh_obj_id=later.pk).count() == 1
