"""App configuration, including the Open edX plugin wiring (edx-django-utils plugin_app)."""

import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if importlib.util.find_spec("openedx_events") is not None:
    # Our Open edX events exist from the moment Django loads the app, before any app's ready():
    # openedx-events checks EVENT_BUS_PRODUCER_CONFIG in its own ready() and stops the LMS on a
    # type it does not know, whichever comes first in INSTALLED_APPS.
    from . import events  # noqa: F401


class LearningCredentialsConfig(AppConfig):
    name = "learning_credentials"
    verbose_name = _("Learning credentials")
    default_auto_field = "django.db.models.BigAutoField"

    # Read by edx-django-utils when installed in Open edX (entry point lms.djangoapp).
    plugin_app = {
        "url_config": {
            "lms.djangoapp": {"namespace": "learning_credentials", "regex": r"^", "relative_path": "urls"},
        },
        "settings_config": {
            "lms.djangoapp": {
                "common": {"relative_path": "settings.common"},
                "production": {"relative_path": "settings.production"},
                "test": {"relative_path": "settings.test"},
            },
        },
        # Open edX events that start event-driven issuance; handlers.py says which event serves which setup.
        "signals_config": {
            "lms.djangoapp": {
                "relative_path": "handlers",
                "receivers": [
                    {
                        "receiver_func_name": "handle_course_passing_status_updated",
                        "signal_path": "openedx_events.learning.signals.COURSE_PASSING_STATUS_UPDATED",
                        "dispatch_uid": "learning_credentials.course_passing_status_updated",
                    },
                    {
                        "receiver_func_name": "handle_persistent_grade_summary_changed",
                        "signal_path": "openedx_events.learning.signals.PERSISTENT_GRADE_SUMMARY_CHANGED",
                        "dispatch_uid": "learning_credentials.persistent_grade_summary_changed",
                    },
                    # The learner retirement pipeline: both steps retire (the second finds nothing left).
                    {
                        "receiver_func_name": "handle_user_retired",
                        "signal_path": "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_CRITICAL",
                        "dispatch_uid": "learning_credentials.user_retire_lms_critical",
                    },
                    {
                        "receiver_func_name": "handle_user_retired",
                        "signal_path": "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_MISC",
                        "dispatch_uid": "learning_credentials.user_retire_lms_misc",
                    },
                ],
            },
        },
    }

    def ready(self) -> None:
        # Registers the system checks, the signal receivers and the Celery tasks (the dispatch
        # port sends by task name: eager mode runs a task only if this process registered it).
        from . import checks, handlers, tasks  # noqa: F401
