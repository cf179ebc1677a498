"""Every built-in retrieval function says why a learner is not eligible, as stable codes with words."""

import pytest
from django.utils import translation
from opaque_keys.edx.keys import CourseKey, LearningContextKey
from sandbox.lms import models as lms
from sandbox.lms.adapter import SandboxAdapter

from learning_credentials.eligibility import Reason
from learning_credentials.eligibility import reasons as codes
from learning_credentials.eligibility.builtin import (
    retrieve_completion_and_grades,
    retrieve_completion_and_perfect_assessments,
    retrieve_course_completion,
    retrieve_subsection_grades,
)
from learning_credentials.eligibility.reasons import reason_text
from learning_credentials.registry import resolve_options
from tests import factories

pytestmark = pytest.mark.django_db
COURSE = CourseKey.from_string(factories.COURSE_KEY)
PATH = LearningContextKey.from_string("path-v1:DemoX+data-science+2026+all")


def verdict(func, user, context_key=COURSE, **options):
    options = resolve_options(func, options)
    return func(adapter=SandboxAdapter(), context_key=context_key, options=options, user_ids=[user.pk])[user.pk]


@pytest.fixture
def user(course):
    user = factories.UserFactory(username="learner")
    factories.enroll(user)
    return user


def test_completion_below_the_requirement(user, course):
    factories.set_completion(user, course, 0.5)
    result = verdict(retrieve_course_completion, user, required_completion=80)
    assert result.reasons == (Reason.of(codes.COMPLETION_BELOW, required=80.0),)
    assert reason_text(result.reasons[0]) == "Completion below 80%"


def test_an_eligible_learner_has_no_reasons(user, course):
    factories.set_completion(user, course, 1.0)
    assert verdict(retrieve_course_completion, user).reasons == ()


def test_a_category_and_the_total_below_their_minimums(user, course):
    factories.set_grade(user, course, "hw1", "Homework", 1.0)
    factories.set_grade(user, course, "exam", "Exam", 0.3)  # total 0.4 + 0.18 = 58 %, below the 70 % pass mark
    result = verdict(retrieve_subsection_grades, user, required_grades={"Exam": 60})
    assert result.reasons == (
        Reason.of(codes.CATEGORY_BELOW, category="Exam", required=60.0),
        Reason.of(codes.TOTAL_BELOW, required=70.0),
    )
    assert [reason_text(r) for r in result.reasons] == [
        "Exam grade below 60%",
        "Grade below the required total of 70%",
    ]


def test_completion_and_grades_give_the_reasons_of_both(user, course):
    factories.set_completion(user, course, 0.2)
    result = verdict(retrieve_completion_and_grades, user, required_completion=90, required_total=50)
    assert {r.code for r in result.reasons} == {codes.COMPLETION_BELOW, codes.TOTAL_BELOW}


def test_perfect_assessments(user, course):
    factories.set_completion(user, course, 1.0)
    assert verdict(retrieve_completion_and_perfect_assessments, user).reasons == (
        Reason.of(codes.NO_GRADED_ASSESSMENTS),
    )
    factories.list_assessment(course, "exam", "Exam")
    factories.set_grade(user, course, "exam", "Exam", 0.9)
    assert verdict(retrieve_completion_and_perfect_assessments, user).reasons == (
        Reason.of(codes.ASSESSMENTS_NOT_PERFECT),
    )
    factories.set_completion(user, course, 0.5)
    assert [reason_text(r) for r in verdict(retrieve_completion_and_perfect_assessments, user).reasons] == [
        "Completion below 100%",
        "Not every graded assessment at 100%",
    ]


def test_a_learning_path_names_the_steps_not_passed(course):
    second = factories.make_course("course-v1:DemoX+STAT2+2026", "Statistics")
    path = lms.LearningPath.objects.create(key=str(PATH), display_name="Data science", organization="DemoX")
    lms.LearningPathStep.objects.create(path=path, course=course, order=1)
    lms.LearningPathStep.objects.create(path=path, course=second, order=2)
    user = factories.UserFactory(username="walker")
    factories.enroll(user, str(PATH))
    factories.set_completion(user, course, 1.0)
    result = verdict(retrieve_course_completion, user, context_key=PATH)
    assert result.reasons == (Reason.of(codes.STEP_NOT_PASSED, step=str(second.key)),)
    assert reason_text(result.reasons[0]) == f"Learning path step {second.key} not passed"


def test_a_learning_path_without_steps(course):
    lms.LearningPath.objects.create(key=str(PATH), display_name="Empty", organization="DemoX")
    user = factories.UserFactory(username="early")
    factories.enroll(user, str(PATH))
    assert verdict(retrieve_course_completion, user, context_key=PATH).reasons == (Reason.of(codes.PATH_WITHOUT_STEPS),)


def test_learners_failing_the_same_criterion_share_one_reason(course):
    """What lets a preview count them."""
    users = [factories.UserFactory(username=f"u{i}") for i in range(2)]
    for i, user in enumerate(users):
        factories.enroll(user)
        factories.set_completion(user, course, 0.1 * (i + 1))
    reasons = {verdict(retrieve_course_completion, user).reasons for user in users}
    assert len(reasons) == 1


def test_a_function_without_reasons_and_unknown_codes_in_words():
    with translation.override("en"):
        assert reason_text(Reason.of(codes.NO_REASON_GIVEN)) == "Not eligible (no reason given)"
    assert reason_text(Reason.of("plugin_specific")) == "plugin_specific"
