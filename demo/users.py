"""Demo users, one per role; provincial ones in Phnom Penh and in Siem Reap."""

from __future__ import annotations

from dataclasses import dataclass

from accounts import otp
from accounts.models import User
from provinces.models import Province

PHNOM_PENH = "12"
SIEM_REAP = "17"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    province_code: str | None
    first_name: str
    last_name: str


DEMO_USERS = [
    DemoUser("officer_pp", User.Role.OFFICER, PHNOM_PENH, "Sokha", "Chan"),
    DemoUser("officer2_pp", User.Role.OFFICER, PHNOM_PENH, "Dara", "Kim"),
    DemoUser("verifier_pp", User.Role.VERIFIER, PHNOM_PENH, "Sophea", "Meas"),
    DemoUser("officer_sr", User.Role.OFFICER, SIEM_REAP, "Vannak", "Long"),
    DemoUser("verifier_sr", User.Role.VERIFIER, SIEM_REAP, "Chenda", "Ouk"),
    DemoUser("director", User.Role.DIRECTOR, None, "Rithy", "Sok"),
    DemoUser("clerk", User.Role.CLERK, None, "Bopha", "Heng"),
    DemoUser("admin", User.Role.ADMIN, None, "Visal", "Pich"),
]


def seed_users(*, password: str) -> list[User]:
    """Create or reset the demo users; running it again leaves one user per name."""
    provinces = {p.code: p for p in Province.objects.filter(code__in=[PHNOM_PENH, SIEM_REAP])}
    users = []
    for demo in DEMO_USERS:
        user, _created = User.objects.update_or_create(
            username=demo.username,
            defaults={
                "role": demo.role,
                "province": provinces[demo.province_code] if demo.province_code else None,
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@ims.example",
                "is_active": True,
                "is_staff": demo.role == User.Role.ADMIN,
                "is_superuser": demo.role == User.Role.ADMIN,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        if otp.requires_second_factor(user):
            otp.ensure_confirmed_device(user)
        users.append(user)
    return users
