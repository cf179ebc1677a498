"""The LMS's Celery app, as Open edX creates one (the plugin's tasks register with it)."""

from celery import Celery

app = Celery("lms_host")
app.config_from_object("django.conf:settings", namespace="CELERY")
