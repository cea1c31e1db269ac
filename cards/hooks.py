"""The points where the apps above cards take part in what cards do (core.hooks)."""

from __future__ import annotations

from core.hooks import Hook

print_run_failed = Hook(
    "print_run_failed",
    """A print run failed (cards.services), inside the transaction that records it.

    Given print_run_id; a receiver tells the clerk who built it once it commits (jobs).""",
)
