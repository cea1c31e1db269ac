from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEvent
from audit.selectors import audit_chain_problems, audit_head
from audit.services import audit_anchor_head


class Command(BaseCommand):
    help = (
        "Check the audit trail's keyed hash chain against its anchors; fails naming every row "
        "that was altered or removed. An intact trail gets its head anchored again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(audit_chain_problems())
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"audit trail tampered with: {len(problems)} problem(s)")
        count = AuditEvent.objects.count()
        head_id, head_hash = audit_head()
        audit_anchor_head()
        self.stdout.write(
            self.style.SUCCESS(f"audit trail intact: {count} rows, head {head_id} {head_hash}")
        )
