"""The points in residents' services where the apps above them take part (see core.hooks)."""

from __future__ import annotations

from django_stubs_ext import StrOrPromise

from core.hooks import Hook

# --- Writes into a province, and its figures (the compilation registers both) -----------------

province_edit_guard = Hook(
    "province_edit_guard",
    doc=(
        "Asked before a record of a province is entered, changed or decided, and before anything "
        "is imported into it, inside the transaction of that write. A receiver takes "
        "`province_id` and answers the message to refuse with, or None when it does not object "
        "(a receiver may lock rows until the transaction ends). The compilation registers the "
        "hold of a signed-off province list."
    ),
)


def province_edit_refusal(province_id: str | None) -> StrOrPromise | None:
    """The first objection to writing into the province, or None when every receiver agrees."""
    if not province_id:
        return None
    answers = province_edit_guard.collect(province_id=province_id)
    return answers[0] if answers else None


# Residents' figures moved between provinces (a residence ended, a transfer accepted): the
# compilation refreshes the dashboard's figures once the transaction commits.
province_figures_changed = Hook(
    "province_figures_changed",
    doc=(
        "Called inside the transaction of a change that moves the provinces' figures (the end "
        "of a residence, a transfer between provinces), with the `province_ids` it touched."
    ),
)

# --- end of the province edit guard and figures ------------------------------------------------
