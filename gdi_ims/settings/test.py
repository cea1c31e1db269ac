"""Test settings: the real PostgreSQL and Redis, fast password hashing, no HTTPS redirects."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
# Fixed test-only keys (never used outside the test suite), two of them to exercise rotation.
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS",
    "t2:dGVzdC1rZXktdHdvLXRlc3Qta2V5LXR3by10ZXN0LWs,t1:dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LWs",
)
os.environ.setdefault("BLIND_INDEX_KEY", "dGVzdC1ibGluZC1pbmRleC1rZXktdGVzdC1ibGluZC1pbmRleA")
os.environ.setdefault("AUDIT_HMAC_KEY", "dGVzdC1hdWRpdC1obWFjLWtleS10ZXN0LWF1ZGl0LWhtYWMta2V5")

from .base import *  # noqa: F403
from .base import DATABASE_OWNER, DATABASES, REDIS_URL, env, env_or

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# WhiteNoise finds a static file when it is asked for (through the finders, as in development)
# instead of reading the whole collected tree whenever a test client builds its middleware: a
# checkout where `make run` collected 25,000 files spent most of the suite's time there.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests use their own Redis databases (broker 13, cache 14), never the running app's ones.
TEST_REDIS_URL = env_or("TEST_REDIS_URL", REDIS_URL.rsplit("/", 1)[0] + "/13")
TEST_CACHE_URL = env_or("TEST_CACHE_URL", REDIS_URL.rsplit("/", 1)[0] + "/14")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": TEST_CACHE_URL,
        "KEY_PREFIX": "gdi_ims_test",
    },
    "fragments": CACHES["fragments"],  # noqa: F405
}
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_RESULT_BACKEND = TEST_REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = env_or("CELERY_QUEUE", "gdi_ims_test")
# Unit tests run tasks in-process; tests marked `worker` start a real worker instead. A real
# worker or beat started with CELERY_TASK_ALWAYS_EAGER=false sends what it queues (retries, beat
# entries) through Redis instead of running it inline.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(env_or("TEST_MEDIA_ROOT", str(BASE_DIR / "var" / "test-media")))  # noqa: F405
AXES_ENABLED = True

# The suite connects as the owner role: it creates and migrates the test database, which the
# application's role cannot, and empties tables between transactional tests. Only the
# credentials change: the database is the one DATABASE_URL names (a worker the tests start gets
# the test database's URL). tests/audit/test_roles.py connects as the application's role.
DATABASES["default"].update(
    {key: DATABASE_OWNER[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
)
# The suite's test database has no standby: reports read the primary. The standby's tests start
# their own primary and standby (tests/gdi_ims/test_standby.py).
DATABASES.pop("replica", None)
DATABASE_REPLICA_URL = ""
# Each test gets its own anchor file (tests/conftest.py); this one is for processes tests start.
AUDIT_ANCHOR_FILE = BASE_DIR / "var" / "test-audit-anchor.log"  # noqa: F405
