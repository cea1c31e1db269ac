"""A fixed-window rate limit per client address or per user, counted in the shared cache (Redis)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a proxy in front must set it (a forged X-Forwarded-For must not reset it).
    return request.META.get("REMOTE_ADDR") or "unknown"


def allow(
    *, scope: str, request: HttpRequest, limit: int, window: int = 60, per_user: bool = False
) -> bool:
    """Count this request and say whether the client is still within `limit` per `window` s.

    Anonymous pages count per address; `per_user` counts per signed-in user instead, wherever
    they sign in from (one user walking card numbers from several machines is still one user).
    """
    bucket = int(time.time() // window)
    who = f"user:{request.user.pk}" if per_user else client_ip(request)
    key = f"cards:ratelimit:{scope}:{who}:{bucket}"
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window * 2)
        count = 1
    return count <= limit
