"""Measuring the likely-duplicate rule (`ims_name_match`, residents migration 0007) on name pairs.

The rule itself lives in the database, next to the data it compares; this module runs it (and the
rule it replaced, trigram similarity >= 0.5) over labelled pairs, for the tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from residents.models import search_name_of


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        same = self.true_positives + self.false_negatives
        return self.true_positives / same if same else 1.0


def verdicts(pairs: Iterable[tuple[str, str]]) -> list[tuple[str | None, bool]]:
    """For each pair of names: the new rule's reason (or None) and the old rule's verdict."""
    names = [(search_name_of(a), search_name_of(b)) for a, b in pairs]
    if not names:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ims_name_match(p.a, p.b), similarity(p.a, p.b) >= 0.5
              FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS p(a, b, n)
             ORDER BY p.n
            """,
            [[a for a, _b in names], [b for _a, b in names]],
        )
        return [(reason, bool(old)) for reason, old in cursor.fetchall()]


def score(labels: list[bool], flagged: list[bool]) -> Score:
    return Score(
        true_positives=sum(s and f for s, f in zip(labels, flagged, strict=True)),
        false_positives=sum(f and not s for s, f in zip(labels, flagged, strict=True)),
        false_negatives=sum(s and not f for s, f in zip(labels, flagged, strict=True)),
    )
