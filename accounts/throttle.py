"""Fixed-window counters in the shared cache, for anonymous pages that send e-mail."""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def allow(*, scope: str, who: str, limit: int, window: int) -> bool:
    """Count one more attempt by `who` and say whether it is within `limit` per `window` s.

    `who` is hashed: an e-mail address never appears in the cache's keys. With Redis
    unreachable the attempt is allowed (and logged): forgetting a password must not fail
    because the cache is down, and e-mails are still sent through the queue's own limits.
    """
    digest = hashlib.sha256(who.lower().encode()).hexdigest()[:24]
    key = f"accounts:throttle:{scope}:{digest}:{int(time.time() // window)}"
    try:
        cache.add(key, 0, timeout=window * 2)
        return int(cache.incr(key)) <= limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window * 2)
        return True
    except RedisError:
        logger.warning("Throttle %s not counted: the shared cache is unreachable", scope)
        return True
