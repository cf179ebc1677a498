"""A sandbox host LMS: a Django project that runs learning_credentials without Open edX."""

# Loaded with Django so that @shared_task binds to the sandbox's Celery app.
from .celery import app as celery_app

__all__ = ("celery_app",)
