"""The host LMS data that learning_credentials reads through the sandbox adapter."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey, LearningContextKey

from learning_credentials.compat import check_constraint

from .keys import LearningPathKey


def validate_course_key(value: str) -> None:
    try:
        CourseKey.from_string(value)
    except InvalidKeyError as exc:
        raise ValidationError(_("Enter a course key such as course-v1:ORG+COURSE+RUN.")) from exc


def validate_path_key(value: str) -> None:
    try:
        LearningPathKey.from_string(value)
    except InvalidKeyError as exc:
        raise ValidationError(_("Enter a learning path key such as path-v1:ORG+NUMBER+RUN+GROUP.")) from exc


def validate_context_key(value: str) -> None:
    try:
        LearningContextKey.from_string(value)
    except InvalidKeyError as exc:
        raise ValidationError(_("Enter a course key (course-v1:...) or a learning path key (path-v1:...).")) from exc


def default_grading_policy() -> dict:
    return {"weights": {"Homework": 0.4, "Exam": 0.6}, "passing_grade": 0.7}


class Profile(models.Model):
    """
    The learner's full name and language, which Django's user model does not hold.

    .. pii: The learner's full name, printed on credentials.
    .. pii_types: name
    .. pii_retirement: local_api
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", help_text=_("The learner.")
    )
    full_name = models.CharField(max_length=255, blank=True, help_text=_("Name printed on credentials."))
    language = models.CharField(max_length=16, default="en", help_text=_("Preferred language code, e.g. 'en'."))

    def __str__(self) -> str:
        return self.full_name or str(self.user)


class Course(models.Model):
    """
    A course with its grading policy.

    .. no_pii:
    """

    key = models.CharField(
        max_length=255,
        unique=True,
        validators=[validate_course_key],
        help_text=_("Course key, course-v1:ORG+COURSE+RUN."),
    )
    display_name = models.CharField(max_length=255, help_text=_("Course title shown to learners."))
    organization = models.CharField(max_length=255, blank=True, help_text=_("Name of the organisation that offers it."))
    grading_policy = models.JSONField(
        default=default_grading_policy,
        help_text=_('Category weights (summing to 1.0) and pass mark: {"weights": {...}, "passing_grade": 0.7}.'),
    )

    def __str__(self) -> str:
        return self.key


class LearningPath(models.Model):
    """
    An ordered series of courses that earns one credential.

    .. no_pii:
    """

    key = models.CharField(
        max_length=255,
        unique=True,
        validators=[validate_path_key],
        help_text=_("Learning path key, path-v1:ORG+NUMBER+RUN+GROUP."),
    )
    display_name = models.CharField(max_length=255, help_text=_("Path title shown to learners."))
    organization = models.CharField(max_length=255, blank=True, help_text=_("Name of the organisation that offers it."))

    def __str__(self) -> str:
        return self.key


class LearningPathStep(models.Model):
    """
    One course of a learning path.

    .. no_pii:
    """

    path = models.ForeignKey(
        LearningPath, on_delete=models.CASCADE, related_name="steps", help_text=_("The learning path.")
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, help_text=_("The course taken at this step."))
    order = models.PositiveIntegerField(default=0, help_text=_("Position of the step in the path, lowest first."))

    class Meta:
        ordering = ("path", "order")
        constraints = [models.UniqueConstraint(fields=("path", "course"), name="lms_step_unique_course")]

    def __str__(self) -> str:
        return f"{self.path} #{self.order}: {self.course}"


class Enrollment(models.Model):
    """
    A learner's enrollment in a course or a learning path.

    .. no_pii:
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, help_text=_("The learner."))
    context_key = models.CharField(
        max_length=255,
        db_index=True,
        validators=[validate_context_key],
        help_text=_("Key of the course (course-v1:...) or learning path (path-v1:...)."),
    )
    is_active = models.BooleanField(default=True, help_text=_("False once the learner has unenrolled."))
    mode = models.CharField(
        max_length=100, default="verified", help_text=_("Enrollment mode of a course (audit, verified, ...).")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "context_key"), name="lms_enrollment_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.context_key}"


class Assessment(models.Model):
    """
    A graded assessment of a course, taken or not: the course's list of what it grades.

    Grades may name assessments that are not listed; a listed one without a grade counts as 0.

    .. no_pii:
    """

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="assessments", help_text=_("The course that grades it.")
    )
    assessment_id = models.CharField(max_length=255, help_text=_("Identifier of the assessment within the course."))
    category = models.CharField(max_length=255, help_text=_("Assignment category, a key of the course's weights."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=("course", "assessment_id"), name="lms_assessment_unique")]

    def __str__(self) -> str:
        return f"{self.course} {self.assessment_id} ({self.category})"


class AssessmentGrade(models.Model):
    """
    A learner's score on one graded assessment of a course.

    .. no_pii:
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, help_text=_("The learner."))
    course = models.ForeignKey(Course, on_delete=models.CASCADE, help_text=_("The course of the assessment."))
    assessment_id = models.CharField(max_length=255, help_text=_("Identifier of the assessment within the course."))
    category = models.CharField(max_length=255, help_text=_("Assignment category, a key of the course's weights."))
    earned = models.FloatField(help_text=_("Points earned."))
    possible = models.FloatField(help_text=_("Points possible; more than zero."))
    modified = models.DateTimeField(auto_now=True, help_text=_("When the score last changed."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "course", "assessment_id"), name="lms_grade_unique_assessment"),
            check_constraint(
                condition=Q(possible__gt=0, earned__gte=0, earned__lte=models.F("possible")),
                name="lms_grade_earned_within_possible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.course} {self.assessment_id}: {self.earned}/{self.possible}"


class Completion(models.Model):
    """
    How much of a course a learner has completed.

    .. no_pii:
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, help_text=_("The learner."))
    course = models.ForeignKey(Course, on_delete=models.CASCADE, help_text=_("The course."))
    fraction = models.FloatField(help_text=_("Fraction of the course completed, from 0.0 to 1.0."))
    modified = models.DateTimeField(auto_now=True, help_text=_("When the fraction last changed."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "course"), name="lms_completion_unique"),
            check_constraint(condition=Q(fraction__gte=0, fraction__lte=1), name="lms_completion_fraction_range"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.course}: {self.fraction:.0%}"


class CourseStaff(models.Model):
    """
    Membership of a course (or learning path) team, which scopes staff APIs.

    .. no_pii:
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, help_text=_("The staff member."))
    context_key = models.CharField(
        max_length=255,
        validators=[validate_context_key],
        help_text=_("Key of the course (course-v1:...) or learning path (path-v1:...)."),
    )

    class Meta:
        verbose_name_plural = _("course staff")
        constraints = [models.UniqueConstraint(fields=("user", "context_key"), name="lms_course_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} on {self.context_key}"


class Order(models.Model):
    """
    A paid order of the sandbox's fake checkout; the adapter's ``payment_confirm`` reads these.

    .. pii: The learner (user link) and the order reference.
    .. pii_types: id, other
    .. pii_retirement: retained (a sandbox: nothing is charged)
    """

    reference = models.CharField(
        max_length=64, unique=True, help_text=_("The order's reference, which the learner's purchase posts.")
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, help_text=_("The learner who paid."))
    context_key = models.CharField(
        max_length=255, validators=[validate_course_key], help_text=_("The course whose certification was bought.")
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text=_("The amount paid."))
    currency = models.CharField(max_length=3, help_text=_("ISO 4217 code of the amount."))
    paid_at = models.DateTimeField(null=True, blank=True, help_text=_("When it was paid; empty: not paid."))

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount} {self.currency}"
