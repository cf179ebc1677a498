"""The HostAdapter of the sandbox: learning_credentials' view of the sandbox LMS models.

Every method runs a fixed number of queries whatever the number of learners, as the
protocol requires. Keys may arrive as opaque key objects or strings; rows store strings.
"""

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, OuterRef, Subquery
from django.urls import reverse
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey, LearningContextKey

from learning_credentials.adapters.base import (
    ANY_MODE,
    GradingPolicy,
    HostPages,
    Learner,
    LearnerGrades,
    Site,
    is_learning_path,
)
from learning_credentials.exceptions import ConfigurationError

from .models import (
    Assessment,
    AssessmentGrade,
    Completion,
    Course,
    CourseStaff,
    Enrollment,
    LearningPath,
    LearningPathStep,
    Order,
)


class SandboxAdapter:
    """Implements learning_credentials.adapters.base.HostAdapter on the sandbox.lms models."""

    def get_learners(self, user_ids: list[int]) -> dict[int, Learner]:
        users = get_user_model().objects.filter(id__in=user_ids).select_related("profile")
        learners = {}
        for user in users:
            profile = getattr(user, "profile", None)
            learners[user.id] = Learner(
                user_id=user.id,
                username=user.username,
                full_name=(profile and profile.full_name) or user.get_full_name() or user.username,
                email=user.email,
                language=(profile and profile.language) or "en",
            )
        return learners

    def get_enrolled_user_ids(
        self, context_key: LearningContextKey, user_ids: list[int] | None = None, modes: list[str] | None = None
    ) -> list[int]:
        """Every mode counts by default: the sandbox's certificates do not depend on the mode."""
        enrollments = Enrollment.objects.filter(context_key=str(context_key), is_active=True, user__is_active=True)
        if modes is not None and modes != ANY_MODE and not is_learning_path(context_key):
            enrollments = enrollments.filter(mode__in=modes)
        if user_ids is not None:
            enrollments = enrollments.filter(user_id__in=user_ids)
        return list(enrollments.order_by("user_id").values_list("user_id", flat=True))

    def get_context_names(self, context_keys: list[LearningContextKey]) -> dict[LearningContextKey, str]:
        by_string = {str(key): key for key in context_keys}
        names = dict(Course.objects.filter(key__in=by_string).values_list("key", "display_name"))
        names.update(LearningPath.objects.filter(key__in=by_string).values_list("key", "display_name"))
        return {by_string[key]: name for key, name in names.items()}

    def context_exists(self, context_key: LearningContextKey) -> bool:
        key = str(context_key)
        return Course.objects.filter(key=key).exists() or LearningPath.objects.filter(key=key).exists()

    def get_sites(self, context_keys: list[LearningContextKey]) -> dict[LearningContextKey, Site]:
        """One site for everything: its name from PLATFORM_NAME; links, sender and dates from the app's settings."""
        return dict.fromkeys(context_keys, Site(platform_name=getattr(settings, "PLATFORM_NAME", "Sandbox LMS")))

    def get_host_pages(self) -> HostPages:
        """The sandbox's home page and Django's POST-only sign-out."""
        return HostPages(home_url=reverse("home"), logout_url=reverse("logout"), logout_post=True)

    def get_organization_name(self, context_key: LearningContextKey) -> str:
        key = str(context_key)
        organization = (
            Course.objects.filter(key=key).values_list("organization", flat=True).first()
            or LearningPath.objects.filter(key=key).values_list("organization", flat=True).first()
        )
        return organization or getattr(settings, "PLATFORM_NAME", "Sandbox LMS")

    def get_grading_policy(self, course_key: LearningContextKey) -> GradingPolicy:
        policy = Course.objects.filter(key=str(course_key)).values_list("grading_policy", flat=True).first()
        if policy is None:
            raise ConfigurationError(f"The sandbox LMS has no course {course_key}.")
        return GradingPolicy(weights=dict(policy["weights"]), passing_grade=float(policy["passing_grade"]))

    def get_grades(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, LearnerGrades]:
        """Grades of learners with at least one graded assessment.

        A course's assessments are those it lists (Assessment) and those graded; a listed one the
        learner has not taken counts 0.0, as on Open edX. Category grade: mean fraction of its
        assessments, 0.0 if none; unweighted categories are ignored.
        """
        rows = AssessmentGrade.objects.filter(course__key=str(course_key), user_id__in=user_ids).values_list(
            "user_id", "assessment_id", "category", "earned", "possible"
        )
        scores: dict[int, dict[str, tuple[str, float]]] = defaultdict(dict)
        for user_id, assessment_id, category, earned, possible in rows:
            scores[user_id][assessment_id] = (category, earned / possible)
        if not scores:
            return {}
        listed = Assessment.objects.filter(course__key=str(course_key)).values_list("assessment_id", "category")
        for assessment_id, category in listed:
            for learner_scores in scores.values():
                learner_scores.setdefault(assessment_id, (category, 0.0))
        weights = self.get_grading_policy(course_key).weights
        grades = {}
        for user_id, learner_scores in scores.items():
            assessments = {assessment_id: fraction for assessment_id, (_, fraction) in learner_scores.items()}
            by_category: dict[str, list[float]] = defaultdict(list)
            for category, fraction in learner_scores.values():
                by_category[category].append(fraction)
            categories = {
                category: sum(fractions) / len(fractions) if (fractions := by_category.get(category)) else 0.0
                for category in weights
            }
            grades[user_id] = LearnerGrades(
                percent=sum(categories[category] * weight for category, weight in weights.items()),
                by_category=categories,
                by_assessment=assessments,
            )
        return grades

    def get_completion(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, float]:
        rows = Completion.objects.filter(course__key=str(course_key), user_id__in=user_ids)
        return dict(rows.values_list("user_id", "fraction"))

    def get_progress_times(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, datetime]:
        """The latest change of each learner's completion or assessment scores in the course: two queries."""
        latest: dict[int, datetime] = {}
        for model in (Completion, AssessmentGrade):
            rows = model.objects.filter(course__key=str(course_key), user_id__in=user_ids).values("user_id")
            for user_id, moment in rows.annotate(latest=Max("modified")).values_list("user_id", "latest"):
                latest[user_id] = max(moment, latest.get(user_id, moment))
        return latest

    def get_learner_completion(
        self, user_id: int, course_keys: list[LearningContextKey]
    ) -> dict[LearningContextKey, float]:
        by_string = {str(key): key for key in course_keys}
        rows = Completion.objects.filter(user_id=user_id, course__key__in=list(by_string))
        return {by_string[key]: fraction for key, fraction in rows.values_list("course__key", "fraction")}

    def get_learner_courses(self, user_id: int) -> dict[LearningContextKey, str]:
        """One query: the active enrollments, each with its Course row's display name as a subquery."""
        name = Course.objects.filter(key=OuterRef("context_key")).values("display_name")[:1]
        rows = Enrollment.objects.filter(user_id=user_id, is_active=True).annotate(name=Subquery(name))
        courses = {}
        for raw, display_name in rows.values_list("context_key", "name"):
            try:
                key = LearningContextKey.from_string(raw)
            except InvalidKeyError:  # a row written around the model's validator; nothing a learner can open
                continue
            if getattr(key, "is_course", False):
                courses[key] = display_name or raw
        return courses

    def get_learning_path_steps(self, path_key: LearningContextKey) -> list[LearningContextKey]:
        steps = LearningPathStep.objects.filter(path__key=str(path_key)).order_by("order", "id")
        return [CourseKey.from_string(key) for key in steps.values_list("course__key", flat=True)]

    def is_course_staff(self, user, context_key: LearningContextKey) -> bool:
        if user is None or not user.is_authenticated:
            return False
        return CourseStaff.objects.filter(user_id=user.pk, context_key=str(context_key)).exists()

    def payment_confirm(self, reference: str):
        """The paid order with exactly this reference (learning_credentials.exams.payments.PaymentConfirmer).

        Compared again in Python: MariaDB's case-insensitive collation would find "sbx-1" for "SBX-1".
        """
        from learning_credentials.exams.payments import Payment

        order = Order.objects.filter(reference=reference, paid_at__isnull=False).first()
        if order is None or order.reference != reference:
            return None
        return Payment(
            user_id=order.user_id, context_key=order.context_key, amount=order.amount, currency=order.currency
        )

    def certification_payment_pending(self, user_id: int, context_key: LearningContextKey) -> str | None:
        """The learner's newest paid order for the course that no entitlement holds (exams.payments.PendingPayments)."""
        from learning_credentials.exams.models import Entitlement, reference_key

        orders = Order.objects.filter(user_id=user_id, context_key=str(context_key), paid_at__isnull=False)
        references = list(orders.order_by("-paid_at", "-pk").values_list("reference", flat=True))
        used = set(
            Entitlement.objects.filter(reference_key__in=[reference_key(r) for r in references]).values_list(
                "reference_key", flat=True
            )
        )
        return next((r for r in references if reference_key(r) not in used), None)

    def certification_checkout_url(self, user_id: int, context_key: LearningContextKey, return_url: str) -> str | None:
        """The fake checkout (learning_credentials.exams.payments.CertificationCheckout).

        After "paying" it returns to ``return_url`` with the paid order's reference as ``payment_reference``.
        """
        return f"{reverse('checkout', kwargs={'context_key': str(context_key)})}?{urlencode({'next': return_url})}"
