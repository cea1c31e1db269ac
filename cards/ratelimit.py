"""A fixed-window rate limit per client address or per user, counted in the shared cache (Redis)."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_local = LocMemCache("gdi-ims-ratelimit", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


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
    try:
        count = _count(cache, key, window)
    except RedisError:
        # Redis is unreachable: count in this process's memory instead, so that the page keeps
        # answering and a client is still limited (per server process) until Redis is back.
        logger.warning("Rate limit counted in memory: the shared cache is unreachable")
        count = _count(_local, key, window)
    return count <= limit


def _count(store: BaseCache, key: str, window: int) -> int:
    store.add(key, 0, timeout=window * 2)
    try:
        return int(store.incr(key))
    except ValueError:  # expired between add and incr
        store.set(key, 1, timeout=window * 2)
        return 1
