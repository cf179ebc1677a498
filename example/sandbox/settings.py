"""Settings of the sandbox host. Every value a deployment may change reads an environment variable."""

import base64
import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-sandbox-only-never-use-in-production")
# Off unless asked for (`make serve DEBUG=1`): the demo shows its friendly 404 and 500 pages.
DEBUG = _env_bool("DEBUG", False)
# The one address of the site: every link, email, PDF, QR code and LinkedIn URL starts with it (`make serve PORT=`).
LMS_ROOT_URL = os.environ.get("LMS_ROOT_URL", "http://localhost:8000").rstrip("/")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h] or [
    "localhost",
    "127.0.0.1",
    "[::1]",
    urlsplit(LMS_ROOT_URL).hostname or "localhost",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_celery_beat",
    "learning_credentials.apps.LearningCredentialsConfig",
    "learning_credentials.credits",
    "learning_credentials.exams",
    "learning_credentials.open_badges",
    "sandbox.lms",
]
if os.environ.get("SANDBOX_OPEN_BADGES") == "0":  # benchmarks/scheduled_run.py --open-badges: the "off" side
    INSTALLED_APPS.remove("learning_credentials.open_badges")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The admin and the public pages in the browser's language (Accept-Language); learner pages use the
    # learner's own (their profile's), as on Open edX. learning_credentials' public views work without it too.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sandbox.lms.views.platform",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL selects PostgreSQL or MariaDB/MySQL for the integration tests.
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if "mysql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"].setdefault("OPTIONS", {})["charset"] = "utf8mb4"
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif "sqlite" in DATABASES["default"]["ENGINE"]:
    # A file, not memory: the worker integration test's Celery processes open the same test database.
    # One file per test process, so that two test runs on one machine never share it.
    test_db = Path(tempfile.gettempdir()) / f"learning-credentials-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SANDBOX_TEST_DB", str(test_db))}
    # Writers take the lock when their transaction begins, so concurrent writers wait their turn
    # instead of failing on a lock upgrade (what the worker and concurrency tests do). Django 4.2
    # (Open edX Teak) has no transaction_mode: the sandbox's backend there begins IMMEDIATE itself.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    if django.VERSION >= (5, 1):
        DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    else:
        DATABASES["default"]["ENGINE"] = "sandbox.sqlite_immediate"

# A production host's set-up, when asked for (benchmarks/exam_load.py serves the exam this way).
# Open edX keeps sessions in its shared cache (memcached or Redis), so a request reads its session
# without the database; a PostgreSQL site keeps connections open (CONN_MAX_AGE, or a pooler such as
# PgBouncer), because PostgreSQL starts a process for each. The sandbox's default is Django's: a
# per-process memory cache, sessions in the database, and a connection per request.
if os.environ.get("SANDBOX_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["SANDBOX_CACHE_URL"],
            "KEY_PREFIX": os.environ.get("SANDBOX_CACHE_PREFIX", "sandbox"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("SANDBOX_CONN_MAX_AGE") or 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] > 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("SANDBOX_FAST_PASSWORDS"):
    # Tests create many users; a slow hasher would dominate their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en"
# English and the languages learning_credentials ships catalogues for (learning_credentials.languages.CATALOGUES).
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch"), ("ar", "العربية")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("LC_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Signing in without `next` lands on the learner's credentials; staff reach the admin from the home page.
LOGIN_REDIRECT_URL = "learning_credentials:learner-credentials"
LOGOUT_REDIRECT_URL = "home"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}

# Tasks run in-process unless a broker is named: then a real worker (`make worker`) runs them.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_ALWAYS_EAGER", "CELERY_BROKER_URL" not in os.environ)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = False
if os.environ.get("CELERY_VISIBILITY_TIMEOUT"):
    # Seconds before Redis hands an unacknowledged message (its worker died) to another worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ["CELERY_VISIBILITY_TIMEOUT"])}

PLATFORM_NAME = os.environ.get("PLATFORM_NAME", "Sandbox LMS")

LEARNING_CREDENTIALS = {
    "ADAPTER": "sandbox.lms.adapter.SandboxAdapter",
    # The key that encrypts the sandbox's Open Badges signing keys: derived from a fixed phrase, as
    # insecure as the SECRET_KEY above; a real site sets a random Fernet key of its own.
    "OPEN_BADGES": {
        "KEY_ENCRYPTION_KEYS": [
            os.environ.get("SANDBOX_KEY_ENCRYPTION_KEY")
            or base64.urlsafe_b64encode(hashlib.sha256(b"sandbox-only-never-use-in-production").digest()).decode()
        ]
    },
}
if os.environ.get("LC_ARTIFACT_STORAGE"):
    # A Storage class (dotted path) for credential artifacts only, e.g. S3 or the fault tests' latch.
    STORAGES["learning_credentials"] = {"BACKEND": os.environ["LC_ARTIFACT_STORAGE"]}
    LEARNING_CREDENTIALS["STORAGE"] = "learning_credentials"
# Learner emails land as files in example/sent-emails/ (tests use Django's in-memory outbox).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = BASE_DIR / "sent-emails"
DEFAULT_FROM_EMAIL = "credentials@sandbox.example"

# The demo runs with DEBUG off: a server error shows the friendly 500 page, and its traceback goes to the
# console where `make serve` runs (Django logs request errors to mail_admins only, without this).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
