"""Set-based expiry of cards: the nightly job's status moves, and the badges that show them.

The rule (cards.models.expiry_date_for): `expiry_date` is the card's last valid day. On day D a
current card is
  - expired   when expiry_date < D (the day after its last valid day),
  - expiring  when D <= expiry_date <= D + EXPIRING_WINDOW_DAYS (the 90th day before included).
Only a handed-over (active) card becomes "expiring" (the transition table); any current card
becomes "expired". Each chunk is one statement that moves at most `limit` cards and inserts
their events; call it inside a transaction (the caller's chunk), which commits it whole or not
at all. Run again, it finds only what is left.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import DateField, OuterRef, Subquery

from cards.models import EXPIRING_WINDOW_DAYS, CardEvent, ResidenceCard

Status = ResidenceCard.Status

# Every current status may move to expired (transition table); only active moves to expiring.
EXPIRE_FROM = tuple(s for s in ResidenceCard.CURRENT_STATUSES if s != Status.EXPIRED)
EXPIRING_FROM = (Status.ACTIVE,)
assert all(Status.EXPIRED in ResidenceCard.TRANSITIONS[s] for s in EXPIRE_FROM)
assert all(Status.EXPIRING in ResidenceCard.TRANSITIONS[s] for s in EXPIRING_FROM)

# No ORDER BY: with one, the planner walks the primary key over every card instead of the
# (status, expiry_date) index; SKIP LOCKED already keeps the job from waiting on (or deadlocking
# with) a clerk's transaction. The UPDATE looks the picked ids up by primary key (= ANY(ARRAY)),
# never by a join the planner could turn into a scan of the whole table.
_MOVE_SQL = """
WITH picked AS (
    SELECT id, status FROM cards_residencecard
    WHERE status = ANY(%(from)s) AND {condition}
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), moved AS (
    UPDATE cards_residencecard AS card SET status = %(to)s
    WHERE card.id = ANY(ARRAY(SELECT id FROM picked))
    RETURNING card.id, card.expiry_date
)
INSERT INTO cards_cardevent (card_id, kind, actor_id, at, reason, data, print_run_id)
SELECT moved.id, %(kind)s, NULL, %(at)s, '',
       jsonb_build_object(
           'from', picked.status, 'expiry_date', moved.expiry_date::text,
           'job_run', %(run)s::bigint
       ),
       NULL
FROM moved JOIN picked ON picked.id = moved.id
RETURNING card_id
"""


def _move_chunk(*, condition: str, params: dict[str, Any]) -> list[int]:
    with connection.cursor() as cursor:
        # The planner multiplies "status is current" by "expiry date is past" and expects a
        # seventh of the table, so it scans all of it; in truth it is the few cards that crossed
        # the line since the last run. For this transaction only, it takes the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(_MOVE_SQL.format(condition=condition), params)
        return [row[0] for row in cursor.fetchall()]


def mark_expired_chunk(
    *, today: dt.date, at: dt.datetime, limit: int, run_id: int | None
) -> list[int]:
    """Mark at most `limit` current cards whose last valid day is before `today` as expired.

    One statement: the cards move and their MARKED_EXPIRED events are inserted together; the
    ids moved are returned (for the caller's notices, in the same transaction). Rows another
    transaction holds are skipped (SKIP LOCKED) and left to the next chunk or run.
    """
    return _move_chunk(
        condition="expiry_date < %(today)s",
        params={
            "from": list(EXPIRE_FROM),
            "to": Status.EXPIRED,
            "kind": CardEvent.Kind.MARKED_EXPIRED,
            "today": today,
            "at": at,
            "limit": limit,
            "run": run_id,
        },
    )


def mark_expiring_chunk(
    *, today: dt.date, at: dt.datetime, limit: int, run_id: int | None
) -> list[int]:
    """Mark at most `limit` active cards whose last valid day is within the window as expiring."""
    return _move_chunk(
        condition="expiry_date >= %(today)s AND expiry_date <= %(window_end)s",
        params={
            "from": list(EXPIRING_FROM),
            "to": Status.EXPIRING,
            "kind": CardEvent.Kind.MARKED_EXPIRING,
            "today": today,
            "window_end": today + dt.timedelta(days=EXPIRING_WINDOW_DAYS),
            "at": at,
            "limit": limit,
            "run": run_id,
        },
    )


# --- Badges ----------------------------------------------------------------------------------
ALERT_EXPIRING, ALERT_EXPIRED = "expiring", "expired"


def alert_for(expiry_date: dt.date | None, today: dt.date, status: str = "") -> str:
    """ "expired", "expiring" or "" for a card expiring on `expiry_date`, judged by its dates.

    By date rather than by status, so the badge is right even before the nightly job has run;
    a replaced or revoked card never carries one.
    """
    if expiry_date is None or status in (Status.REPLACED, Status.REVOKED):
        return ""
    if status == Status.EXPIRED or expiry_date < today:
        return ALERT_EXPIRED
    if expiry_date <= today + dt.timedelta(days=EXPIRING_WINDOW_DAYS):
        return ALERT_EXPIRING
    return ""


def card_expiry_subquery(resident_ref: str = "pk") -> Subquery:
    """The last valid day of a resident's card of record (current or expired, newest first).

    An annotation for resident lists: one subquery in the page's own query, no query per row
    (index card_resident on resident, -id).
    """
    return Subquery(
        ResidenceCard.objects.filter(
            resident_id=OuterRef(resident_ref),
            status__in=[*ResidenceCard.CURRENT_STATUSES, Status.EXPIRED],
        )
        .order_by("-id")
        .values("expiry_date")[:1],
        output_field=DateField(),
    )
