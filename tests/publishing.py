"""Publishing for real (not eager) from the test process: to the local Redis, a private one, or nowhere."""

import contextlib

from celery import current_app
from django.test import override_settings


@contextlib.contextmanager
def celery_publishing(**overrides):
    """Publish for real (not eager) inside the block, with these app settings; all restored afterwards.

    The overrides go both in the app's own change layer and in Django's CELERY_* settings: Celery
    5.5 (Open edX Teak) reads the namespaced setting first, later releases the change layer. The
    app's pools and queues are dropped on the way in and out: they stay bound to the broker they
    were opened for.
    """
    app = current_app
    overrides = {"task_always_eager": False, **overrides}
    saved = {key: app.conf.changes[key] for key in overrides if key in app.conf.changes}
    forget_connections(app)
    app.conf.changes.update(overrides)
    try:
        with override_settings(**{f"CELERY_{key.upper()}": value for key, value in overrides.items()}):
            yield app
    finally:
        for key in overrides:
            app.conf.changes.pop(key, None)
        app.conf.changes.update(saved)
        forget_connections(app)


def forget_connections(app) -> None:
    """Drop the app's pools and queues (kombu keeps pools per broker URL; they reconnect when used)."""
    app._pool = None
    app.__dict__.pop("amqp", None)
