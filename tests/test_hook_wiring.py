"""Every hook a lower app calls is answered by the apps above it, registered once at start-up."""

from __future__ import annotations

from cards import hooks as card_hooks
from compilation import hooks as compilation_hooks
from imports import hooks as import_hooks
from residents import hooks as resident_hooks


def _receivers(hook: object) -> list[str]:
    return [f"{r.__module__}.{r.__name__}" for r in hook.receivers]  # type: ignore[attr-defined]


def test_each_hook_has_the_receivers_of_the_apps_above_in_the_order_of_installed_apps():
    assert {
        name: _receivers(hook)
        for module in (resident_hooks, card_hooks, import_hooks, compilation_hooks)
        for name, hook in vars(module).items()
        if type(hook).__name__ == "Hook"
    } == {
        "residence_ended": ["cards.receivers.revoke_cards_of_ended_residence"],
        "printed_fields_corrected": ["cards.receivers.replace_card_after_correction"],
        "residents_merged": [
            "cards.receivers.move_cards_to_survivor",
            "imports.receivers.move_import_row_to_survivor",
        ],
        "card_number_typed": ["cards.receivers.card_number_typed"],
        "cards_numbered": ["cards.receivers.cards_numbered"],
        "resident_card_annotations": ["cards.receivers.card_annotations"],
        "card_expiry_badge": ["cards.receivers.card_expiry_badge"],
        "resident_page": [
            "cards.receivers.resident_page_cards",
            "jobs.receivers.resident_page_passport_flag",
        ],
        "declaration_returned": ["jobs.receivers.notify_declaration_returned"],
        "print_run_failed": ["jobs.receivers.notify_print_run_failed"],
        "import_failed": ["jobs.receivers.notify_import_failed"],
        "province_edit_guard": ["compilation.hold.province_edit_refusal"],
        "province_figures_changed": ["compilation.services.province_figures_refresh_on_commit"],
        "province_list_returned": ["jobs.receivers.notify_province_list_returned"],
    }


def test_the_merge_leaves_to_the_receivers_exactly_the_relations_they_move():
    assert resident_hooks.merge_handles == {
        ("cards", "residencecard", "resident"),
        ("imports", "importedresident", "resident"),
    }
