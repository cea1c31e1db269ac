"""The points where the apps above imports take part in what imports do (core.hooks)."""

from __future__ import annotations

from core.hooks import Hook

import_failed = Hook(
    "import_failed",
    """An import batch failed (imports.services), inside the transaction that records it.

    Given batch_id; a receiver tells its uploader once it commits (jobs).""",
)
