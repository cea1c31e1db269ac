from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from audit import receivers  # noqa: F401  (sign-in, lockout and user-change records)
        from audit.roles import granted_after_migrate

        # Sent once for this app after the whole plan: every table exists by then.
        post_migrate.connect(granted_after_migrate, sender=self, dispatch_uid="audit_grants")
