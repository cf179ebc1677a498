"""Stand-in for common.djangoapps.course_modes.models: the one CourseMode classmethod the adapter calls."""

from django.conf import settings


class CourseMode:
    AUDIT = "audit"
    HONOR = "honor"
    VERIFIED = "verified"

    @classmethod
    def is_eligible_for_certificate(cls, mode_slug, status=None):
        """As the platform decides: every mode but audit, and not honor where honor certificates are disabled."""
        ineligible = [cls.AUDIT]
        if getattr(settings, "FEATURES", {}).get("DISABLE_HONOR_CERTIFICATES", False) and status != "downloadable":
            ineligible.append(cls.HONOR)
        return mode_slug not in ineligible
