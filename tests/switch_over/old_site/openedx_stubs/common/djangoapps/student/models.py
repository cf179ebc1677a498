"""Stand-in for edx-platform's UserProfile: the plugin takes a learner's full name from ``user.profile.name``."""

from django.conf import settings
from django.db import models


class UserProfile(models.Model):
    """The columns the plugin reads, in edx-platform's table."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    name = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        app_label = "student"
        db_table = "auth_userprofile"

    def __str__(self):
        return self.name
