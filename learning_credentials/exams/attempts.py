"""The final exam: start, answer, submit and discard an attempt (seed 004 §2.5-2.8, §6.3).

One sitting: an attempt lives while the learner answers; a new start, leaving the page or idling past
the idle timeout discards it. Each write locks the attempt's row, so its answers and its grade are
decided once, and the grade and the certificate change commit together (``certificates``).
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_celery_beat.models import PeriodicTask

from ..adapters import get_adapter
from ..exceptions import BadRequest, ObjectNotFound
from ..identifiers import parse_uuid
from ..services.beat import beat_entry_ensure
from .certificates import certificate_record_grade
from .conf import exam_settings
from .exceptions import AlreadyAnswered, AttemptClosed, CourseNotCompleted, NoEntitlement, StartLimitReached
from .models import Attempt, CertificationEvent, Question, QuestionOption
from .rules import draw, passed, score_percent, shuffled
from .selectors import course_completed, entitlement_active, exam_start_limit, valid_questions
from .services import certification_event, certification_require_available, entitlement_for_premium

Status = Attempt.Status
Reason = Attempt.DiscardReason
# The periodic sweep (exams.tasks): its stable task name and its beat entry.
EXPIRE_ATTEMPTS = "learning_credentials.exams.expire_attempts"
ATTEMPTS_SWEEP_TASK = "learning_credentials: discard idle exam attempts"
SWEEP_EVERY_SECONDS = 60


@dataclass(frozen=True)
class AnswerResult:
    """The reply to one answer: whether it was right, and what comes next."""

    attempt: Attempt
    correct: bool


@dataclass(frozen=True)
class Grade:
    """A graded attempt as its learner reads it: the score, and on a fail what they got wrong."""

    attempt: Attempt
    wrong_questions: list[str] = field(default_factory=list)
    # Only with EXAMS' SHOW_CORRECT_ANSWERS_ON_FAIL: {question text: [correct option texts]}.
    correct_answers: list[dict] | None = None


def _token(taken: set[str]) -> str:
    """A random id, unique in the attempt: payloads name questions and options by these, never by bank ids."""
    while (token := secrets.token_hex(4)) in taken:
        pass
    taken.add(token)
    return token


def _snapshot(question, options: list[QuestionOption], taken: set[str]) -> dict:
    """The question as the attempt keeps it; options shuffled, except true/false's, which keep their order."""
    if question.kind != question.Kind.TRUE_FALSE:
        options = shuffled(options)
    return {
        "id": _token(taken),
        "question": question.pk,
        "external_id": question.external_id,
        "lesson": question.lesson,
        "kind": question.kind,
        "text": question.text,
        "options": [{"id": _token(taken), "text": option.text, "correct": option.correct} for option in options],
    }


def _draw_questions(*, pool_context_key, size: int) -> list[dict]:
    """``size`` questions of the pool, drawn uniformly without repetition by a secure source, in random order."""
    chosen = draw(list(valid_questions(pool_context_key=pool_context_key).values_list("pk", flat=True)), size=size)
    questions = Question.objects.in_bulk(chosen)
    options: dict[int, list[QuestionOption]] = {}
    for option in QuestionOption.objects.filter(question_id__in=chosen).order_by("question_id", "position"):
        options.setdefault(option.question_id, []).append(option)
    taken: set[str] = set()
    return [_snapshot(questions[pk], options[pk], taken) for pk in chosen]


def _start_limit(*, user_id: int, context_key, now: datetime) -> None:
    """StartLimitReached when EXAMS' MAX_STARTS_PER_DAY starts were made in the last 24 hours."""
    reached = exam_start_limit(user_id=user_id, context_key=context_key, now=now)
    if reached is None:
        return
    raise StartLimitReached(
        ngettext(
            "You have started this exam %(limit)d time in the last 24 hours; try again later.",
            "You have started this exam %(limit)d times in the last 24 hours; try again later.",
            reached.limit,
        )
        % {"limit": reached.limit},
        extra={"retry_after": max(1, int((reached.until - now).total_seconds()) + 1)},
    )


def attempt_start(*, user_id: int, context_key, activity_source: str, now: datetime | None = None) -> Attempt:
    """Start a final exam for a learner who completed the course and is entitled; an attempt in progress is discarded.

    Refusals, in this order: certification unavailable (409), course not completed (403), no
    entitlement (403), the daily start cap (429). The learner's entitlement row is locked for the
    start, so two racing starts run one after the other: the second discards the first.
    """
    now = now or timezone.now()
    certification, availability = certification_require_available(context_key)
    completion = get_adapter().get_completion(context_key, [user_id]).get(user_id, 0.0)
    if not course_completed(completion=completion, required_percent=certification.required_completion):
        raise CourseNotCompleted(
            _("Complete the course before taking the final exam (%(done)d%% of %(required)d%% done).")
            % {"done": int(completion * 100), "required": certification.required_completion}
        )
    with transaction.atomic():
        entitlement = entitlement_active(user_id=user_id, context_key=context_key, lock=True)
        if entitlement is None:  # premium access is an entitlement from the first time anything reads it
            entitlement = entitlement_for_premium(
                user_id=user_id, certification=certification, activity_source=activity_source
            )
        if entitlement is None:
            raise NoEntitlement(_("Get certification for this course before taking the final exam."))
        _start_limit(user_id=user_id, context_key=context_key, now=now)
        for previous in Attempt.objects.select_for_update().filter(
            user_id=user_id, context_key=context_key, in_progress=True
        ):
            _discard(previous, reason=Reason.SUPERSEDED, now=now, activity_source=activity_source)
        attempt = Attempt.objects.create(
            user_id=user_id,
            context_key=context_key,
            pool_context_key=certification.pool_key,
            entitlement=entitlement,
            size=availability.exam_size,
            pool_count=availability.pool_count,
            questions=_draw_questions(pool_context_key=certification.pool_key, size=availability.exam_size),
            started_at=now,
            last_activity_at=now,
        )
        certification_event(
            kind=CertificationEvent.Kind.ATTEMPT_STARTED,
            user_id=user_id,
            context_key=context_key,
            source=activity_source,
            attempt=str(attempt.pk),
            pool_count=availability.pool_count,
            size=attempt.size,
        )
    return attempt


def _get(*, attempt_id: str, user_id: int, lock: bool) -> Attempt:
    parsed = parse_uuid(attempt_id)
    attempts = Attempt.objects.filter(pk=parsed, user_id=user_id) if parsed else Attempt.objects.none()
    attempt = (attempts.select_for_update() if lock else attempts).first()
    if attempt is None:
        raise ObjectNotFound(_("No such exam attempt."))
    return attempt


def attempt_idle_deadline(attempt: Attempt) -> datetime:
    """When an attempt in progress expires unless answered: EXAMS' IDLE_TIMEOUT_SECONDS after the last answer."""
    return attempt.last_activity_at + timedelta(seconds=exam_settings().idle_timeout_seconds)


def _idle(attempt: Attempt, now: datetime) -> bool:
    return attempt.status == Status.IN_PROGRESS and now > attempt_idle_deadline(attempt)


def _discard(attempt: Attempt, *, reason: str, now: datetime, activity_source: str) -> None:
    """Discard a locked attempt in progress; it grades nothing and changes no certificate."""
    attempt.status, attempt.in_progress = Status.DISCARDED, None
    attempt.discarded_at, attempt.discard_reason = now, reason
    attempt.save(update_fields=["status", "in_progress", "discarded_at", "discard_reason"])
    certification_event(
        kind=CertificationEvent.Kind.ATTEMPT_DISCARDED,
        user_id=attempt.user_id,
        context_key=attempt.context_key,
        source=activity_source,
        attempt=str(attempt.pk),
        reason=reason,
        answered=len(attempt.answers),
    )


def _discarded_words() -> dict[str, str]:
    """One whole sentence per discard reason, so each language words it its own way."""
    return {
        Attempt.DiscardReason.LEFT: _("This exam was discarded because you left it; start a new one."),
        Attempt.DiscardReason.SUPERSEDED: _("This exam was discarded because you started a new attempt."),
        Attempt.DiscardReason.EXPIRED: _(
            "This exam was discarded because it was idle for longer than the idle timeout; start a new one."
        ),
        Attempt.DiscardReason.RETIRED: _("This exam was discarded because the account was retired."),
    }


def _closed(attempt: Attempt) -> AttemptClosed:
    words = {
        Status.GRADED: _("This exam was already submitted."),
        Status.DISCARDED: _discarded_words().get(
            attempt.discard_reason, _("This exam was discarded; start a new one.")
        ),
    }
    return AttemptClosed(
        words.get(attempt.status, _("This exam is over.")),
        extra={"status": attempt.status, "reason": attempt.discard_reason or None},
    )


def _open(attempt_id: str, *, user_id: int, now: datetime, activity_source: str) -> Attempt:
    """The learner's attempt, locked; one idle past the timeout is discarded first (``expired``)."""
    attempt = _get(attempt_id=attempt_id, user_id=user_id, lock=True)
    if _idle(attempt, now):
        _discard(attempt, reason=Reason.EXPIRED, now=now, activity_source=activity_source)
    return attempt


def attempt_read(*, attempt_id: str, user_id: int, activity_source: str, now: datetime | None = None) -> Attempt:
    """The learner's attempt as it stands (an idle one is discarded as ``expired`` by this very read)."""
    now = now or timezone.now()
    attempt = _get(attempt_id=attempt_id, user_id=user_id, lock=False)
    if not _idle(attempt, now):
        return attempt
    with transaction.atomic():
        return _open(attempt_id, user_id=user_id, now=now, activity_source=activity_source)


def current_question(attempt: Attempt) -> dict | None:
    """The first question not answered yet, in the attempt's order; None when all are answered."""
    return next((question for question in attempt.questions if question["id"] not in attempt.answers), None)


def _check_choice(question: dict, chosen: list[str]) -> None:
    known = {option["id"] for option in question["options"]}
    if not chosen or len(set(chosen)) != len(chosen) or not set(chosen) <= known:
        raise BadRequest(_("Choose one or more of the question's options, each once."))
    if question["kind"] != "multiple" and len(chosen) != 1:
        raise BadRequest(_("Choose exactly one option for this question."))


def attempt_answer(
    *, attempt_id: str, user_id: int, question: str, options: list[str], activity_source: str, now=None
) -> AnswerResult:
    """Record the learner's first and final answer to one question of the attempt, and say whether it was right.

    Multiple choice is right only with all and only the correct options. Two reads and one write
    whatever the pool's size.
    """
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _open(attempt_id, user_id=user_id, now=now, activity_source=activity_source)
        if attempt.status == Status.IN_PROGRESS:
            asked = next((q for q in attempt.questions if q["id"] == question), None)
            if asked is None:
                raise BadRequest(_("This exam has no such question."))
            if question in attempt.answers:
                raise AlreadyAnswered(_("This question was already answered; the first answer counts."))
            _check_choice(asked, options)
            correct = set(options) == {option["id"] for option in asked["options"] if option["correct"]}
            attempt.answers[question] = {"options": options, "correct": correct, "at": now.isoformat()}
            attempt.last_activity_at = now
            attempt.save(update_fields=["answers", "last_activity_at"])
            return AnswerResult(attempt=attempt, correct=correct)
    raise _closed(attempt)


def attempt_submit(*, attempt_id: str, user_id: int, activity_source: str, now=None) -> Grade:
    """Grade the attempt once: unanswered questions count as wrong; the certificate follows in the same transaction.

    The score is the integer percent rounded half up; the attempt passes iff it is strictly above
    EXAMS' PASS_MARK. The grade is a conditional update (IN_PROGRESS -> GRADED), so of two submits
    one grades and the other gets AttemptClosed.
    """
    now = now or timezone.now()
    limits = exam_settings()
    with transaction.atomic():
        attempt = _open(attempt_id, user_id=user_id, now=now, activity_source=activity_source)
        if attempt.status == Status.IN_PROGRESS:
            correct = sum(1 for answer in attempt.answers.values() if answer["correct"])
            score = score_percent(correct=correct, size=attempt.size)
            grade = {
                "status": Status.GRADED,
                "in_progress": None,
                "correct_count": correct,
                "score": score,
                "passed": passed(score=score, pass_mark=limits.pass_mark),
                "graded_at": now,
            }
            if Attempt.objects.filter(pk=attempt.pk, status=Status.IN_PROGRESS).update(**grade) == 1:
                for name, value in grade.items():
                    setattr(attempt, name, value)
                certification_event(
                    kind=CertificationEvent.Kind.ATTEMPT_GRADED,
                    user_id=user_id,
                    context_key=attempt.context_key,
                    source=activity_source,
                    attempt=str(attempt.pk),
                    score=score,
                    passed=attempt.passed,
                    correct=correct,
                    size=attempt.size,
                )
                certificate_record_grade(attempt=attempt, activity_source=activity_source)
                return grade_read(attempt)
    raise _closed(attempt)


def grade_read(attempt: Attempt) -> Grade:
    """What a graded attempt tells its learner: on a fail, the questions got wrong (as EXAMS' settings allow)."""
    limits = exam_settings()
    if attempt.passed or not limits.show_wrong_questions_on_fail:
        return Grade(attempt=attempt)
    wrong = [q for q in attempt.questions if not attempt.answers.get(q["id"], {}).get("correct")]
    answers = None
    if limits.show_correct_answers_on_fail:
        answers = [
            {"question": q["text"], "correct_options": [o["text"] for o in q["options"] if o["correct"]]} for q in wrong
        ]
    return Grade(attempt=attempt, wrong_questions=[q["text"] for q in wrong], correct_answers=answers)


def attempt_discard(*, attempt_id: str, user_id: int, activity_source: str, now=None) -> Attempt:
    """The learner left the exam: discard it (``left``). An attempt already over is left as it is."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _open(attempt_id, user_id=user_id, now=now, activity_source=activity_source)
        if attempt.status == Status.IN_PROGRESS:
            _discard(attempt, reason=Reason.LEFT, now=now, activity_source=activity_source)
            return attempt
    raise _closed(attempt)


def attempts_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Discard attempts idle past the idle timeout (``expired``); the periodic sweep, in batches."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=exam_settings().idle_timeout_seconds)
    expired = 0
    ids = list(
        Attempt.objects.filter(status=Status.IN_PROGRESS, last_activity_at__lt=cutoff).values_list("pk", flat=True)[
            :batch
        ]
    )
    for attempt_id in ids:
        with transaction.atomic():
            attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
            if attempt is not None and _idle(attempt, now):
                _discard(attempt, reason=Reason.EXPIRED, now=now, activity_source="sweep")
                expired += 1
    return expired


def attempts_sweep_schedule_ensure() -> PeriodicTask:
    """The beat entry that runs the idle-attempt sweep every minute."""
    return beat_entry_ensure(
        name=ATTEMPTS_SWEEP_TASK,
        task=EXPIRE_ATTEMPTS,
        every_seconds=SWEEP_EVERY_SECONDS,
        description="Discards final exam attempts idle past the idle timeout (reason: expired).",
    )


def attempt_sitting_open(*, attempt_id: str, user_id: int, now: datetime | None = None) -> Attempt | None:
    """Claim the one showing of an attempt's questions on the exam page; None when it was shown already.

    A conditional update of ``sitting_shown_at``, so of a reload, a second tab or a replayed link only
    the first request after the start renders the sitting: an attempt is never resumed by a page. Not
    in progress, idle past its deadline or another learner's: None as well (nothing is discarded here).
    """
    now = now or timezone.now()
    parsed = parse_uuid(attempt_id)
    if parsed is None:
        return None
    claimed = Attempt.objects.filter(
        pk=parsed,
        user_id=user_id,
        status=Status.IN_PROGRESS,
        sitting_shown_at__isnull=True,
        last_activity_at__gte=now - timedelta(seconds=exam_settings().idle_timeout_seconds),
    ).update(sitting_shown_at=now)
    return Attempt.objects.get(pk=parsed) if claimed == 1 else None
