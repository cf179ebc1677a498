"""Settings applied by Open edX to the LMS (edx-django-utils plugin settings)."""


def plugin_settings(settings) -> None:
    """Provide LEARNING_CREDENTIALS defaults without overriding what the operator set."""
    settings.LEARNING_CREDENTIALS = {**getattr(settings, "LEARNING_CREDENTIALS", {})}
