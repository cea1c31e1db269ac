"""A fixed-window rate limit per client address, counted in the shared cache (Redis)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a proxy in front must set it (a forged X-Forwarded-For must not reset it).
    return request.META.get("REMOTE_ADDR") or "unknown"


def allow(*, scope: str, request: HttpRequest, limit: int, window: int = 60) -> bool:
    """Count this request and say whether the client is still within `limit` per `window` s."""
    bucket = int(time.time() // window)
    key = f"cards:ratelimit:{scope}:{client_ip(request)}:{bucket}"
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window * 2)
        count = 1
    return count <= limit
