"""Certification settings of the demo course, and question pools built in bulk."""

import pytest
from opaque_keys.edx.keys import CourseKey

from learning_credentials.exams.models import CertificationSettings, Question, QuestionOption
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


@pytest.fixture
def certification(configuration) -> CertificationSettings:
    """The demo course offers certification with its own pool (still empty) and the configuration's credential."""
    return CertificationSettings.objects.create(
        context_key=COURSE,
        enabled=True,
        configuration=configuration,
        price_amount="49.00",
        price_currency="USD",
        price_points=60,
    )


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
    credential_type = for_sale.configuration.credential_type
    credential_type.retrieval_func = "certification_exam_passed"
    credential_type.custom_options = {"template": "certificate-template"}
    credential_type.save()
    factories.set_completion(learner, factories.make_course(), 1.0)
    return for_sale


@pytest.fixture
def ready(for_sale_exam, learner) -> CertificationSettings:
    """The learner completed the course and is entitled: the exam may start."""
    grant(learner)
    return for_sale_exam
