"""The points where the apps above the compilation take part in what it does (core.hooks)."""

from __future__ import annotations

from core.hooks import Hook

province_list_returned = Hook(
    "province_list_returned",
    """HQ returned a province's list to the province (compilation.services), inside the
    transaction that records it.

    Given province_code; a receiver tells the province's officers and verifiers once it commits
    (jobs).""",
)
