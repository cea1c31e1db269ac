"""Encryption of personal data at rest: AES-GCM with rotatable keys, plus a keyed blind index.

Keys come from the environment:
- FIELD_ENCRYPTION_KEYS: comma-separated `id:base64key` pairs (32-byte keys); the first encrypts,
  all decrypt, so a key is rotated by putting a new one first and re-encrypting
  (`manage.py rotate_field_keys`).
- BLIND_INDEX_KEY: base64 key of the HMAC that lets the database find and de-duplicate an encrypted
  value by equality without being able to read it.

A column holding `encrypt` tokens is an `EncryptedTextField`: it names its context (and the column
of its blind index, if any), so `rotate_field_keys` finds every such column in every app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_NONCE_BYTES = 12


@cache
def _keys() -> tuple[tuple[str, bytes], ...]:
    pairs = []
    for item in settings.FIELD_ENCRYPTION_KEYS:
        key_id, _sep, encoded = item.partition(":")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not key_id or len(key) != 32:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS needs id:base64 pairs of 32-byte keys"
            )
        pairs.append((key_id, key))
    if not pairs:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    return tuple(pairs)


@cache
def _index_key() -> bytes:
    encoded = settings.BLIND_INDEX_KEY
    key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    if len(key) < 32:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 32 bytes, base64-encoded")
    return key


def current_key_id() -> str:
    return _keys()[0][0]


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt with the current key; `context` binds the value to its column (associated data)."""
    key_id, key = _keys()[0]
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    key_id, _sep, payload = token.partition(":")
    keys = dict(_keys())
    if key_id not in keys:
        raise ImproperlyConfigured(f"no key with id {key_id!r} in FIELD_ENCRYPTION_KEYS")
    raw = base64.urlsafe_b64decode(payload)
    return (
        AESGCM(keys[key_id])
        .decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        .decode()
    )


def decryptor(*, context: str) -> Callable[[str], str]:
    """`decrypt` for many values of one column (an export): each key's cipher is built once."""
    ciphers = {key_id: AESGCM(key) for key_id, key in _keys()}
    associated = context.encode()

    def decrypt_one(token: str) -> str:
        key_id, _sep, payload = token.partition(":")
        cipher = ciphers.get(key_id)
        if cipher is None:
            raise ImproperlyConfigured(f"no key with id {key_id!r} in FIELD_ENCRYPTION_KEYS")
        raw = base64.urlsafe_b64decode(payload)
        return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated).decode()

    return decrypt_one


_FILE_MAGIC = b"GDIENC1\n"


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    """Encrypt a whole file with the current key (same keys and rotation as the fields)."""
    key_id, key = _keys()[0]
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, data, context.encode())
    return _FILE_MAGIC + key_id.encode() + b"\n" + nonce + sealed


def is_encrypted_file(data: bytes) -> bool:
    return data.startswith(_FILE_MAGIC)


def decrypt_bytes(data: bytes, *, context: str) -> bytes:
    if not is_encrypted_file(data):
        raise ValueError("not an encrypted file")
    key_id, _sep, payload = data[len(_FILE_MAGIC) :].partition(b"\n")
    keys = dict(_keys())
    if key_id.decode() not in keys:
        raise ImproperlyConfigured(f"no key with id {key_id.decode()!r} in FIELD_ENCRYPTION_KEYS")
    key = keys[key_id.decode()]
    return AESGCM(key).decrypt(payload[:_NONCE_BYTES], payload[_NONCE_BYTES:], context.encode())


def blind_index(value: str, *, context: str) -> str:
    """Keyed hash of an already normalised value, for equality look-ups and unique constraints."""
    message = f"{context}\x1f{value}".encode()
    return hmac.new(_index_key(), message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column of `encrypt` tokens under one context ("" stands for no value).

    The model still encrypts and decrypts (it knows how to normalise the value first); the field
    only says what the column is, so that a key rotation can find it. `index_field` names the
    column holding the same value's `blind_index` under the same context, if there is one.
    """

    def __init__(self, *args: Any, context: str = "", index_field: str = "", **kwargs: Any):
        self.context = context
        self.index_field = index_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["context"] = self.context
        if self.index_field:
            kwargs["index_field"] = self.index_field
        return name, path, args, kwargs
