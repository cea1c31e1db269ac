"""Writes to the audit trail. Every app records security-relevant actions through `audit_record`."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit import chain, selectors
from audit.models import GENESIS_HASH, AuditEvent

# Any constant: the key of the transaction-level advisory lock that serialises appends.
_CHAIN_LOCK_KEY = 0x1D5A_0D17


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the IMS sees it (REMOTE_ADDR; a proxy must set it correctly)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _object_fields(obj: models.Model | None) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_repr": ""}
    return {
        "object_type": obj._meta.label_lower,
        "object_id": str(obj.pk) if obj.pk is not None else "",
        "object_repr": str(obj)[:200],
    }


def _as_json(detail: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON so what is hashed now is exactly what PostgreSQL gives back later.
    return json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder))


def audit_record(
    *,
    actor: Any | None,
    action: AuditEvent.Action | str,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail, chained to the previous one.

    Call it inside the service's own transaction, so the record exists if and only if the
    action happened. `actor` is the user acting (None for anonymous: failed sign-ins, public
    validity checks). Never put passport numbers, passwords or other secrets in `detail`.
    Appends are serialised by an advisory lock held until commit, so the chain stays linear
    under concurrency; keep transactions that audit short (one event per import, not per row).
    """
    if action not in AuditEvent.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            at=timezone.now(),
            user=actor if authenticated else None,
            username=actor.get_username() if actor is not None and authenticated else "",
            role=getattr(actor, "role", "") if authenticated else "",
            province_code=(getattr(actor, "province_id", None) or "") if authenticated else "",
            ip=client_ip(request),
            action=str(action),
            detail=_as_json(detail),
            prev_hash=last or GENESIS_HASH,
            **_object_fields(obj),
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


class AuditAnchorRefused(Exception):
    """The trail no longer holds a row an earlier anchor pinned: anchoring now would hide it."""


def audit_anchor_head() -> str:
    """Append the trail's head, signed, to the anchor file; return the line written.

    Refused when the newest earlier anchor's row is gone or carries another hash: the trail
    was cut or altered, and a fresh anchor of the shorter chain must not paper over it (the
    earlier anchors still fail `verify_audit`, and the refusal is logged for the operators).
    """
    head_id, head_hash = selectors.audit_head()
    signed = [anchor for anchor in chain.read_anchors() if anchor.signed]
    if signed:
        latest = max(signed, key=lambda anchor: anchor.head_id)
        if latest.head_id:
            still = AuditEvent.objects.filter(pk=latest.head_id).values_list("hash", flat=True)
            if list(still) != [latest.head_hash]:
                raise AuditAnchorRefused(
                    f"row {latest.head_id} anchored at {latest.at} is missing or altered"
                )
    return chain.write_anchor(head_id=head_id, head_hash=head_hash)
