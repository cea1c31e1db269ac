"""The audit chain's keyed hash, and the anchors that pin its head outside the database.

Each row's hash is an HMAC-SHA256 under AUDIT_HMAC_KEY, a key that lives in the environment and
never in the database: someone able to write the table (a database administrator, a restored and
edited backup) can change a row, but cannot compute the hash that would hide the change.

A chain alone cannot show that its newest rows were removed: what is left is still a valid
chain. So the head (last id and hash) is appended, signed with the same key, to the anchor file
(AUDIT_ANCHOR_FILE) and to the log, at intervals (beat) and on every verification. Verifying
checks that every anchored row is still there with the anchored hash.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS_HASH = "0" * 64
logger = logging.getLogger("audit.anchor")

_ANCHOR_LINE = re.compile(
    r"^(?P<at>\S+) id=(?P<id>\d+) hash=(?P<hash>[0-9a-f]{64}) sig=(?P<sig>[0-9a-f]{64})$"
)


def _key() -> bytes:
    encoded = settings.AUDIT_HMAC_KEY
    key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    if len(key) < 32:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY must be at least 32 bytes, base64-encoded")
    return key


def canonical(payload: list[Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(payload: list[Any]) -> str:
    """HMAC-SHA256 of a row's canonical payload (its predecessor's hash comes first)."""
    return hmac.new(_key(), b"row\0" + canonical(payload), hashlib.sha256).hexdigest()


def _anchor_signature(at: str, head_id: int, head_hash: str) -> str:
    message = f"anchor\0{at}\0{head_id}\0{head_hash}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Anchor:
    line_number: int
    at: str
    head_id: int
    head_hash: str
    signed: bool


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def read_anchors() -> list[Anchor]:
    """Every line of the anchor file, each marked signed or not (a missing file: none)."""
    path = anchor_path()
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _ANCHOR_LINE.match(line.strip())
        if match is None:
            anchors.append(Anchor(number, "", 0, "", signed=False))
            continue
        at, head_id, head_hash = match["at"], int(match["id"]), match["hash"]
        expected = _anchor_signature(at, head_id, head_hash)
        signed = hmac.compare_digest(expected, match["sig"])
        anchors.append(Anchor(number, at, head_id, head_hash, signed=signed))
    return anchors


def write_anchor(*, head_id: int, head_hash: str) -> str:
    """Append one signed head line to the anchor file (and the log); return the line."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    line = f"{at} id={head_id} hash={head_hash} sig={_anchor_signature(at, head_id, head_hash)}"
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Append-only, one write per line, readable by the IMS's user alone.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    logger.info("audit head anchored: %s", line)
    return line
