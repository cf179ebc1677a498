"""Built-in retrieval functions. Each takes the adapter and returns verdicts in bulk.

Signature of every ``retrieve_*`` function::

    retrieve_x(*, adapter, context_key, options, user_ids=None) -> dict[int, Eligibility]

``user_ids=None`` means every learner enrolled in the context; otherwise only those of the
given learners who are enrolled. Learning paths are eligible only when every step passes.
Thresholds in options are percentages (0-100).
"""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy
from opaque_keys.edx.keys import LearningContextKey

from ..adapters.base import HostAdapter, is_learning_path
from ..exceptions import ConfigurationError
from ..problems import shown
from ..registry import Option, OptionProblem, declare_options
from . import Eligibility, Reason
from . import reasons as codes

CourseCheck = Callable[[LearningContextKey, list[int]], dict[int, Eligibility]]
EPSILON = 1e-9
# Ids of imperfect assessments kept in an eligibility's details (the audit trail), at most.
MAX_LISTED_ASSESSMENTS = 50


def _percentage(value) -> None:
    if not 0 <= value <= 100:
        raise OptionProblem()  # the option's ``expects`` says what is right


def _category_minimums(value: dict) -> None:
    for category, minimum in value.items():
        if isinstance(minimum, bool) or not isinstance(minimum, int | float) or not 0 <= minimum <= 100:
            raise OptionProblem(
                gettext_lazy("In %(name)s, the minimum of '%(category)s' must be a number between 0 and 100."),
                category=shown(category),
            )


def _modes(value: list | None) -> None:
    if value is not None and not all(isinstance(mode, str) and mode.strip() and mode != "*" for mode in value):
        raise OptionProblem()


# Every built-in function: who counts as a learner of the context.
ENROLLMENT_OPTIONS = {
    "enrollment_modes": Option(
        (list, type(None)),
        default=None,
        help='Course enrollment modes that may earn the credential, e.g. ["verified"]; null means those the '
        "platform's own certificates require (Open edX: every mode but audit). Deactivated accounts never do.",
        validator=_modes,
        expects=gettext_lazy('a list of enrollment modes (e.g. ["verified", "professional"]), or null'),
    ),
}
COMPLETION_OPTIONS = {
    "required_completion": Option(
        float,
        default=100,
        help="Minimum completion, in percent.",
        validator=_percentage,
        expects=gettext_lazy("a number between 0 and 100"),
    ),
}
GRADE_OPTIONS = {
    "required_grades": Option(
        dict,
        default={},
        help='Minimum grade per assignment category, in percent, e.g. {"Exam": 70}.',
        validator=_category_minimums,
        expects=gettext_lazy('an object of assignment categories and minimum percentages, e.g. {"Exam": 70}'),
    ),
    "required_total": Option(
        (float, type(None)),
        default=None,
        help="Minimum weighted total, in percent; null means the course's own passing grade.",
        validator=lambda v: v is None or _percentage(v),
        expects=gettext_lazy("a number between 0 and 100, or null"),
    ),
}


def _percent(fraction: float) -> Decimal:
    return Decimal(str(fraction * 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _completion_check(adapter: HostAdapter, options: dict) -> CourseCheck:
    required = options["required_completion"] / 100
    below = float(options["required_completion"])

    def check(course_key, user_ids):
        completion = adapter.get_completion(course_key, user_ids)
        results = {}
        for user_id in user_ids:
            done = completion.get(user_id, 0.0)
            eligible = done + EPSILON >= required
            results[user_id] = Eligibility(
                eligible=eligible,
                details={"completion": float(_percent(done)), "required_completion": options["required_completion"]},
                reasons=() if eligible else (Reason.of(codes.COMPLETION_BELOW, required=below),),
            )
        return results

    return check


def _grades_check(adapter: HostAdapter, options: dict) -> CourseCheck:
    minimums = options["required_grades"]

    def check(course_key, user_ids):
        policy = adapter.get_grading_policy(course_key)
        unknown = sorted(set(minimums) - set(policy.weights))
        if unknown:
            raise ConfigurationError(
                f"required_grades names categories that {course_key} does not grade: {', '.join(unknown)}."
            )
        required_total = policy.passing_grade if options["required_total"] is None else options["required_total"] / 100
        grades = adapter.get_grades(course_key, user_ids)
        results = {}
        for user_id in user_ids:
            learner = grades.get(user_id)
            by_category = learner.by_category if learner else {}
            # The host's total is authoritative (it applies drop rules and rounding we cannot see).
            total = learner.percent if learner else 0.0
            failed = [cat for cat, minimum in minimums.items() if by_category.get(cat, 0.0) + EPSILON < minimum / 100]
            reasons = tuple(
                Reason.of(codes.CATEGORY_BELOW, category=cat, required=float(minimums[cat])) for cat in failed
            )
            if total + EPSILON < required_total:
                reasons += (Reason.of(codes.TOTAL_BELOW, required=float(_percent(required_total))),)
            results[user_id] = Eligibility(
                eligible=not reasons,
                reasons=reasons,
                score=_percent(total),
                details={
                    "grades": {cat: float(_percent(by_category.get(cat, 0.0))) for cat in policy.weights},
                    "total": float(_percent(total)),
                    "required_grades": minimums,
                    "required_total": float(_percent(required_total)),
                    "failed_categories": failed,
                },
            )
        return results

    return check


def _both(first: CourseCheck, second: CourseCheck) -> CourseCheck:
    def check(course_key, user_ids):
        a, b = first(course_key, user_ids), second(course_key, user_ids)
        return {
            uid: Eligibility(
                eligible=a[uid].eligible and b[uid].eligible,
                score=b[uid].score if b[uid].score is not None else a[uid].score,
                details={**a[uid].details, **b[uid].details},
                reasons=a[uid].reasons + b[uid].reasons,
            )
            for uid in user_ids
        }

    return check


def _evaluate(adapter: HostAdapter, context_key, user_ids, check: CourseCheck, options: dict) -> dict[int, Eligibility]:
    learners = adapter.get_enrolled_user_ids(context_key, user_ids, modes=options.get("enrollment_modes"))
    if not learners:
        return {}
    if not is_learning_path(context_key):
        return check(context_key, learners)
    steps = adapter.get_learning_path_steps(context_key)
    per_step = {str(step): check(step, learners) for step in steps}
    results = {}
    for uid in learners:
        verdicts = [per_step[str(step)][uid] for step in steps]
        scores = [v.score for v in verdicts if v.score is not None]
        reasons = tuple(
            Reason.of(codes.STEP_NOT_PASSED, step=str(step))
            for step, verdict in zip(steps, verdicts, strict=True)
            if not verdict.eligible
        )
        results[uid] = Eligibility(
            eligible=bool(steps) and not reasons,
            reasons=reasons if steps else (Reason.of(codes.PATH_WITHOUT_STEPS),),
            score=(sum(scores) / len(scores)).quantize(Decimal("0.01"))
            if scores and len(scores) == len(verdicts)
            else None,
            details={"steps": {key: {"eligible": r[uid].eligible, **r[uid].details} for key, r in per_step.items()}},
        )
    return results


@declare_options(**ENROLLMENT_OPTIONS, **COMPLETION_OPTIONS)
def retrieve_course_completion(
    *, adapter: HostAdapter, context_key, options: dict, user_ids=None
) -> dict[int, Eligibility]:
    """Eligible when completion reaches ``required_completion`` percent."""
    return _evaluate(adapter, context_key, user_ids, _completion_check(adapter, options), options)


@declare_options(**ENROLLMENT_OPTIONS, **GRADE_OPTIONS)
def retrieve_subsection_grades(
    *, adapter: HostAdapter, context_key, options: dict, user_ids=None
) -> dict[int, Eligibility]:
    """Eligible when every category in ``required_grades`` and the weighted total reach their minimums."""
    return _evaluate(adapter, context_key, user_ids, _grades_check(adapter, options), options)


@declare_options(**ENROLLMENT_OPTIONS, **COMPLETION_OPTIONS, **GRADE_OPTIONS)
def retrieve_completion_and_grades(
    *, adapter: HostAdapter, context_key, options: dict, user_ids=None
) -> dict[int, Eligibility]:
    """Eligible when both the completion and the grade criteria are met."""
    check = _both(_completion_check(adapter, options), _grades_check(adapter, options))
    return _evaluate(adapter, context_key, user_ids, check, options)


def _perfect_assessments_check(adapter: HostAdapter) -> CourseCheck:
    """Every unit completed (course completion 100%) and every graded assessment at 100%, one by one.

    The host's course completion reaches 100% only when every unit (every completable block) is
    complete. ``by_assessment`` lists every graded assessment of the course, 0.0 for one not
    taken, so a skipped quiz fails the learner as a weak one does; category averages play no
    part. A learner without graded assessments (or a course without any) is not eligible.
    """

    def check(course_key, user_ids):
        completion = adapter.get_completion(course_key, user_ids)
        grades = adapter.get_grades(course_key, user_ids)
        results = {}
        for user_id in user_ids:
            done = completion.get(user_id, 0.0)
            learner = grades.get(user_id)
            assessments = learner.by_assessment if learner else {}
            imperfect = sorted(key for key, fraction in assessments.items() if fraction + EPSILON < 1.0)
            reasons = () if done + EPSILON >= 1.0 else (Reason.of(codes.COMPLETION_BELOW, required=100.0),)
            if not assessments:
                reasons += (Reason.of(codes.NO_GRADED_ASSESSMENTS),)
            elif imperfect:
                reasons += (Reason.of(codes.ASSESSMENTS_NOT_PERFECT),)
            results[user_id] = Eligibility(
                eligible=not reasons,
                reasons=reasons,
                score=_percent(learner.percent) if learner else None,
                details={
                    "completion": float(_percent(done)),
                    "required_completion": 100,
                    "assessments": len(assessments),
                    "perfect_assessments": len(assessments) - len(imperfect),
                    "imperfect_assessments": imperfect[:MAX_LISTED_ASSESSMENTS],
                },
            )
        return results

    return check


@declare_options(**ENROLLMENT_OPTIONS)
def retrieve_completion_and_perfect_assessments(
    *, adapter: HostAdapter, context_key, options: dict, user_ids=None
) -> dict[int, Eligibility]:
    """Eligible when every unit is completed and every graded assessment scored 100% (each one, not an average).

    For learning paths, in every step. The score is the host's course grade.
    """
    return _evaluate(adapter, context_key, user_ids, _perfect_assessments_check(adapter), options)
