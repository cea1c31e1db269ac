"""What jobs answer when the apps below call their hooks, registered in ready().

The notifications are queued after the caller's transaction commits, as the callers did before
they had hooks; the passport flag is jobs' part of the residents' pages.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from cards import hooks as card_hooks
from cards.models import ResidenceCard
from compilation import hooks as compilation_hooks
from core import queue
from imports import hooks as import_hooks
from jobs import tasks
from residents import hooks as resident_hooks
from residents.models import Resident


def notify_declaration_returned(*, declaration_id: int, version: int) -> None:
    queue.send_on_commit(tasks.notify_declaration_returned_task, declaration_id, version)


def notify_print_run_failed(*, print_run_id: int) -> None:
    queue.send_on_commit(tasks.notify_print_run_failed_task, print_run_id)


def notify_import_failed(*, batch_id: int) -> None:
    queue.send_on_commit(tasks.notify_import_failed_task, batch_id)


def notify_province_list_returned(*, province_code: str) -> None:
    queue.send_on_commit(tasks.notify_province_list_returned_task, province_code)


def resident_page_passport_flag(
    *, user: User, resident: Resident, cards: list[Any]
) -> dict[str, Any]:
    """The nightly job's flag that the current passport expires before the current card, if any."""
    flag = (
        resident.passport_flags.filter(
            document__is_current=True, card__status__in=ResidenceCard.CURRENT_STATUSES
        )
        .order_by("-id")
        .first()
    )
    return {"passport_flag": flag}


def register() -> None:
    resident_hooks.declaration_returned.register(notify_declaration_returned)
    resident_hooks.resident_page.register(resident_page_passport_flag)
    card_hooks.print_run_failed.register(notify_print_run_failed)
    import_hooks.import_failed.register(notify_import_failed)
    compilation_hooks.province_list_returned.register(notify_province_list_returned)
