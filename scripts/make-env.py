"""Create .env from .env.example with fresh random secrets; leave an existing .env alone."""

from __future__ import annotations

import base64
import secrets
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
target = root / ".env"
if target.exists():
    sys.exit(0)
text = (root / ".env.example").read_text(encoding="utf-8")
text = text.replace("DJANGO_SECRET_KEY=change-me", f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}")


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


text = text.replace("FIELD_ENCRYPTION_KEYS=\n", f"FIELD_ENCRYPTION_KEYS=k1:{key()}\n")
text = text.replace("BLIND_INDEX_KEY=\n", f"BLIND_INDEX_KEY={key()}\n")
text = text.replace("DEMO_PASSWORD=\n", f"DEMO_PASSWORD=Demo-{secrets.token_urlsafe(9)}\n")
target.write_text(text, encoding="utf-8")
print(f"Wrote {target.name} with new secrets.")
