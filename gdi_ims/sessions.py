"""Sessions read from Redis and kept in the database, still served when Redis is down.

Django's `cached_db` store reads the cache first and falls back to the database on a miss, but a
cache that cannot be reached turns some of its calls into errors: every signed-in page would fail
with Redis down. This store serves from the database then (and logs it once per call). Ending a
session is the exception: the cached copy is deleted first, and if that fails the database copy
stays too, so a session never survives in Redis after it was ended in the database.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("session cache unreachable: session read from the database")
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            logger.warning("session cache unreachable: session not cached")
        return data

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            logger.warning("session cache unreachable: existence checked in the database")
        return DatabaseStore.exists(self, session_key)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        # Cache first: if Redis cannot be reached this raises and both copies remain.
        self._cache.delete(self.cache_key_prefix + session_key)
        DatabaseStore.delete(self, session_key)
