"""Seeded records of known states in Phnom Penh and Siem Reap, for exact figures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts.models import User
from provinces.models import District
from residents.models import Declaration, Resident
from tests.factories import DeclarationFactory, ResidentFactory, UserFactory

Status = Declaration.Status


@dataclass
class Seeded:
    maker_pp: User
    maker_sr: User
    checker_pp: User
    residents: dict[str, list[Resident]]
    declarations: dict[str, list[Declaration]]


def make_record(
    *, province: str, status: str | None, maker: User, checker: User, nationality: str = "CN",
    district: District | None = None,
) -> tuple[Resident, Declaration | None]:  # fmt: skip
    """A resident of `province`, with a declaration in `status` (none when status is None)."""
    extra = {"address_district": district} if district else {}
    resident = ResidentFactory(
        province_id=province, created_by=maker, nationality=nationality, **extra
    )
    if status is None:
        return resident, None
    fields: dict[str, object] = {"resident": resident, "status": status, "created_by": maker}
    if status in (Status.RETURNED, Status.REJECTED):
        fields["status_reason"] = "Passport copy unreadable"
    if status != Status.DRAFT:
        fields["reviewed_by"] = checker if status != Status.SUBMITTED else None
    return resident, DeclarationFactory(**fields)


@pytest.fixture
def seeded(geo: None) -> Seeded:
    """Phnom Penh: 7 residents (1 draft, 2 submitted, 1 returned, 1 verified, 1 acknowledged,
    1 without declaration; 4 CN, 2 VN, 1 KR) with 2 in a second district.
    Siem Reap: 3 residents (1 verified CN, 1 rejected TH, 1 acknowledged CN).
    """
    maker_pp = UserFactory(username="maker_pp", role=User.Role.OFFICER, province_id="12")
    checker_pp = UserFactory(username="checker_pp", role=User.Role.VERIFIER, province_id="12")
    maker_sr = UserFactory(username="maker_sr", role=User.Role.OFFICER, province_id="17")
    checker_sr = UserFactory(username="checker_sr", role=User.Role.VERIFIER, province_id="17")
    pp_districts = list(District.objects.filter(province_id="12").order_by("code")[:2])
    plan_pp = [
        (Status.DRAFT, "CN", 0),
        (Status.SUBMITTED, "CN", 0),
        (Status.SUBMITTED, "VN", 1),
        (Status.RETURNED, "CN", 0),
        (Status.VERIFIED, "VN", 1),
        (Status.ACKNOWLEDGED, "CN", 0),
        (None, "KR", 0),
    ]
    plan_sr = [(Status.VERIFIED, "CN"), (Status.REJECTED, "TH"), (Status.ACKNOWLEDGED, "CN")]
    residents: dict[str, list[Resident]] = {"12": [], "17": []}
    declarations: dict[str, list[Declaration]] = {"12": [], "17": []}
    for status, nationality, d in plan_pp:
        r, decl = make_record(
            province="12", status=status, maker=maker_pp, checker=checker_pp,
            nationality=nationality, district=pp_districts[d],
        )  # fmt: skip
        residents["12"].append(r)
        if decl:
            declarations["12"].append(decl)
    for status, nationality in plan_sr:
        r, decl = make_record(
            province="17", status=status, maker=maker_sr, checker=checker_sr,
            nationality=nationality,
        )  # fmt: skip
        residents["17"].append(r)
        declarations["17"].append(decl)
    return Seeded(maker_pp, maker_sr, checker_pp, residents, declarations)
