"""The hold of a signed-off province list: its records stay as HQ signed them off.

Once HQ signs a province's list off, nothing in the province may change (residents, declarations,
documents, what a card prints) and nothing may be imported into it, until HQ deliberately reopens
the list (`services.province_list_reopen`, with a reason). The services of residents and imports
ask before they write, through `residents.hooks.province_edit_guard` (they sit below the
compilation and do not import it; `CompilationConfig.ready` registers `province_edit_refusal`);
each raises its own refusal with the message, so its views show it.

The question is asked under a share lock of the province's compilation row: a sign-off (which
locks the row for update) waits for the edits in flight, and an edit waits for a sign-off in
flight, so no edit slips in between a sign-off's count of pending records and its commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.utils.translation import gettext_lazy as _

from compilation.models import ProvinceCompilation

if TYPE_CHECKING:
    # A type only: django-stubs-ext is a development package, not installed in production.
    from django_stubs_ext import StrOrPromise

HELD_MESSAGE = _(
    "This province's list is signed off by HQ: its records cannot be changed and nothing can be "
    "imported into it until HQ reopens the list."
)


def province_list_held(province_id: str | None) -> bool:
    """Whether the province's list is signed off; locks its compilation row FOR SHARE.

    Call it inside the transaction of the write it guards (the lock lasts until its end).
    """
    if not province_id:
        return False
    table = ProvinceCompilation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status FROM {table} WHERE province_id = %s FOR SHARE",  # noqa: S608 - model meta
            [province_id],
        )
        row = cursor.fetchone()
    return bool(row) and row[0] == ProvinceCompilation.Status.FINISHED


def province_edit_refusal(*, province_id: str) -> StrOrPromise | None:
    """The hold's answer to `residents.hooks.province_edit_guard`: the message, when held."""
    return HELD_MESSAGE if province_list_held(province_id) else None
