"""What imports answer when residents call their hooks (residents.hooks), registered in ready()."""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from imports import services
from residents import hooks


def move_import_row_to_survivor(
    *, survivor_id: int, merged_id: int, actor: User, now: dt.datetime, reason: str
) -> dict[str, int]:
    return {
        "import_row": services.import_row_follow_merge(survivor_id=survivor_id, merged_id=merged_id)
    }


def register() -> None:
    hooks.residents_merged.register(move_import_row_to_survivor)
    hooks.merge_handles.add(("imports", "importedresident", "resident"))
