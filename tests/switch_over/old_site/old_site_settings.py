"""Settings of the old site: a minimal Django project running the open-craft plugin 0.5.3, no Open edX.

It runs with the Python of its own virtualenv (.venv-openedx-plugin, `make openedx-plugin-venv`), whose
``learning_credentials`` is the plugin's: our repository is never on its sys.path (run it isolated, ``python -I``,
from this folder; seed.py and manage.py put this folder and openedx_stubs/ on sys.path themselves).

- DATABASE_URL (dj-database-url) names its database, MEDIA_ROOT its files' folder: both required.
- openedx_stubs/ holds the few edx-platform modules the plugin imports lazily on the paths the seed takes
  (lms.CELERY_APP, the issue date's strftime_localized, the course overviews API and the UserProfile the
  learner's name comes from); the plugin's own code runs unmodified.
"""

import os
import sys
from pathlib import Path

import dj_database_url

HERE = Path(__file__).resolve().parent
STUBS = HERE / "openedx_stubs"
if str(STUBS) not in sys.path:
    sys.path.insert(1, str(STUBS))

SECRET_KEY = "old-site-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
# edx-platform's choice, which the plugin's migrations were made with.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_celery_beat",
    "edx_ace",
    # The plugin's compat module imports learning_paths.models, its processors completion_aggregator's API (whose
    # ready() needs the next three apps' models): its dependencies, installed in the LMS as on a real site.
    "learning_paths",
    "config_models",
    "event_routing_backends",
    "completion",
    "completion_aggregator",
    "common.djangoapps.student",
    "learning_credentials",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
if "mysql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"].setdefault("OPTIONS", {})["charset"] = "utf8mb4"
# completion_aggregator's migration history runs MySQL-only SQL (RENAME INDEX); the old site never reads
# completions (it computes no eligibility), so the app is imported but has no tables.
MIGRATION_MODULES = {"completion_aggregator": None}

MEDIA_ROOT = os.environ["MEDIA_ROOT"]
MEDIA_URL = "/media/"

# What the plugin reads from the LMS's settings.
LMS_ROOT_URL = "https://lms.old-site.example.com"
PLATFORM_NAME = "Old Site Academy"
CERTIFICATE_DATE_FORMAT = "%B %-d, %Y"
CELERYBEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The credential email goes through edx-ace's Django email channel into Django's in-memory outbox.
ACE_ENABLED_CHANNELS = ["django_email"]
ACE_CHANNEL_DEFAULT_EMAIL = "django_email"
ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"
ACE_ENABLED_POLICIES = []
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "no-reply@old-site.example.com"

# The courses the stand-in course overviews API knows (any other course is named by its key).
OLD_SITE_COURSES = {
    "course-v1:OpenCraft+DS101+2024": {
        "display_name": "Data Science 101",
        "cert_name_long": "Data Science 101: Foundations of Data Analysis",
    },
    "course-v1:OpenCraft+PY200+2025": {"display_name": "Python für Fortgeschrittene — Ünïcode edition"},
    "course-v1:OpenCraft+BROKEN+2025": {"display_name": "A Course With a Deleted Template"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # It logs, with a traceback, that it runs outside edx-platform.
        "event_routing_backends.helpers": {"level": "CRITICAL"},
        # edx-ace loads every channel it ships (the old site enables django_email only) and says so for each.
        "stevedore.extension": {"level": "CRITICAL"},
        "edx_ace.channel.sailthru": {"level": "ERROR"},
    },
}
