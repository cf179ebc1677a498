"""Test-only Django models with the real app labels, class, field and table names the adapter queries.

They live in app labels that are not in INSTALLED_APPS, so Django's machinery for installed
apps (migrations, checks, flush, cascades) never sees them; ``conftest.py`` creates their
tables for the tests of this package and drops them afterwards. Only the fields the adapter
reads or the tests write exist. Relations to the user are hidden (``related_name="+"``): the
sandbox app already owns ``User.profile``, and the adapter never follows a reverse relation.
"""

from django.contrib.auth.models import User
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField, LearningContextKeyField, UsageKeyField
from opaque_keys.edx.keys import LearningContextKey


class LearningPathKeyField(LearningContextKeyField):
    """learning_paths.keys.LearningPathKeyField, parsing with whichever class the ``path-v1`` entry point names.

    Here that is the sandbox's LearningPathKey (``path-v1:ORG+PATH``); the plugin's own key has four
    parts (``path-v1:ORG+NUMBER+RUN+GROUP``), which the adapter never parses itself.
    """

    KEY_CLASS = LearningContextKey


class UserProfile(models.Model):  # noqa: DJ008 - fakes, never displayed
    """common.djangoapps.student.models.UserProfile."""

    user = models.OneToOneField(User, unique=True, db_index=True, related_name="+", on_delete=models.CASCADE)
    name = models.CharField(blank=True, max_length=255, db_index=True)

    class Meta:
        app_label = "student"
        db_table = "auth_userprofile"


class CourseOverview(models.Model):  # noqa: DJ008 - fakes, never displayed
    """openedx.core.djangoapps.content.course_overviews.models.CourseOverview."""

    id = CourseKeyField(db_index=True, primary_key=True, max_length=255)
    display_name = models.TextField(null=True)
    display_org_with_default = models.TextField()
    cert_name_long = models.TextField()

    class Meta:
        app_label = "course_overviews"


class CourseEnrollment(models.Model):  # noqa: DJ008 - fakes, never displayed
    """common.djangoapps.student.models.CourseEnrollment."""

    user = models.ForeignKey(User, related_name="+", on_delete=models.CASCADE)
    course = models.ForeignKey(CourseOverview, db_constraint=False, on_delete=models.DO_NOTHING)
    is_active = models.BooleanField(default=True)
    mode = models.CharField(default="audit", max_length=100)

    class Meta:
        app_label = "student"
        unique_together = (("user", "course"),)


class UserPreference(models.Model):  # noqa: DJ008 - fakes, never displayed
    """openedx.core.djangoapps.user_api.models.UserPreference."""

    user = models.ForeignKey(User, db_index=True, related_name="+", on_delete=models.CASCADE)
    key = models.CharField(max_length=255, db_index=True)
    value = models.TextField()

    class Meta:
        app_label = "user_api"
        unique_together = ("user", "key")


class Aggregator(models.Model):  # noqa: DJ008 - fakes, never displayed
    """completion_aggregator.models.Aggregator."""

    user = models.ForeignKey(User, related_name="+", on_delete=models.CASCADE)
    course_key = CourseKeyField(max_length=255)
    aggregation_name = models.CharField(max_length=255)
    block_key = UsageKeyField(max_length=255)
    percent = models.FloatField()

    class Meta:
        app_label = "completion_aggregator"


class LearningPath(models.Model):  # noqa: DJ008 - fakes, never displayed
    """learning_paths.models.LearningPath."""

    key = LearningPathKeyField(max_length=255, unique=True, db_index=True)
    display_name = models.CharField(max_length=255)

    class Meta:
        app_label = "learning_paths"


class LearningPathStep(models.Model):  # noqa: DJ008 - fakes, never displayed
    """learning_paths.models.LearningPathStep."""

    course_key = CourseKeyField(max_length=255)
    learning_path = models.ForeignKey(LearningPath, related_name="steps", on_delete=models.CASCADE)
    order = models.PositiveIntegerField(blank=True, null=True)

    class Meta:
        app_label = "learning_paths"
        unique_together = ("learning_path", "course_key")


class LearningPathEnrollment(models.Model):  # noqa: DJ008 - fakes, never displayed
    """learning_paths.models.LearningPathEnrollment."""

    user = models.ForeignKey(User, related_name="+", on_delete=models.CASCADE)
    learning_path = models.ForeignKey(LearningPath, on_delete=models.CASCADE)
    is_active = models.BooleanField(default=True)

    class Meta:
        app_label = "learning_paths"
        unique_together = ("user", "learning_path")


ALL = (
    UserProfile,
    CourseOverview,
    CourseEnrollment,
    UserPreference,
    Aggregator,
    LearningPath,
    LearningPathStep,
    LearningPathEnrollment,
)
