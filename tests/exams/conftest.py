"""Certification settings of the demo course, and question pools built in bulk."""

import pytest
from opaque_keys.edx.keys import CourseKey

from learning_credentials.exams import attempts as exam
from learning_credentials.exams.models import Attempt, Certification, CertificationSettings, Question, QuestionOption
from tests import factories

COURSE = CourseKey.from_string(factories.COURSE_KEY)
CHILD = CourseKey.from_string("course-v1:DemoX+CS101-ESSENTIALS+2026")


def make_pool(pool_context_key, count: int, *, lessons: int = 30, kind: str = Question.Kind.SINGLE, start: int = 0):
    """``count`` valid questions of ``kind``, spread over ``lessons`` lessons; returns them."""
    questions = Question.objects.bulk_create(
        Question(
            pool_context_key=pool_context_key,
            external_id=f"q{number:04d}",
            external_key=f"{number:064d}",  # bulk_create skips save(); any distinct 64 characters do
            lesson=f"Lesson {number % lessons + 1:02d}",
            kind=kind,
            text=f"Question {number}?",
        )
        for number in range(start, start + count)
    )
    QuestionOption.objects.bulk_create(
        QuestionOption(question=question, position=position, text=text, correct=position == 0)
        for question in questions
        for position, text in enumerate(("True", "False") if kind == Question.Kind.TRUE_FALSE else ("A", "B", "C"))
    )
    return questions


def certification_offer(context_key, configuration, **fields) -> CertificationSettings:
    """The course offers certification at 49.00 USD or 60 points, issuing the configuration's credential."""
    return CertificationSettings.objects.create(
        context_key=context_key,
        enabled=True,
        configuration=configuration,
        price_amount="49.00",
        price_currency="USD",
        price_points=60,
        **fields,
    )


def certificate_by_exam(configuration) -> None:
    """The configuration's certificate is issued by a passed exam only."""
    credential_type = configuration.credential_type
    credential_type.retrieval_func = "certification_exam_passed"
    credential_type.custom_options = {"template": "certificate-template"}
    credential_type.save()


@pytest.fixture
def certification(configuration) -> CertificationSettings:
    """The demo course offers certification with its own pool (still empty) and the configuration's credential."""
    return certification_offer(COURSE, configuration)


@pytest.fixture
def for_sale(certification) -> CertificationSettings:
    """The demo course with a full pool: certification costs 49.00 USD or 60 points."""
    make_pool(COURSE, 150)
    return certification


def grant(learner, context_key=COURSE):
    """Entitle a learner (as a points redemption would) without spending anything."""
    from learning_credentials.exams.services import entitlement_grant

    return entitlement_grant(user_id=learner.pk, context_key=context_key, source="points", activity_source="admin")[0]


@pytest.fixture
def for_sale_exam(for_sale, learner) -> CertificationSettings:
    """For sale, with a certificate only a passed exam issues; the learner completed the course (not entitled)."""
    certificate_by_exam(for_sale.configuration)
    factories.set_completion(learner, factories.make_course(), 1.0)
    return for_sale


@pytest.fixture
def ready(for_sale_exam, learner) -> CertificationSettings:
    """The learner completed the course and is entitled: the exam may start."""
    grant(learner)
    return for_sale_exam


# Exams taken as a learner would, through the services (the API tests post the same).
SOURCE = "learner"


def start(learner, context_key=COURSE, **kwargs) -> Attempt:
    return exam.attempt_start(user_id=learner.pk, context_key=context_key, activity_source=SOURCE, **kwargs)


def right_options(question: dict) -> list[str]:
    return [option["id"] for option in question["options"] if option["correct"]]


def wrong_options(question: dict) -> list[str]:
    return [next(option["id"] for option in question["options"] if not option["correct"])]


def answer(learner, attempt: Attempt, question: dict, *, right: bool, **kwargs):
    return exam.attempt_answer(
        attempt_id=str(attempt.pk),
        user_id=learner.pk,
        question=question["id"],
        options=right_options(question) if right else wrong_options(question),
        activity_source=SOURCE,
        **kwargs,
    )


def take(learner, attempt: Attempt, correct: int, *, answered: int | None = None) -> exam.Grade:
    """Answer the first ``correct`` questions right and the rest (up to ``answered``) wrong, then submit."""
    for number, question in enumerate(attempt.questions[: attempt.size if answered is None else answered]):
        answer(learner, attempt, question, right=number < correct)
    return exam.attempt_submit(attempt_id=str(attempt.pk), user_id=learner.pk, activity_source=SOURCE)


@pytest.fixture
def sit(ready, learner, django_capture_on_commit_callbacks):
    """Take a whole exam with ``correct`` right answers of 50 (generation runs as the transaction commits)."""

    def sit(correct: int) -> exam.Grade:
        with django_capture_on_commit_callbacks(execute=True):
            return take(learner, start(learner), correct)

    return sit


def course_key(number: int):
    return CourseKey.from_string(f"course-v1:DemoX+C{number:02d}+2026")


@pytest.fixture
def course_list(for_sale_exam, learner):
    """Twenty more courses the learner is enrolled in, each with certification settings, a pool, completion, an
    entitlement and a certificate."""
    keys = [course_key(number) for number in range(20)]
    for number, key in enumerate(keys):
        factories.set_completion(learner, factories.make_course(str(key), f"Course {number}"), 1.0)
        factories.enroll(learner, str(key))
        configuration = factories.ConfigurationFactory(
            learning_context_key=key, credential_type=for_sale_exam.configuration.credential_type
        )
        CertificationSettings.objects.create(
            context_key=key, enabled=True, configuration=configuration, pool_context_key=COURSE if number % 2 else None
        )
        if not number % 2:
            make_pool(key, 50, start=1000 * (number + 1))
        grant(learner, key)
        credential = factories.CredentialFactory(configuration=configuration, user=learner, score=80)
        Certification.objects.create(
            user=learner, context_key=key, code=f"CODE{number:04d}", credential=credential, score=80
        )
    return keys
