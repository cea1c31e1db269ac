"""The card tables keep each index once: every status move writes all of them again."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from cards.models import ResidenceCard

pytestmark = pytest.mark.django_db

TABLES = ("cards_residencecard", "cards_cardevent", "jobs_renewalnotice")


def _indexes(table: str) -> list[tuple[str, list[tuple[int, int]], bool]]:
    """(name, key columns with their operator classes, whether it enforces something: unique
    or partial) of each index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indkey::int2[], i.indclass::oid[], "
            "i.indisunique OR i.indpred IS NOT NULL "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass ORDER BY c.relname",
            [table],
        )
        return [
            (name, list(zip(keys, classes, strict=True)), enforcing)
            for name, keys, classes, enforcing in cursor.fetchall()
        ]


@pytest.mark.parametrize("table", TABLES)
def test_no_plain_index_repeats_the_leading_columns_of_another(table):
    indexes = _indexes(table)

    # A plain index whose columns start another index answers nothing that one does not.
    repeated = [
        (name, other)
        for name, keys, enforcing in indexes
        if not enforcing
        for other, other_keys, _enforcing in indexes
        if other != name and other_keys[: len(keys)] == keys
    ]
    assert repeated == []


def test_the_constraints_that_stood_on_the_dropped_indexes_still_hold(issue):
    card = issue()
    names = {name for name, _keys, _enforcing in _indexes("cards_residencecard")}

    assert {"card_one_current_per_resident", "card_token_unique"} <= names
    twin = issue()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidenceCard.objects.filter(pk=twin.pk).update(token=card.token)
    assert ResidenceCard.objects.get(pk=twin.pk).token != card.token
