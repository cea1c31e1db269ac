"""Create .env from .env.example with fresh random secrets; bring an existing .env up to date.

An existing .env keeps every value it has; what a newer .env.example requires is added: the
audit trail's HMAC key and, where the application still connected as the `postgres` superuser,
an owner role for migrations and an application role of its own (`make db` creates both).
"""

from __future__ import annotations

import base64
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

root = Path(__file__).resolve().parent.parent
target = root / ".env"


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def password() -> str:
    return secrets.token_hex(16)


def with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{user}:{password()}@{host}").geturl()


def value(text: str, name: str) -> str | None:
    found = re.findall(rf"^{name}=(.*)$", text, flags=re.MULTILINE)
    return found[-1] if found else None


def set_value(text: str, name: str, new: str) -> str:
    if re.search(rf"^{name}=.*$", text, flags=re.MULTILINE):
        return re.sub(rf"^{name}=.*$", lambda _: f"{name}={new}", text, flags=re.MULTILINE)
    return text.rstrip("\n") + f"\n{name}={new}\n"


def split_roles(text: str, *, owner: str, app: str) -> str:
    """DATABASE_URL as the `postgres` superuser becomes an owner URL and an application URL."""
    url = value(text, "DATABASE_URL") or ""
    if value(text, "DATABASE_OWNER_URL") or urlsplit(url).username != "postgres":
        return text
    text = set_value(text, "DATABASE_OWNER_URL", with_user(url, owner))
    return set_value(text, "DATABASE_URL", with_user(url, app))


if not target.exists():
    text = (root / ".env.example").read_text(encoding="utf-8")
    text = text.replace(
        "DJANGO_SECRET_KEY=change-me", f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}"
    )
    text = text.replace("FIELD_ENCRYPTION_KEYS=\n", f"FIELD_ENCRYPTION_KEYS=k1:{key()}\n")
    text = text.replace("BLIND_INDEX_KEY=\n", f"BLIND_INDEX_KEY={key()}\n")
    text = text.replace("AUDIT_HMAC_KEY=\n", f"AUDIT_HMAC_KEY={key()}\n")
    text = text.replace("DEMO_PASSWORD=\n", f"DEMO_PASSWORD=Demo-{secrets.token_urlsafe(9)}\n")
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL"):
        url = value(text, name) or ""
        text = set_value(text, name, with_user(url, urlsplit(url).username or "ims"))
    target.write_text(text, encoding="utf-8")
    print(f"Wrote {target.name} with new secrets.")
else:
    text = target.read_text(encoding="utf-8")
    before = text
    if not value(text, "AUDIT_HMAC_KEY"):
        text = set_value(text, "AUDIT_HMAC_KEY", key())
    # Roles named after the database: machines with several databases keep them apart.
    database = urlsplit(value(text, "DATABASE_URL") or "").path.lstrip("/") or "gdi_ims"
    text = split_roles(text, owner=f"{database}_owner", app=f"{database}_app")
    if text != before:
        target.write_text(text, encoding="utf-8")
        print(f"Added to {target.name}: the audit key and database roles it lacked.")
    target.touch()
