"""App config of the sandbox LMS."""

from django.apps import AppConfig


class LmsConfig(AppConfig):
    """The host-side models and the adapter that exposes them to learning_credentials."""

    name = "sandbox.lms"
    label = "lms"
    verbose_name = "Sandbox LMS"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - reports grade and completion changes to learning_credentials
