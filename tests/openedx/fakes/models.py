"""Test-only Django models of edx-platform, with the real app labels, class, field and table names the adapter queries.

They live in app labels that are not in INSTALLED_APPS, so Django's machinery for installed
apps (migrations, checks, flush, cascades) never sees them; ``conftest.py`` creates their
tables for the tests of this package and drops them afterwards. Only the fields the adapter
reads or the tests write exist. Relations to the user are hidden (``related_name="+"``): the
sandbox app already owns ``User.profile``, and the adapter never follows a reverse relation.
"""

from django.contrib.auth.models import User
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


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


ALL = (
    UserProfile,
    CourseOverview,
    CourseEnrollment,
    UserPreference,
)
