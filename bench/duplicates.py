"""Likely duplicates that survive transliteration: precision and recall of the name rule.

Runs the labelled name pairs of the tests (tests/residents/name_pairs.py: one person's spellings,
and different people, across Chinese, Vietnamese, Korean, Arabic, Thai, Russian and Western
names) through the rule the IMS uses (`ims_name_match`: spelling or sound) and through the rule
it replaced (trigram similarity >= 0.5), in the same run; prints precision and recall of each
(goal: recall >= 0.9 at precision >= 0.9), and the time both take over every pair, repeated.

Database: gdi_ims_bench_duplicates on the DATABASE_URL server (127.0.0.1), migrated when missing.
"""

from __future__ import annotations

import time

from bench._common import setup_django_on

BENCH_DB = "gdi_ims_bench_duplicates"
REPEAT = 50


def main() -> None:
    setup_django_on(BENCH_DB)
    from django.db import connection

    from residents import matching
    from residents.models import search_name_of
    from tests.residents.name_pairs import labelled_pairs

    pairs = labelled_pairs()
    labels = [same for _a, _b, same, _culture in pairs]
    results = matching.verdicts((a, b) for a, b, _same, _culture in pairs)
    new = matching.score(labels, [reason is not None for reason, _old in results])
    old = matching.score(labels, [old for _reason, old in results])
    print(
        f"labelled pairs: {len(pairs)} ({sum(labels)} same person, {len(pairs) - sum(labels)} not)"
    )
    for title, score in (("trigram >= 0.5 (before)", old), ("ims_name_match (now)", new)):
        print(
            f"  {title:<26} precision {score.precision:.3f}  recall {score.recall:.3f}"
            f"  (true {score.true_positives}, false alarms {score.false_positives},"
            f" missed {score.false_negatives})"
        )
    missed = [
        (a, b)
        for (a, b, same, _c), (reason, _old) in zip(pairs, results, strict=True)
        if same and reason is None
    ]
    print("  still missed:", "; ".join(f"{a} / {b}" for a, b in missed) or "none")

    names = [(search_name_of(a), search_name_of(b)) for a, b, _s, _c in pairs]
    column_a, column_b = [a for a, _b in names], [b for _a, b in names]
    timings = {}
    for title, expression in (
        ("before", "similarity(p.a, p.b) >= 0.5"),
        ("now", "ims_name_match(p.a, p.b) IS NOT NULL"),
    ):
        with connection.cursor() as cursor:
            started = time.perf_counter()
            for _ in range(REPEAT):
                cursor.execute(
                    f"SELECT count(*) FROM unnest(%s::text[], %s::text[]) AS p(a, b)"
                    f" WHERE {expression}",
                    [column_a, column_b],
                )
                cursor.fetchone()
            timings[title] = (time.perf_counter() - started) / (REPEAT * len(pairs))
    before, now = timings["before"] * 1e6, timings["now"] * 1e6
    print(
        f"  time per pair: before {before:.1f} us, now {now:.1f} us"
        f" ({now / before:.1f}x; candidates are one date of birth and"
        " nationality, a handful per new resident)"
    )
