"""Signal receivers: thin, each hands over to a service.

Model signals keep each configuration's beat schedule in sync on every save path (admin,
API, shell, fixtures).

Open edX events (openedx-events), wired through ``plugin_app`` in ``apps.py``, start
event-driven issuance: the receiver checks the payload, and when the course may matter to an
enabled configuration, queues ``learning_credentials.check_learner`` for after commit (see
``services.progress``). Receivers accept ``**kwargs`` (``signal``, ``sender``, ``metadata``,
``from_event_bus``), never raise and ignore a malformed payload with a log line. Repeats are
harmless: a learner who holds the credential is counted as a duplicate attempt.

Which event covers which setup:

- ``COURSE_PASSING_STATUS_UPDATED`` (event type
  ``org.openedx.learning.course.passing.status.updated.v1``): the platform sends it on every
  recomputation of a learner's course grade (not only when the grade crosses the pass mark),
  with ``is_passing`` as it stands then; each one is a check here, and a learner who holds the
  credential only adds to its duplicate count. It serves types judged on grades
  (``subsection_grades``, ``completion_and_grades``, ``completion_and_perfect_assessments``). Some
  Open edX releases send it only when ``FEATURES['BADGES_ENABLED']`` is on; ``is_passing`` False
  is ignored (failing earns nothing).
- ``PERSISTENT_GRADE_SUMMARY_CHANGED`` (event type
  ``org.openedx.learning.course.persistent_grade_summary.changed.v1``): sent whenever the
  learner's persisted course grade changes, on every release with persistent grades. It also
  serves criteria whose minimums differ from the pass mark, and setups without badges.
- No openedx-event reports completion (the completion aggregator sends none): types judged on
  completion alone (``course_completion``) rely on the schedule, or on a host calling
  ``learning_credentials.api.notify_progress`` / ``POST /api/learning_credentials/v1/progress/``.
  A grade event checks them too, but the completion aggregator updates after the grade, so the
  schedule stays their safety net.

A course event also checks the learning paths that have the course as a step. CCX courses
(``CCX_COURSE_PASSING_STATUS_UPDATED``) are not wired.
"""

import logging

from django.conf import settings
from django.core.management.base import CommandError
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete, pre_migrate
from django.dispatch import receiver
from opaque_keys.edx.keys import LearningContextKey

from .exceptions import InvalidContextKey
from .identifiers import parse_context_key
from .models import CredentialConfiguration, CredentialEvent
from .observability import log_activity
from .services.configuration import configuration_schedule_delete, configuration_schedule_sync
from .services.exports import exports_cleanup_schedule_ensure
from .services.progress import learner_progress_queue
from .services.renewal import reminders_schedule_ensure
from .services.retirement import learner_retire
from .services.sweeper import sweeper_schedule_ensure
from .services.verification_counts import verification_counts_schedule_ensure
from .switch_over.detection import plugin_database_or_none, stop_message

log = logging.getLogger(__name__)

COURSE_PASSING_STATUS_UPDATED = "org.openedx.learning.course.passing.status.updated.v1"
PERSISTENT_GRADE_SUMMARY_CHANGED = "org.openedx.learning.course.persistent_grade_summary.changed.v1"


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="learning_credentials.retire_deleted_user")
def retire_deleted_user(sender, instance, **kwargs) -> None:
    """A user row being deleted takes its personal data along first (its credentials then lose their user link)."""
    learner_retire(user_id=instance.pk)


def handle_user_retired(sender=None, user=None, **kwargs) -> None:
    """USER_RETIRE_LMS_CRITICAL and USER_RETIRE_LMS_MISC of Open edX's retirement pipeline: ``user``,
    ``retired_username``, ``retired_email``. Errors propagate: the pipeline retries a failed step."""
    learner_retire(user_id=user.pk)


@receiver(post_save, sender=CredentialConfiguration, dispatch_uid="learning_credentials.schedule_sync")
def sync_schedule(sender, instance: CredentialConfiguration, raw: bool = False, **kwargs) -> None:
    if not raw:  # loading fixtures: rows (and their periodic tasks) come as they are
        configuration_schedule_sync(configuration=instance)


@receiver(post_migrate, dispatch_uid="learning_credentials.sweeper_schedule")
def ensure_sweeper_schedule(sender, using: str = "default", **kwargs) -> None:
    """After our migrations: the beat entries of the sweeper, the expiry reminders, the export cleanup and the
    verification counts' flush exist (beat's DatabaseScheduler runs them)."""
    if getattr(sender, "name", None) == "learning_credentials" and using == "default":
        sweeper_schedule_ensure()
        reminders_schedule_ensure()
        exports_cleanup_schedule_ensure()
        verification_counts_schedule_ensure()


@receiver(pre_migrate, dispatch_uid="learning_credentials.openedx_plugin_guard")
def stop_on_openedx_plugin_database(sender, using: str = "default", **kwargs) -> None:
    """``migrate --skip-checks`` too must not run our migrations over the open-craft plugin's tables."""
    if getattr(sender, "name", None) != "learning_credentials" or using != "default":
        return
    found = plugin_database_or_none()
    if found is not None and found.found:
        raise CommandError(stop_message(found))


@receiver(post_delete, sender=CredentialConfiguration, dispatch_uid="learning_credentials.schedule_delete")
def delete_schedule(sender, instance: CredentialConfiguration, **kwargs) -> None:
    configuration_schedule_delete(configuration=instance)


def handle_course_passing_status_updated(**kwargs) -> None:
    """COURSE_PASSING_STATUS_UPDATED: ``course_passing_status`` = CoursePassingStatusData(is_passing, course, user)."""
    payload = kwargs.get("course_passing_status")
    event_type = _event_type(kwargs, COURSE_PASSING_STATUS_UPDATED)
    if getattr(payload, "is_passing", None) is False:
        log_activity("event_ignored", level=logging.DEBUG, event_type=event_type, reason="not_passing")
        return
    _progress_changed(
        event_type=event_type,
        user_id=getattr(getattr(payload, "user", None), "id", None),
        course_key=getattr(getattr(payload, "course", None), "course_key", None),
        from_event_bus=kwargs.get("from_event_bus"),
    )


def handle_persistent_grade_summary_changed(**kwargs) -> None:
    """PERSISTENT_GRADE_SUMMARY_CHANGED: ``grade`` = PersistentCourseGradeData(user_id, course, percent_grade, ...)."""
    payload = kwargs.get("grade")
    _progress_changed(
        event_type=_event_type(kwargs, PERSISTENT_GRADE_SUMMARY_CHANGED),
        user_id=getattr(payload, "user_id", None),
        course_key=getattr(getattr(payload, "course", None), "course_key", None),
        from_event_bus=kwargs.get("from_event_bus"),
    )


def _event_type(kwargs: dict, default: str) -> str:
    metadata = kwargs.get("metadata")
    return getattr(metadata, "event_type", None) or getattr(kwargs.get("signal"), "event_type", None) or default


def _progress_changed(*, event_type: str, user_id, course_key, from_event_bus) -> None:
    """Queue a check of the learner after commit; log and ignore what cannot be one. Never raises."""
    try:
        if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
            log_activity(
                "event_ignored", level=logging.WARNING, event_type=event_type, reason="no_user_id", user_id=user_id
            )
            return
        if course_key is None:
            log_activity("event_ignored", level=logging.WARNING, event_type=event_type, reason="no_course_key")
            return
        try:
            key = course_key if isinstance(course_key, LearningContextKey) else parse_context_key(str(course_key))
        except InvalidContextKey:
            log_activity(
                "event_ignored",
                level=logging.WARNING,
                event_type=event_type,
                reason="invalid_course_key",
                user_id=user_id,
                course_key=str(course_key)[:255],
            )
            return
        queued = learner_progress_queue(user_id=user_id, context_key=key, source=CredentialEvent.Source.EVENT)
        log_activity(
            "event_received",
            level=logging.INFO if queued else logging.DEBUG,
            event_type=event_type,
            user_id=user_id,
            context=key,
            from_event_bus=bool(from_event_bus),
            queued=queued,
        )
    except Exception:
        log.exception(
            "Handling %s for user %s in %s failed; the schedule will catch up.", event_type, user_id, course_key
        )
