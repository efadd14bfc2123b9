"""One settings module, read from the environment through django-environ.

Local defaults are safe and need no services: SQLite under var/, an embedded Celery
broker (kombu's filesystem transport under var/). Production values (SECRET_KEY,
ALLOWED_HOSTS, …) have no default when DEBUG is off: a missing one raises
ImproperlyConfigured instead of silently running with a development value.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# The real environment wins over the file. ENV_FILE=/dev/null ignores the file (the
# production-settings tests need a bare environment, whatever a developer's .env holds).
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("TESTING", default=False)

if DEBUG or TESTING:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-" + "x" * 40)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    # No defaults: production must say what it is.
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    # The test behind Django's security.W009: at least 50 characters, at least 5 distinct
    # ones, not a "django-insecure-" key. 50 x "a" is long but not random: refused.
    from django.core.checks.security.base import (  # type: ignore[attr-defined]  # W009's own test
        _check_secret_key,
    )

    if not _check_secret_key(SECRET_KEY) or SECRET_KEY.startswith("dev-only"):
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 random characters (5 or more distinct, no "
            "'django-insecure-' prefix) in production."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts this site serves.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "config.apps.AxesConfig",  # django-axes, named in Chinese
    "rules",  # django-rules: {% load rules %}; apps register their permissions in ready()
    "core",
    "settlements",
    "ratings",
    "rewards",
    "dashboards",  # on top: reads ratings and rewards, which never import it
    "public",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.queueing.QueueFailureMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.sessions.IdleSessionRefreshMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                # The calendar year the county still has to enter (lazy: only pages that show it ask).
                "settlements.context_processors.calendar_warning",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web + worker writers on SQLite (`make run`, and the real-worker tests):
    # WAL lets readers run beside the one writer; every transaction takes the write lock
    # when it begins (IMMEDIATE), so a second writer waits up to `timeout` seconds for it
    # instead of failing at once when it upgrades a read to a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    if TESTING:
        # A file test database, not Django's default shared-cache in-memory one: threads
        # on a shared-cache memory database take table locks that fail at once
        # ("database table is locked") whatever the timeout, which broke the real-worker
        # tests on a loaded machine. One file per test process, so suites running side by
        # side never share it; Django creates and deletes it.
        DATABASES["default"]["TEST"] = {
            "NAME": str(Path(tempfile.gettempdir()) / f"stars-test-{os.getpid()}.sqlite3")
        }
        # A throw-away database: no fsync.
        DATABASES["default"]["OPTIONS"]["init_command"] = (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF"
        )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection is checked before a request uses it: after a PostgreSQL restart
    # the next request reconnects instead of failing on the dead connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "settlements.User"

# Django's own model permissions first; then the object permissions each app declares as
# predicates in <app>/permissions.py (django-rules), e.g. user.has_perm("ratings.hear_objection", o).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests create hundreds of users; the production hasher's deliberate slowness buys
    # nothing there.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# django-axes first: it refuses a locked-out username+IP before the password is checked.
# axes first (it refuses a locked-out login before a password is checked); django-rules
# answers object permissions from the predicates in each app's permissions.py.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user's role names with the user (one query a page fewer).
    "settlements.auth.UserBackend",
    "rules.permissions.ObjectPermissionBackend",
]
LOGIN_URL = "login"

# Login lockout (django-axes; README "Security"): 5 wrong passwords for one username from
# one IP address lock that pair out for 15 minutes. Per username+IP, so an attacker
# cannot lock a colleague out from another computer, and a township office behind one
# NAT address does not lock everybody out for one person's typos.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Guessing on while locked restarts the 15 minutes (the page says "try again at HH:MM").
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# Our page (config.lockout): says in Chinese what happened and when to try again.
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# Behind a reverse proxy, how many proxies sit in front (X-Forwarded-For); 0 = none.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_VERBOSE = False

# Sessions on shared township office computers: the cookie dies with the browser, and the
# session ends after 2 hours without a request. IdleSessionRefreshMiddleware pushes the
# expiry forward at most once every 5 minutes of activity (not on every request: that
# would write the session row on every page view).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Read through the shared cache (Redis in production), written to both: a page reads its
# session without a query; the database row stays the record (and outlives a cache flush).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=2 * 60 * 60)
SESSION_REFRESH_SECONDS = 5 * 60

# Content-Security-Policy (django-csp): scripts only from this site, never inline (no
# <script> blocks, no onclick= attributes: behaviour lives in static/js/). Styles allow
# inline style attributes: ECharts' tooltips and Django's admin write them; styles run no code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
# Each language named in its own language: a Chinese reader looking for English finds
# "English", not "英语" (and the other way round), so these are never translated.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
if DEBUG or TESTING:
    # WhiteNoise serves from the finders locally; an existing (empty) root keeps it quiet.
    WHITENOISE_USE_FINDERS = True
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"  # served only through permission-checked views, never directly
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: evidence photos and spreadsheets.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The public face (公示 board, residents' objections, certificate checks). Rates are
# django-ratelimit's "count/period"; the counters live in the default cache.
PUBLIC_OBJECTION_RATE_IP = env.str("PUBLIC_OBJECTION_RATE_IP", default="10/h")
PUBLIC_OBJECTION_RATE_PHONE = env.str("PUBLIC_OBJECTION_RATE_PHONE", default="3/d")
PUBLIC_STATUS_RATE_IP = env.str("PUBLIC_STATUS_RATE_IP", default="30/h")
# What a certificate's QR code links to, e.g. https://stars.example.gov.cn (no trailing
# slash). Empty: the address the certificate was rendered from.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")
# Earlier secret keys still accepted for signatures: a certificate's QR code is signed and
# printed, so rotating SECRET_KEY without listing the old one here voids every plaque.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# Data rows per spreadsheet import, counted while reading: the row after it stops the read.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=100_000)

# django-import-export: all-or-nothing imports, validation errors included.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Off on purpose: the library's escaping turns every xlsx cell into text. Our export formats
# (core.spreadsheets.export) neutralise =, +, -, @ themselves and keep numbers numeric.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="stars@localhost")

# Celery: Redis when REDIS_URL is set, otherwise an embedded filesystem broker so that
# `make run` needs no services. Tests without REDIS_URL use kombu's in-process memory
# transport: the embedded test worker runs in a thread of the test process, and nothing
# is left behind under var/.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A Redis that is down or unreachable answers within seconds, never hangs a request.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"socket_connect_timeout": 2, "socket_timeout": 5}
elif TESTING:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    _broker_dir = VAR_DIR / "broker"
    for sub in ("out", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # Fanout exchanges (the worker's remote control) live here, not in ./control.
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# The cache holds the public board's pages, the rate-limit counters of the public forms
# and the dashboards' rendered parts, keyed by a version the Celery worker bumps
# (dashboards.versions): so it must be one cache shared by the web workers and the Celery
# worker. Redis when REDIS_URL is set; otherwise files under var/cache (shared by the
# processes of one machine). Tests use memory whatever REDIS_URL says, so nothing cached
# outlives a test run.
if REDIS_URL and not TESTING:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Crontabs are read in the county's time: 00:05 on 1 April is 00:05 in Shanghai.
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# Every job is idempotent, so a task lost with its worker is safely run again.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a web request: at most ~2 s per connection attempt and two quick retries,
# then core.queueing.enqueue gives up, tells the person, and the daily catch-up does it.
# (The worker itself keeps reconnecting until Redis is back.)
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Django's LOGGING owns the root logger, in the worker as in the web process.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The county's calendar (SPEC §5). Each job is idempotent; the daily job catches up
# anything a missed beat left undone. Every opening crontab names its day of month:
# crontab(month_of_year="*/3") alone would fire every minute of every day of those months.
CELERY_BEAT_SCHEDULE = {
    "quarterly-open-q1-q3": {
        "task": "ratings.tasks.quarterly_job",
        "schedule": crontab(minute=5, hour=0, day_of_month=1, month_of_year="4,10"),
    },
    "semiannual-open-q2": {
        "task": "ratings.tasks.semiannual_job",
        "schedule": crontab(minute=5, hour=0, day_of_month=1, month_of_year="7"),
    },
    "annual-open-q4": {
        "task": "ratings.tasks.annual_job",
        "schedule": crontab(minute=5, hour=0, day_of_month=1, month_of_year="1"),
    },
    "daily-deadlines": {
        "task": "ratings.tasks.daily_job",
        "schedule": crontab(minute=30, hour=1),
    },
    # After the daily job has made due ratings effective: propose any reward a lost
    # signal or task left out (rewards.services.disbursements_catch_up, idempotent).
    # Uploaded spreadsheets (residents' ID numbers) are not kept beyond a day after their
    # import finished or was abandoned (core.imports.services.import_files_purge).
    "daily-import-files-purge": {
        "task": "core.tasks.import_files_purge",
        "schedule": crontab(minute=15, hour=3),
    },
    "daily-rewards-catch-up": {
        "task": "rewards.tasks.catch_up",
        "schedule": crontab(minute=0, hour=2),
    },
    # League tables are rebuilt by a task queued when ratings change; this picks up any
    # a lost task left stale (dashboards.stats.leagues_catch_up, idempotent).
    "daily-leagues-catch-up": {
        "task": "dashboards.tasks.leagues_catch_up",
        "schedule": crontab(minute=15, hour=2),
    },
    # Deadlines three days away (self-assessments, rectifications): each reminded once.
    "daily-reminders": {
        "task": "notifications.tasks.daily_reminders",
        "schedule": crontab(minute=0, hour=7),
    },
    # Stored governance gaps are refreshed by the services that change their facts; this
    # rebuilds them all, catching any bulk write that bypassed them (idempotent).
    # The dashboards' live figures (the stars settlements hold, the current round's work)
    # are recounted by a task queued on commit of a change; this recounts them every minute
    # as well (the date moves work into "overdue"; bulk writes send no signal). Pages never
    # count (dashboards.live).
    "dashboards-live-counts": {
        "task": "dashboards.tasks.live_counts_refresh",
        "schedule": crontab(minute="*"),
    },
    "governance-gaps-nightly": {
        "task": "settlements.tasks.governance_gaps_rebuild",
        "schedule": crontab(minute=45, hour=2),
    },
}

# Production hardening; `manage.py check --deploy --fail-level WARNING` passes.
if not DEBUG and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
