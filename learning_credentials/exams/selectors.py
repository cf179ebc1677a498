"""Reads of the exams sub-app: pools, and whether a course offers certification now (seed 004 §2.3, §2.4)."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from ..selectors import context_site
from .conf import exam_settings
from .models import Certification, CertificationSettings, Entitlement, PointsAccount, Question

# Seed 004 §2.3: a course's pool aims at 30 lessons of at least 5 questions (150 or more). Below that
# the admin warns; certification itself needs only the minimum pool size.
POOL_TARGET_QUESTIONS = 150
POOL_TARGET_PER_LESSON = 5

# Options a question of each kind needs: (fewest options, most options, fewest correct, most correct).
OPTION_RULES: dict[str, tuple[int, int | None, int, int | None]] = {
    Question.Kind.SINGLE: (2, None, 1, 1),
    Question.Kind.MULTIPLE: (2, None, 1, None),
    Question.Kind.TRUE_FALSE: (2, 2, 1, 1),
}


def unavailable_message() -> str:
    """What learners read wherever certification cannot be had (seed 004 §2.3)."""
    return _("Certification unavailable. Contact the course creator.")


def _valid_options() -> Q:
    """The option rules of OPTION_RULES as a filter on questions annotated with ``options_n`` and ``correct_n``."""
    rule = Q(pk__in=[])
    for kind, (fewest, most, fewest_correct, most_correct) in OPTION_RULES.items():
        condition = Q(kind=kind, options_n__gte=fewest, correct_n__gte=fewest_correct)
        if most is not None:
            condition &= Q(options_n__lte=most)
        if most_correct is not None:
            condition &= Q(correct_n__lte=most_correct)
        rule |= condition
    return rule


def valid_questions(*, pool_context_key):
    """The pool's active questions whose options make an answerable question of their kind."""
    return (
        Question.objects.filter(pool_context_key=pool_context_key, active=True)
        .annotate(options_n=Count("options"), correct_n=Count("options", filter=Q(options__correct=True)))
        .filter(_valid_options())
    )


def pool_count(*, pool_context_key) -> int:
    """Valid active questions in a course's pool: what an exam may draw from."""
    return valid_questions(pool_context_key=pool_context_key).count()


def pool_shortfalls(*, pool_context_key) -> tuple[int, list[tuple[str, int]]]:
    """Valid questions in the pool, and the lessons with fewer than the target per lesson (for the admin)."""
    lessons = Counter(valid_questions(pool_context_key=pool_context_key).values_list("lesson", flat=True))
    short = sorted((lesson, count) for lesson, count in lessons.items() if count < POOL_TARGET_PER_LESSON)
    return sum(lessons.values()), short


@dataclass(frozen=True)
class Availability:
    """Whether a course offers certification now, with what an exam would be."""

    enabled: bool
    pool_count: int
    exam_size: int
    # Empty when available; else why, in words for staff (learners read unavailable_message()).
    problem: str

    @property
    def available(self) -> bool:
        return not self.problem


def certification_settings_get(*, context_key) -> CertificationSettings | None:
    return CertificationSettings.objects.select_related("configuration").filter(context_key=context_key).first()


def certification_availability(*, context_key, certification: CertificationSettings | None = None) -> Availability:
    """Available iff enabled, with a certificate configuration and a pool of at least the minimum and the exam size."""
    limits = exam_settings()
    certification = certification or certification_settings_get(context_key=context_key)
    if certification is None:
        return Availability(False, 0, limits.exam_size, _("Certification is not set up for this course."))
    exam_size = certification.exam_size or limits.exam_size
    count = pool_count(pool_context_key=certification.pool_key)
    if not certification.enabled:
        problem = _("Certification is not enabled for this course.")
    elif certification.configuration_id is None:
        problem = _("No certificate configuration is chosen.")
    elif count < max(limits.min_pool_size, exam_size):
        problem = _("The pool holds %(count)d valid questions; it needs at least %(needed)d.") % {
            "count": count,
            "needed": max(limits.min_pool_size, exam_size),
        }
    else:
        problem = ""
    return Availability(certification.enabled, count, exam_size, problem)


def entitlement_active(*, user_id: int, context_key, lock: bool = False) -> Entitlement | None:
    """The learner's active entitlement in the course; ``lock`` reads it as the latest committed row, locked."""
    entitlements = Entitlement.objects.filter(user_id=user_id, context_key=context_key, active=True)
    return (entitlements.select_for_update() if lock else entitlements).first()


def points_balance(*, user_id: int) -> int:
    """The learner's points: the host's (its points hooks) or the built-in account's."""
    from ..adapters import get_adapter

    adapter = get_adapter()
    if callable(getattr(adapter, "points_balance", None)):
        return int(adapter.points_balance(user_id))
    return PointsAccount.objects.filter(user_id=user_id).values_list("balance", flat=True).first() or 0


@dataclass(frozen=True)
class CertificationStatus:
    """What a learner may do about a course's certification (the status endpoint's answer)."""

    context_key: object
    enabled: bool
    available: bool
    pool_count: int
    exam_size: int
    price_amount: object
    price_currency: str
    price_points: int | None
    premium_includes_certification: bool
    entitlement: Entitlement | None
    points_balance: int
    message: str
    username: str


def certification_status(*, user, context_key) -> CertificationStatus:
    certification = certification_settings_get(context_key=context_key)
    availability = certification_availability(context_key=context_key, certification=certification)
    return CertificationStatus(
        context_key=context_key,
        enabled=availability.enabled,
        available=availability.available,
        pool_count=availability.pool_count,
        exam_size=availability.exam_size,
        price_amount=certification.price_amount if certification else None,
        price_currency=certification.price_currency if certification else "",
        price_points=certification.price_points if certification else None,
        premium_includes_certification=bool(certification and certification.premium_includes_certification),
        entitlement=entitlement_active(user_id=user.pk, context_key=context_key),
        points_balance=points_balance(user_id=user.pk),
        message="" if availability.available else unavailable_message(),
        username=user.get_username(),
    )


def certification_url(certification: Certification, *, site=None) -> str:
    """The certification's one stable public page, whichever certificate of its chain is current."""
    base = (site or context_site(context_key=certification.context_key)).base_url
    return base + reverse("learning_credentials:verify", kwargs={"verify_uuid": certification.public_id})
