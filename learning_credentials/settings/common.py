"""Settings every LMS gets when it installs the plugin, whatever its settings type."""

OPEN_EDX_ADAPTER = "learning_credentials.adapters.openedx.OpenEdxAdapter"
CELERY_BEAT_APP = "django_celery_beat"


def plugin_settings(settings) -> None:
    """Default the adapter to Open edX and install django-celery-beat; operators' values win.

    Runs again from ``production`` after the LMS has loaded its YAML, so it must stay idempotent.
    """
    settings.LEARNING_CREDENTIALS = {"ADAPTER": OPEN_EDX_ADAPTER, **getattr(settings, "LEARNING_CREDENTIALS", {})}
    installed = [app.split(".")[0] for app in settings.INSTALLED_APPS]
    if CELERY_BEAT_APP not in installed:
        settings.INSTALLED_APPS.append(CELERY_BEAT_APP)
