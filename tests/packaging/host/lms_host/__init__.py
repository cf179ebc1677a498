from .celery import app as celery_app  # noqa: F401 - the current Celery app, as in the LMS
