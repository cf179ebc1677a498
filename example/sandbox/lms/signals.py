"""The sandbox host tells learning_credentials whenever a learner's grades or completion change.

This is what any Django host does to get credentials issued at once instead of on the next
scheduled run: call ``learning_credentials.api.notify_progress`` after the change (it queues the
check for after commit, and queues nothing when no credential can be affected).
Setting ``SANDBOX_NOTIFY_PROGRESS = False`` turns it off (the test suite does, except where a
test is about it).
"""

import logging

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from learning_credentials.api import notify_progress
from learning_credentials.exceptions import InvalidContextKey

from .models import AssessmentGrade, Completion, Course

log = logging.getLogger(__name__)


@receiver(post_save, sender=AssessmentGrade, dispatch_uid="sandbox.lms.grade_saved")
@receiver(post_delete, sender=AssessmentGrade, dispatch_uid="sandbox.lms.grade_deleted")
@receiver(post_save, sender=Completion, dispatch_uid="sandbox.lms.completion_saved")
@receiver(post_delete, sender=Completion, dispatch_uid="sandbox.lms.completion_deleted")
def progress_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw or not getattr(settings, "SANDBOX_NOTIFY_PROGRESS", True):  # loading fixtures, or switched off
        return
    course_key = Course.objects.filter(pk=instance.course_id).values_list("key", flat=True).first()
    if course_key is None:  # the course itself is being deleted
        return
    try:
        notify_progress(user_id=instance.user_id, context_key=course_key)
    except InvalidContextKey:
        log.warning("Not reporting progress in %r: not a course key.", course_key)
