"""Settings of GDI IMS, read from the environment.

Production differs from development only by environment variables; every one of them is
documented in `.env.example`.
"""

from __future__ import annotations

from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import environ
import fontpkg_noto_sans
import fontpkg_noto_sans_khmer
import pghistory
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from core import countries

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_or(name: str, default: str) -> str:
    """An optional variable: unset and empty both mean the default."""
    return env.str(name, default="") or default


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes
    "csp",
    "core",
    "audit",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "accounts",
    "provinces",
    "residents",
    "cards",
    "imports",
    "compilation",
    "jobs",
    # The top floor: demo data and `seed_demo` (imports every app above; none imports it).
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before the headers below: they keep their long cache
    # lifetimes (a hashed name never changes), so a page's styles, scripts and fonts are
    # fetched once, not on every page.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "gdi_ims.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gdi_ims.middleware.NullCharacterMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After sign-in: the 12-hour limit, the second factor, then a password change an
    # administrator forced (see gdi_ims/middleware.py).
    "gdi_ims.middleware.SessionLimitsMiddleware",
    "gdi_ims.middleware.SecondFactorMiddleware",
    "gdi_ims.middleware.PasswordChangeRequiredMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "gdi_ims.middleware.MethodNotAllowedMiddleware",
    # A refusal a view left uncaught (core.errors): its message and status, the same everywhere.
    "core.middleware.ApplicationErrorMiddleware",
    # Axes last: it turns a lockout raised by authenticate() into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gdi_ims.urls"
WSGI_APPLICATION = "gdi_ims.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gdi_ims.navigation.navigation",
            ],
            # `figure`: counts and figures grouped by thousands (core/figures.py).
            "builtins": ["core.figures"],
            # The project's own tags (gdi_ims is not an app): form fields and badges written
            # in Python for the list pages.
            "libraries": {
                "ims_fields": "core.templatetags.ims_fields",
                "ims_rows": "core.templatetags.ims_rows",
            },
        },
    },
]

# Two roles (scripts/create-db.sh creates them): DATABASE_URL is the application's (web, worker,
# beat), which owns nothing and may only read and append to the audit trail; DATABASE_OWNER_URL
# is the owner's, which `manage.py migrate` switches to (audit/management/commands/migrate.py).
# Keep the owner's URL out of the web and worker environment in production. Unset, the
# application's role migrates too (a single-role set-up, which leaves the audit trail unguarded).
# Kept parsed (their PASSWORD is then masked wherever Django shows settings).
_database_url = env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/gdi_ims")
DATABASE_APPLICATION = env.db_url_config(_database_url)
DATABASE_OWNER = env.db_url_config(env_or("DATABASE_OWNER_URL", _database_url))
# A superuser, used only by `make db` (which creates the roles and the database) and by the tests
# that play a database administrator tampering with the trail; the IMS never connects with it.
# Default: postgres on DATABASE_URL's server.
_server = urlsplit(_database_url)
_server_address = f"{_server.hostname or '127.0.0.1'}:{_server.port or 5432}"
DATABASE_ADMIN = env.db_url_config(
    env_or("DATABASE_ADMIN_URL", f"{_server.scheme}://postgres@{_server_address}/postgres")
)
DATABASES = {"default": env.db_url_config(_database_url)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A bounded pool of connections per process (psycopg's pool, through Django): the web server's
# threads share at most DATABASE_POOL_MAX_SIZE connections, so the whole stack stays within
# workers x that size however many requests arrive at once; a request waits up to
# DATABASE_POOL_TIMEOUT seconds for a free connection rather than opening one more.
DATABASE_POOL = env.bool("DATABASE_POOL", default=True)
if DATABASE_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        "max_idle": 300,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A standby streaming from the primary (scripts/standby.sh): HQ's dashboard, headline and exports
# read from it while it is at most DATABASE_REPLICA_MAX_LAG_SECONDS behind, else from the primary
# (core/db_router.py). No pool: a standby that is down must cost a refused connection, never a
# wait for a pooled one; DATABASE_REPLICA_CONNECT_TIMEOUT bounds a standby that does not answer.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=30.0)
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=10.0)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_REPLICA_CONNECT_TIMEOUT", default=2
    )
DATABASE_ROUTERS = ["core.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The cache lives in its own Redis database: clearing it must never touch Celery's queues.
CACHE_URL = env_or("CACHE_URL", REDIS_URL.rsplit("/", 1)[0] + "/1")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="gdi_ims"),
    },
    # Rendered page fragments whose key names the version of everything they show (the HQ
    # dashboard): kept in each process's memory, so a kept page costs no cache round trip. A
    # changed version is a new key; old ones are evicted.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "gdi-ims-fragments",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
}

# --- Users, passwords, sign-in ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # zxcvbn's estimate (0-4): 3 is "safely unguessable" against an online attack.
    {"NAME": "accounts.passwords.StrengthValidator", "OPTIONS": {"min_score": 3}},
]
# Sensitive actions (bulk acknowledgement and card issue, revocation, role changes, second-factor
# resets) ask again for the password and code when the last proof is older than this.
REAUTH_MAX_AGE_SECONDS = env.int("REAUTH_MAX_AGE_SECONDS", default=300)
# A forgotten-password link works for an hour (and once: it is bound to the current password).
PASSWORD_RESET_TIMEOUT = 3600
# Forgotten-password requests per hour: per client address, and per e-mail address.
PASSWORD_RESET_RATE_PER_IP = 10
PASSWORD_RESET_RATE_PER_EMAIL = 3
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Lets the sign-in form say "this account is inactive" instead of a vague failure; loads the
    # user of each request with their province.
    "accounts.backends.UserBackend",
]

# How long opening a declaration holds it for that verifier; the claim lapses by itself.
VERIFICATION_CLAIM_MINUTES = env.int("VERIFICATION_CLAIM_MINUTES", default=10)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Sessions live in the database only: one indexed read per request (written at most once a
# minute, below). Ending one deletes one row, at once and for good, whether Redis is up or not.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Idle sessions end after 30 minutes: activity pushes the expiry forward, written at most once a
# minute (gdi_ims.middleware.SessionLimitsMiddleware), so a session ends 29 to 30 idle minutes
# after its last request instead of costing a database write on every page.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_IDLE_REFRESH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "gdi_ims.views.csrf_failure"
# However active, a session ends 12 hours after sign-in (gdi_ims.middleware.SessionLimits...).
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)

# Two-factor sign-in (accounts/otp.py): always for HQ directors, clerks and administrators;
# true here requires it of provincial staff as well.
OTP_REQUIRED_FOR_ALL = env.bool("OTP_REQUIRED_FOR_ALL", default=False)
OTP_TOTP_ISSUER = "GDI IMS"
# Belt and braces: accounts.admin replaces django-otp's device admin with one that never shows a
# secret; should that admin come back, it hides the secrets and QR codes too.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- HTTPS (production turns these on through the environment) -------------------------------
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# `__Host-` cookies are only sent over HTTPS, to this exact host, for the whole site.
SESSION_COOKIE_NAME = env_or(
    "SESSION_COOKIE_NAME", "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
)
CSRF_COOKIE_NAME = env_or(
    "CSRF_COOKIE_NAME", "__Host-csrftoken" if SESSION_COOKIE_SECURE else "csrftoken"
)
# One year of HSTS by default once the site redirects to HTTPS.
SECURE_HSTS_SECONDS = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60 if SECURE_SSL_REDIRECT else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No inline script or style anywhere: templates load static files only, and htmx is told not
# to inject its indicator <style> (meta htmx-config in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Languages, time, formats ----------------------------------------------------------------
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("km", _("Khmer"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["core.formats"]
TIME_ZONE = "Asia/Phnom_Penh"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
NODE_MODULES = BASE_DIR / "node_modules"
KHMER_FONT_DIR = Path(fontpkg_noto_sans_khmer.ROOT) / "files"
# Noto Sans: the letters of names in own script (Vietnamese, Cyrillic, Greek) the Khmer face lacks.
LATIN_FONT_DIR = Path(fontpkg_noto_sans.ROOT) / "files"
# Noto faces for the other scripts names are written in, from the @fontsource npm packages: the
# pages serve them (templates/includes/fonts.html), the card embeds their pieces
# (cards.script_fonts).
SCRIPT_FONT_DIR = NODE_MODULES / "@fontsource"
# OCR-B (Matthew Skala's free version) for the card's machine-readable zone, as the PyUPC-EAN
# package ships it; found without importing the barcode library itself.
OCRB_FONT_DIR = Path(find_spec("upcean").submodule_search_locations[0]) / "fonts"  # type: ignore[index, union-attr]
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party assets are served straight from the packages that ship them.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("fonts/noto-sans-khmer", KHMER_FONT_DIR),
    ("vendor/fonts", SCRIPT_FONT_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_or(
            "STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_or("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Forms -----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
COUNTRIES_FIRST = ["CN", "VN", "TH", "KR", "JP"]
# Every country is named in the reader's language from CLDR (see core/countries.py).
COUNTRIES_OVERRIDE = countries.override()

# --- E-mail ----------------------------------------------------------------------------------
# EMAIL_URL (smtp+tls://user:password@host:587, smtps://... for implicit TLS) sets the SMTP
# server in one variable and wins over the separate EMAIL_* ones. Without either, development
# prints mails on the console; then administrators are shown invitation links themselves.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds an SMTP connection may take (a task retries later; a hung server never blocks a worker).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# Where the file backend (django.core.mail.backends.filebased.EmailBackend) writes mails.
EMAIL_FILE_PATH = env_or("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
    EMAIL_PORT = int(_email.get("EMAIL_PORT") or 25)
    EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
    EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="GDI IMS <no-reply@localhost>")

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_or("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_or("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env_or("CELERY_QUEUE", "gdi_ims")
# Print runs, imports and the nightly work each on a queue of their own (gdi_ims/celery.py).
CELERY_TASK_ROUTES = ("gdi_ims.celery.route_task",)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues work never waits long on an unreachable broker: the work is recorded in
# the database first and sent again by the sweep (gdi_ims.queue).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
# Project-level tasks; the apps' tasks.py modules are found by autodiscovery.
CELERY_IMPORTS = ["gdi_ims.tasks"]
CELERY_BEAT_SCHEDULE = {
    "record-heartbeat": {
        "task": "gdi_ims.tasks.record_heartbeat_task",
        "schedule": crontab(minute="*/5"),
    },
    # The compilation's tasks keep the names they had under provinces (compilation/tasks.py).
    "refresh-province-summary": {
        "task": "provinces.tasks.refresh_province_summary_task",
        "schedule": crontab(minute="*/10"),
    },
    # Work queued while Redis was unreachable is in the database: send it again (gdi_ims.queue).
    "requeue-stalled-work": {
        "task": "gdi_ims.tasks.requeue_stalled_work_task",
        "schedule": crontab(minute="*"),
    },
    # Uploaded import files are deleted once their retention (IMPORTS_FILE_RETENTION_DAYS) ends.
    "purge-import-files": {
        "task": "imports.tasks.purge_import_files_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "take-daily-snapshot": {
        "task": "provinces.tasks.take_daily_snapshot_task",
        "schedule": crontab(hour=23, minute=50),
    },
    # The audit trail's head, signed, appended to AUDIT_ANCHOR_FILE and the log (audit/chain.py).
    "anchor-audit-head": {
        "task": "audit.tasks.anchor_audit_head_task",
        "schedule": crontab(minute="*/10"),
    },
    # Nightly: mark expiring and expired cards, notify the provinces (jobs/). Every N seconds
    # instead when JOBS_EXPIRY_EVERY_SECONDS is set (the beat test uses it).
    "flag-card-expiry": {
        "task": "jobs.tasks.flag_card_expiry_task",
        "schedule": (
            timedelta(seconds=env.int("JOBS_EXPIRY_EVERY_SECONDS", default=0))
            if env.int("JOBS_EXPIRY_EVERY_SECONDS", default=0)
            else crontab(
                hour=env.int("JOBS_EXPIRY_HOUR", default=1),
                minute=env.int("JOBS_EXPIRY_MINUTE", default=0),
            )
        ),
    },
}

# --- Domain ----------------------------------------------------------------------------------
COMPILATION_DEADLINE = env.str("COMPILATION_DEADLINE", default="2026-12-31")
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")
# Cards: the public address the QR codes lead to, the public check's rate limit per client IP,
# and the largest print run.
CARDS_PUBLIC_BASE_URL = env.str("CARDS_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
CARDS_CHECK_RATE_PER_MINUTE = env.int("CARDS_CHECK_RATE_PER_MINUTE", default=30)
# Card numbers a signed-in user may look up per minute on the staff check page.
CARDS_LOOKUP_RATE_PER_MINUTE = env.int("CARDS_LOOKUP_RATE_PER_MINUTE", default=20)
CARDS_PRINT_RUN_MAX = env.int("CARDS_PRINT_RUN_MAX", default=1000)
# Days an uploaded import file is kept, encrypted, after its import (or its upload when it was
# never imported); then it is deleted and the batch keeps only its counts and issues.
IMPORTS_FILE_RETENTION_DAYS = env.int("IMPORTS_FILE_RETENTION_DAYS", default=30)
# Days the workbook of an XLSX export is kept for its maker to download.
IMPORTS_EXPORT_RETENTION_DAYS = env.int("IMPORTS_EXPORT_RETENTION_DAYS", default=2)
# Minutes an XLSX export may stay building without writing a chunk of rows before the sweep
# takes its worker for dead and queues it again; after IMPORTS_EXPORT_MAX_ATTEMPTS builds it is
# marked failed instead (its maker may still ask again). IMPORTS_EXPORT_CHUNK_PAUSE_SECONDS is
# for tests only (a pause after each chunk, to stop a worker mid-build).
IMPORTS_EXPORT_STALLED_MINUTES = env.int("IMPORTS_EXPORT_STALLED_MINUTES", default=10)
IMPORTS_EXPORT_MAX_ATTEMPTS = env.int("IMPORTS_EXPORT_MAX_ATTEMPTS", default=3)
IMPORTS_EXPORT_CHUNK_PAUSE_SECONDS = env.float("IMPORTS_EXPORT_CHUNK_PAUSE_SECONDS", default=0.0)
# Nightly jobs: renewal-notice thresholds (days before expiry, at most the 90-day expiring
# window), rows per transaction, days after which a declaration waiting in submitted or returned
# counts as stuck, the address e-mailed links start with. JOBS_CHUNK_PAUSE_SECONDS is for tests
# only (a pause after each committed chunk, to stop a worker mid-run).
CARDS_EXPIRY_THRESHOLDS = env.list("CARDS_EXPIRY_THRESHOLDS", cast=int, default=[90, 60, 30])
JOBS_CHUNK_SIZE = env.int("JOBS_CHUNK_SIZE", default=50_000)
JOBS_CHUNK_PAUSE_SECONDS = env.float("JOBS_CHUNK_PAUSE_SECONDS", default=0.0)
JOBS_STUCK_DAYS = env.int("JOBS_STUCK_DAYS", default=14)
JOBS_SITE_URL = env_or("JOBS_SITE_URL", CARDS_PUBLIC_BASE_URL)

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Passport numbers, passwords and session keys never reach a log (gdi_ims/logredact.py).
    "filters": {"redact": {"()": "gdi_ims.logredact.RedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Personal data at rest (see core/crypto.py) -------------------------------------------
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")

# --- Audit trail (see audit/chain.py) -------------------------------------------------------
# URL-safe base64 of at least 32 random bytes: the key of the audit chain's HMAC and of its
# anchors. Never stored in the database; changing it makes every existing row fail verification.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY")
# The file the signed heads of the trail are appended to (keep it, or ship it, off the database
# host: it is what shows rows removed from the end of the trail).
AUDIT_ANCHOR_FILE = Path(env_or("AUDIT_ANCHOR_FILE", str(BASE_DIR / "var" / "audit-anchor.log")))

# --- History (django-pghistory) ---
# Event tables are written on every change and read by object (pgh_obj) and through the foreign
# keys history pages follow (indexed per tracked model, in its `meta`); an event reaches its context
# by the context's key. The other copied foreign keys (address, province, user...) and the context
# column are not indexed: nothing searches by them, and every write would maintain the indexes.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=False)
