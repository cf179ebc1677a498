"""Reads of the exams sub-app: pools, whether a course offers certification now, and a learner's status.

Seed 004 §2.3, §2.4 and §3 (the course list's chip). The status reads many courses at once in a
fixed number of queries, so a course list costs what one course costs.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote
from uuid import UUID

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..lifecycle import Status
from ..models import Credential
from ..selectors import context_site, context_sites
from .conf import exam_settings
from .models import Attempt, Certification, CertificationSettings, Entitlement, PointsAccount, Question
from .rules import CERTIFICATE_NONE, CERTIFICATE_REVOKED, CERTIFICATE_VALID, CertificationFacts, certification_chip

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


def valid_questions(*, pool_context_key=None, pool_context_keys: Iterable | None = None):
    """The pool's active questions whose options make an answerable question of their kind.

    ``pool_context_keys`` instead of ``pool_context_key``: those of several pools at once (the course list).
    """
    if (pool_context_key is None) == (pool_context_keys is None):
        raise ValueError("Give pool_context_key or pool_context_keys, not both or neither.")
    pools = (
        Q(pool_context_key=pool_context_key) if pool_context_keys is None else Q(pool_context_key__in=pool_context_keys)
    )
    return (
        Question.objects.filter(pools, active=True)
        .annotate(options_n=Count("options"), correct_n=Count("options", filter=Q(options__correct=True)))
        .filter(_valid_options())
    )


def pool_count(*, pool_context_key) -> int:
    """Valid active questions in a course's pool: what an exam may draw from."""
    return valid_questions(pool_context_key=pool_context_key).count()


def pool_counts(*, pool_context_keys: Iterable) -> dict:
    """pool_count of several pools in one query; a pool without valid questions counts 0."""
    keys = list(dict.fromkeys(pool_context_keys))
    if not keys:
        return {}
    # Counting questions already grouped by their options needs the valid ones as a subquery.
    valid = valid_questions(pool_context_keys=keys).values("pk")
    rows = Question.objects.filter(pk__in=valid).values_list("pool_context_key").annotate(n=Count("pk")).order_by()
    counted = {str(key): n for key, n in rows}
    return {key: counted.get(str(key), 0) for key in keys}


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
    certification = certification or certification_settings_get(context_key=context_key)
    count = pool_count(pool_context_key=certification.pool_key) if certification else 0
    return _availability(certification=certification, count=count)


def _availability(*, certification: CertificationSettings | None, count: int) -> Availability:
    """certification_availability, given the settings and their pool's count (read one by one, or in bulk)."""
    limits = exam_settings()
    if certification is None:
        return Availability(False, 0, limits.exam_size, _("Certification is not set up for this course."))
    exam_size = certification.exam_size or limits.exam_size
    if not certification.enabled:
        problem = _("Certification is not enabled for this course.")
    elif certification.configuration_id is None:
        problem = _("No certificate configuration is chosen.")
    elif count < max(limits.min_pool_size, exam_size):
        problem = ngettext(
            "The pool holds %(count)d valid question; it needs at least %(needed)d.",
            "The pool holds %(count)d valid questions; it needs at least %(needed)d.",
            count,
        ) % {
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
    """What a learner may do about a course's certification (the status endpoint's answer), with the list's chip."""

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
    completed: bool  # to the course's required completion (100% without certification settings)
    chip: str  # a rules.Chip
    cta: str | None  # a rules.CTA, or None
    helper: str
    score: int | None  # the most recent graded exam's, in percent
    certification_url: str | None  # the stable public page, once the chain has a certificate
    certificate_uuid: UUID | None = None  # the valid certificate's (the learner's own credential page), else None


# Completion is a fraction; rounding of the host's figure must not keep a learner at 99.999...% out.
COMPLETION_EPSILON = 1e-9


def course_completed(*, completion: float, required_percent: int) -> bool:
    """Whether a completion fraction reaches a required percentage, allowing for the host's rounding."""
    return completion * 100 + COMPLETION_EPSILON >= required_percent


# The invalidation reason of a certificate revoked by a failed exam (certificates revokes with it).
EXAM_FAILED = "exam_failed"


def _certificate_states(
    *, user_id: int, course_settings: dict, certifications: dict
) -> dict[str, tuple[str, UUID | None]]:
    """CERTIFICATE_* of each course (by its key's string), for what the chip reads, with the valid certificate's uuid.

    Valid while the learner holds a live certificate of the course (generating and error count):
    one of its certificate configuration, or the chain's current one (kept when staff unset the
    configuration). Else revoked when the chain's current certificate was revoked by a failed exam;
    else none (a refund, staff's invalidation, nothing yet). One query for all courses.
    """
    configurations = {c.configuration_id: key for key, c in course_settings.items() if c.configuration_id}
    live = {}
    if configurations:
        rows = Credential.objects.filter(user_id=user_id, configuration_id__in=list(configurations), active=True)
        live = {configurations[pk]: uuid for pk, uuid in rows.values_list("configuration_id", "uuid")}
    states = {}
    for key in course_settings.keys() | certifications.keys():
        current = getattr(certifications.get(key), "credential", None)
        if current is not None and current.active:
            states[key] = (CERTIFICATE_VALID, current.uuid)
        elif key in live:
            states[key] = (CERTIFICATE_VALID, live[key])
        elif (
            current is not None and current.status == Status.INVALIDATED and current.invalidation_reason == EXAM_FAILED
        ):
            states[key] = (CERTIFICATE_REVOKED, None)
        else:
            states[key] = (CERTIFICATE_NONE, None)
    return states


def certification_statuses(*, user, context_keys: list) -> dict[object, CertificationStatus]:
    """The learner's certification status in each course, keyed and ordered as ``context_keys`` (a repeat once).

    A fixed number of queries whatever the number of courses: each table is read once for all of
    them, and completion in one adapter call. Premium access that includes certification is not
    looked at here, as the host tells it course by course: until the learner's status in such a
    course is read through services.certification_status_read (which grants the entitlement), its
    chip reads "Completed, certificate available".
    """
    from ..adapters import get_adapter

    keys = list(dict.fromkeys(context_keys))
    if not keys:
        return {}
    # Rows carry keys parsed from the database; matched to the caller's keys by their strings.
    course_settings = {
        str(c.context_key): c
        for c in CertificationSettings.objects.select_related("configuration").filter(context_key__in=keys)
    }
    counts = {
        str(k): n for k, n in pool_counts(pool_context_keys=[c.pool_key for c in course_settings.values()]).items()
    }
    entitlements = {
        str(e.context_key): e for e in Entitlement.objects.filter(user_id=user.pk, context_key__in=keys, active=True)
    }
    certifications = {
        str(c.context_key): c
        for c in Certification.objects.select_related("credential").filter(user_id=user.pk, context_key__in=keys)
    }
    certificates = _certificate_states(user_id=user.pk, course_settings=course_settings, certifications=certifications)
    completion = {str(k): fraction for k, fraction in get_adapter().get_learner_completion(user.pk, keys).items()}
    linked = [key for key in keys if getattr(certifications.get(str(key)), "credential_id", None) is not None]
    sites = {str(k): site for k, site in context_sites(context_keys=linked).items()}
    balance = points_balance(user_id=user.pk)
    username = user.get_username()
    statuses = {}
    for key in keys:
        name = str(key)
        certification, row = course_settings.get(name), certifications.get(name)
        availability = _availability(
            certification=certification, count=counts[str(certification.pool_key)] if certification else 0
        )
        completed = course_completed(
            completion=completion.get(name, 0.0),
            required_percent=certification.required_completion if certification else 100,
        )
        score = row.score if row else None
        certificate, certificate_uuid = certificates.get(name, (CERTIFICATE_NONE, None))
        chip = certification_chip(
            CertificationFacts(
                completed=completed,
                configured=certification is not None,
                available=availability.available,
                entitled=name in entitlements,
                certificate=certificate,
                score=score,
            )
        )
        statuses[key] = CertificationStatus(
            context_key=key,
            enabled=availability.enabled,
            available=availability.available,
            pool_count=availability.pool_count,
            exam_size=availability.exam_size,
            price_amount=certification.price_amount if certification else None,
            price_currency=certification.price_currency if certification else "",
            price_points=certification.price_points if certification else None,
            premium_includes_certification=bool(certification and certification.premium_includes_certification),
            entitlement=entitlements.get(name),
            points_balance=balance,
            message="" if availability.available else unavailable_message(),
            username=username,
            completed=completed,
            chip=chip.chip,
            cta=chip.cta,
            helper=chip.helper,
            score=score,
            certification_url=certification_url(row, site=sites[name]) if name in sites else None,
            certificate_uuid=certificate_uuid,
        )
    return statuses


def certification_status(*, user, context_key) -> CertificationStatus:
    """The learner's status in one course: the course list's read, for a list of one."""
    return certification_statuses(user=user, context_keys=[context_key])[context_key]


def certification_url(certification: Certification, *, site=None) -> str:
    """The certification's one stable public page, whichever certificate of its chain is current."""
    base = (site or context_site(context_key=certification.context_key)).base_url
    return base + reverse("learning_credentials:verify", kwargs={"verify_uuid": certification.public_id})


def certification_checkout_url(*, user_id: int, context_key, return_url: str) -> str | None:
    """Where the learner pays for the course's certification, coming back to ``return_url``; None: nowhere.

    The host adapter's own certification_checkout_url (payments.CertificationCheckout) when it has
    one; else EXAMS' CHECKOUT_URL filled in with the key and the return URL, each URL-encoded whole.
    """
    from ..adapters import get_adapter

    hook = getattr(get_adapter(), "certification_checkout_url", None)
    if callable(hook):
        return hook(user_id, context_key, return_url)
    template = exam_settings().checkout_url
    if template is None:
        return None
    return template.format(context_key=quote(str(context_key), safe=""), return_url=quote(return_url, safe=""))


def payment_pending(*, user_id: int, context_key) -> str | None:
    """The reference of a payment the learner made for the course's certification that bought nothing yet; None.

    The host adapter's optional certification_payment_pending (payments.PendingPayments) knows; a host
    without it has none to tell (a payment webhook grants as it arrives), so this is None there.
    """
    from ..adapters import get_adapter

    hook = getattr(get_adapter(), "certification_payment_pending", None)
    return (hook(user_id, context_key) or None) if callable(hook) else None


# EXAMS' MAX_STARTS_PER_DAY counts the starts of the last day.
START_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class StartLimit:
    """EXAMS' MAX_STARTS_PER_DAY reached: that limit, and when the learner may start again."""

    limit: int
    until: datetime


def exam_start_limit(*, user_id: int, context_key, now: datetime | None = None) -> StartLimit | None:
    """The start limit when the learner has reached it in the course; None while they may start."""
    limit = exam_settings().max_starts_per_day
    if limit is None:
        return None
    now = now or timezone.now()
    recent = Attempt.objects.filter(user_id=user_id, context_key=context_key, started_at__gt=now - START_WINDOW)
    starts = recent.aggregate(first=Min("started_at"), count=Count("pk"))
    if starts["count"] < limit:
        return None
    return StartLimit(limit=limit, until=starts["first"] + START_WINDOW)


def attempt_latest(*, user_id: int, context_key) -> Attempt | None:
    """The learner's most recent exam attempt in the course: the exam page says what became of it."""
    return Attempt.objects.filter(user_id=user_id, context_key=context_key).order_by("-started_at").first()


def attempt_graded_get(*, attempt_id: UUID, user_id: int, context_key) -> Attempt | None:
    """The learner's own graded attempt in the course (its result page); None for anyone else's, or one not graded."""
    return Attempt.objects.filter(
        pk=attempt_id, user_id=user_id, context_key=context_key, status=Attempt.Status.GRADED
    ).first()
