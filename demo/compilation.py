"""Demo compilation state: HQ's estimates per province and fresh dashboard figures."""

from __future__ import annotations

from accounts.models import User
from compilation import services
from provinces.models import Province

# Estimated foreign permanent residents per province (code: estimate), about 90,500 in all;
# Phnom Penh and the coast hold most of them.
ESTIMATES = {
    "12": 41_000, "18": 12_500, "17": 6_500, "08": 5_200, "02": 3_800, "01": 3_200,
    "03": 2_100, "07": 1_900, "09": 1_700, "21": 1_500, "14": 1_400, "20": 1_300,
    "05": 1_200, "25": 1_100, "04": 900, "06": 850, "15": 800, "10": 700, "22": 650,
    "24": 600, "23": 550, "16": 500, "11": 450, "19": 400, "13": 350,
}  # fmt: skip


def seed_compilation(*, director: User) -> int:
    """Set every province's estimate (as the demo director) and refresh the figures.

    Returns the number of provinces in the day's snapshot.
    """
    for province in Province.objects.order_by("code"):
        services.province_estimate_set(
            province=province, estimated_residents=ESTIMATES[province.code], actor=director
        )
    return services.daily_snapshot_take()
