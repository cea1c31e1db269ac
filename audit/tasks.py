"""Celery tasks of the audit trail."""

from __future__ import annotations

import logging

from celery import shared_task

from audit import services

logger = logging.getLogger("audit.anchor")


@shared_task
def anchor_audit_head_task() -> str:
    """Anchor the trail's head outside the database (beat, every ten minutes); idempotent.

    A refusal (the trail lost an anchored row) is logged as an error and the task fails.
    """
    try:
        return services.audit_anchor_head()
    except services.AuditAnchorRefused as refused:
        logger.error("audit head NOT anchored, the trail was altered: %s", refused)
        raise
