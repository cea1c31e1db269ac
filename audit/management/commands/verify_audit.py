from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEvent
from audit.selectors import audit_chain_problems


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; fails naming every row that was altered or removed."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(audit_chain_problems())
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"audit trail tampered with: {len(problems)} problem(s)")
        count = AuditEvent.objects.count()
        head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {count} rows, head {head}"))
