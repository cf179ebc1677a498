"""Settings of a minimal LMS that installs plugins the way Open edX does (edx-django-utils' plugin loader)."""

from pathlib import Path

from edx_django_utils.plugins import add_plugins, get_plugin_apps

PROJECT_TYPE = "lms.djangoapp"
BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "wheel-check-only"  # a throwaway host that lives for one CI stage
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
ROOT_URLCONF = "lms_host.urls"
USE_TZ = True
LMS_ROOT_URL = "https://lms.example.org"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    *get_plugin_apps(PROJECT_TYPE),
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "lms.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
# The operator's own value wins over the plugin's default (the Open edX adapter, which needs edx-platform).
LEARNING_CREDENTIALS = {"ADAPTER": "lms_host.adapter.HostAdapter", "BASE_URL": LMS_ROOT_URL}

add_plugins(__name__, PROJECT_TYPE, "common")
