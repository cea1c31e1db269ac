"""Reads of the audit trail: only administrators and HQ directors may search it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from accounts import access
from accounts.access import Capability
from audit import chain
from audit.models import GENESIS_HASH, AuditEvent
from core import keyset
from core.errors import NotAllowed
from core.keyset import Key

PAGE_SIZE = 50
AUDIT_KEYS = (Key("id", descending=True),)


def can_read_audit(user: Any) -> bool:
    return access.can(user, Capability.AUDIT_READ)


def audit_event_list_for(
    *,
    user: Any,
    username: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    province_code: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    after: str = "",
    page_size: int = PAGE_SIZE,
) -> keyset.Page[AuditEvent]:
    """One page of the events matching the filters, newest first, by keyset from `after`.

    A bare id (the trail's first links, `?before=123`) is still read as a cursor.
    """
    if not can_read_audit(user):
        raise NotAllowed()
    events = AuditEvent.objects.all()
    if username:
        events = events.filter(username__iexact=username)
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if province_code:
        events = events.filter(province_code=province_code)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return keyset.paginate(events, AUDIT_KEYS, after=after, page_size=page_size)


def audit_chain_problems(*, batch_size: int = 2000) -> Iterator[str]:
    """Yield one message per broken link of the chain or broken anchor, in id order.

    A row whose content does not match its keyed hash was altered (re-hashing it needs the key,
    which the database does not hold); a row whose link to its predecessor is broken follows a
    removed or altered row; an anchored row that is missing or carries another hash shows rows
    removed at the end (which leaves a valid, shorter chain) or altered and re-linked.
    """
    anchored: dict[int, list[chain.Anchor]] = {}
    for anchor in chain.read_anchors():
        if not anchor.signed:
            yield (
                f"anchor line {anchor.line_number}: not signed with this IMS's key "
                "(the anchor file was altered)"
            )
        elif anchor.head_id:
            anchored.setdefault(anchor.head_id, []).append(anchor)
    expected_prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev:
            yield (
                f"row {event.pk}: previous-hash link is broken "
                "(a row before it was removed or altered)"
            )
        if event.compute_hash() != event.hash:
            yield f"row {event.pk}: content does not match its hash (the row was altered)"
        for anchor in anchored.pop(event.pk, []):
            if anchor.head_hash != event.hash:
                yield (
                    f"row {event.pk}: hash differs from the one anchored at {anchor.at} "
                    "(the row was altered)"
                )
        expected_prev = event.hash
    for head_id, anchors in sorted(anchored.items()):
        yield (
            f"row {head_id}: anchored at {anchors[0].at} but missing "
            "(rows were removed from the trail)"
        )


def audit_head() -> tuple[int, str]:
    """The id and hash of the newest row (0 and the genesis hash for an empty trail)."""
    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    return head or (0, GENESIS_HASH)
