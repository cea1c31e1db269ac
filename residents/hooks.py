"""The points where the apps above residents take part in what residents do (core.hooks).

Residents call these hooks; cards, imports, the compilation and jobs register their receivers
in their `AppConfig.ready()`. Each hook states what its receivers are given and what they answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.hooks import Hook

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- A record's cards and import row follow it --------------------------------------------------
residence_ended = Hook(
    "residence_ended",
    """An end of residence was approved (residents.endings), inside its transaction.

    Given resident_id, actor, reason (the end reason's label) and ending_id; each receiver answers
    the list of card numbers it revoked (cards).""",
)

printed_fields_corrected = Hook(
    "printed_fields_corrected",
    """A correction that changes printed details was approved (residents.corrections), inside its
    transaction, with the resident's row locked.

    Given resident, actor, reason, correction_id and today; a receiver answers (replaced card
    number, new card number) when it replaced a card, else None (cards).""",
)

residents_merged = Hook(
    "residents_merged",
    """Two records of one person are being merged (residents.merge), inside its transaction, both
    residents locked.

    Given survivor_id, merged_id, actor, now and reason (why a second current card is revoked);
    each receiver moves what it holds of the merged record to the survivor and answers a dict of
    counts for the audit trail's "moved" (cards: "cards"; imports: "import_row"). The relations
    listed in `merge_handles` are left to the receivers.""",
)

# The (app label, model name, field name) of the relations to a resident that a receiver of
# `residents_merged` moves with its own rules; the merge moves every other relation as is.
merge_handles: set[tuple[str, str, str]] = set()

# --- Reading cards: search by card number, the resident's page ------------------------------
card_number_typed = Hook(
    "card_number_typed",
    """Given number (as typed); a receiver answers the card number normalised, or "" when the
    text is not a well-formed card number (cards).""",
)

cards_numbered = Hook(
    "cards_numbered",
    """Given number (normalised) and resident_ref (the outer query's path to the resident id);
    a receiver answers a filter expression, true when that resident holds a card with this number,
    whatever its status (cards).""",
)

resident_card_annotations = Hook(
    "resident_card_annotations",
    """Given resident_ref; a receiver answers a dict of annotations for a query of residents,
    computed in the same query (cards: "card_expiry_date", the card of record's last valid day).""",
)

card_expiry_badge = Hook(
    "card_expiry_badge",
    """Given expiry_date (of the resident's card of record, or None); a receiver answers the HTML
    of its expiring or expired badge, or "" (cards).""",
)

resident_page = Hook(
    "resident_page",
    """Given user, resident and cards (the resident's cards, newest first); each receiver answers
    a dict added to the resident page's context (cards: "reprintable_cards"; jobs:
    "passport_flag").""",
)

# --- Notifications -------------------------------------------------------------------------------
declaration_returned = Hook(
    "declaration_returned",
    """A declaration was sent back to its maker (residents.services), inside the transaction.

    Given declaration_id and version; a receiver tells the maker once it commits (jobs).""",
)

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
