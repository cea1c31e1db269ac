"""Reference data of the residents app, loadable again after a test flushes the database."""

from __future__ import annotations

import importlib

from residents.models import ResidenceBasis


def load_residence_bases() -> None:
    """Create or refresh the bases of residence the data migration loads (idempotent)."""
    migration = importlib.import_module("residents.migrations.0002_residence_bases")
    for code, name_en, name_km in migration.BASES:
        ResidenceBasis.objects.update_or_create(
            code=code, defaults={"name_en": name_en, "name_km": name_km}
        )
