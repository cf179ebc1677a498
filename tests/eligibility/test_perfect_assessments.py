"""Seed 003's criterion: every unit completed and every graded assessment at 100 %, each one, not an average."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey, LearningContextKey
from sandbox.lms import models as lms
from sandbox.lms.adapter import SandboxAdapter

from learning_credentials.adapters.base import LearnerGrades
from learning_credentials.eligibility.builtin import retrieve_completion_and_perfect_assessments
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.registry import retrieval_functions
from learning_credentials.services.progress import learner_progress_check
from tests import factories

pytestmark = pytest.mark.django_db
COURSE = CourseKey.from_string(factories.COURSE_KEY)
PATH = LearningContextKey.from_string("path-v1:DemoX+data-science+2026+all")
QUIZZES = (("quiz1", "Homework"), ("quiz2", "Homework"), ("final", "Exam"))


def run(context_key=COURSE, user_ids=None):
    return retrieve_completion_and_perfect_assessments(
        adapter=SandboxAdapter(), context_key=context_key, options={}, user_ids=user_ids
    )


def learner(name: str, course, completion: float | None, scores: dict[str, float]):
    user = factories.UserFactory(username=name)
    factories.enroll(user)
    if completion is not None:
        factories.set_completion(user, course, completion)
    categories = dict(QUIZZES)
    for assessment_id, fraction in scores.items():
        factories.set_grade(user, course, assessment_id, categories[assessment_id], fraction)
    return user


@pytest.fixture
def listed(course):
    for assessment_id, category in QUIZZES:
        factories.list_assessment(course, assessment_id, category)
    return course


@pytest.fixture
def cohort(listed):
    course = listed
    perfect = {"quiz1": 1.0, "quiz2": 1.0, "final": 1.0}
    return {
        "perfect": learner("perfect", course, 1.0, perfect),
        "skipped_one": learner("skipped_one", course, 1.0, {"quiz1": 1.0, "final": 1.0}),
        "one_short": learner("one_short", course, 1.0, {**perfect, "quiz2": 0.9}),
        "unit_left": learner("unit_left", course, 0.99, perfect),
        "no_progress": learner("no_progress", course, None, perfect),
        "ungraded": learner("ungraded", course, 1.0, {}),
    }


def test_registered_under_its_key():
    assert retrieval_functions.get("completion_and_perfect_assessments") is retrieve_completion_and_perfect_assessments


def test_only_every_unit_and_every_assessment_at_100_percent_qualifies(cohort):
    results = run()
    eligible = {name for name, user in cohort.items() if results[user.pk].eligible}
    assert eligible == {"perfect"}
    assert results[cohort["perfect"].pk].score == Decimal("100.00")
    assert results[cohort["perfect"].pk].details == {
        "completion": 100.0,
        "required_completion": 100,
        "assessments": 3,
        "perfect_assessments": 3,
        "imperfect_assessments": [],
    }


def test_a_skipped_assessment_fails_like_a_weak_one(cohort):
    results = run()
    skipped = results[cohort["skipped_one"].pk].details
    assert (skipped["assessments"], skipped["perfect_assessments"], skipped["imperfect_assessments"]) == (
        3,
        2,
        ["quiz2"],
    )
    assert results[cohort["one_short"].pk].details["imperfect_assessments"] == ["quiz2"]


class DroppingHost:
    """A host whose grading drops each category's lowest score, as Open edX's drop_count does."""

    def get_enrolled_user_ids(self, context_key, user_ids=None, modes=None):
        return [7]

    def get_completion(self, course_key, user_ids):
        return {7: 1.0}

    def get_grades(self, course_key, user_ids):
        return {7: LearnerGrades(percent=1.0, by_category={"Homework": 1.0}, by_assessment={"hw1": 1.0, "hw2": 0.5})}


def test_each_assessment_counts_not_the_category_average():
    result = retrieve_completion_and_perfect_assessments(
        adapter=DroppingHost(), context_key=COURSE, options={}, user_ids=[7]
    )[7]
    assert not result.eligible  # Homework is 100 % after the drop; hw2 is not
    assert result.details["imperfect_assessments"] == ["hw2"]


def test_learners_without_grades_or_completion_are_not_eligible(cohort):
    results = run()
    assert results[cohort["ungraded"].pk].details["assessments"] == 0
    assert not results[cohort["ungraded"].pk].eligible and results[cohort["ungraded"].pk].score is None
    assert results[cohort["no_progress"].pk].details["completion"] == 0.0


def test_reads_in_bulk(cohort):
    one, everyone = [cohort["perfect"].pk], [user.pk for user in cohort.values()]
    run(user_ids=one)
    with CaptureQueriesContext(connection) as for_one:
        run(user_ids=one)
    with CaptureQueriesContext(connection) as for_all:
        run(user_ids=everyone)
    assert len(for_all) == len(for_one)


def test_learning_paths_need_every_step_perfect(listed):
    second = factories.make_course("course-v1:DemoX+STAT2+2026", "Statistics")
    factories.list_assessment(second, "final", "Exam")
    path = lms.LearningPath.objects.create(key=str(PATH), display_name="Data science", organization="DemoX")
    lms.LearningPathStep.objects.create(path=path, course=listed, order=1)
    lms.LearningPathStep.objects.create(path=path, course=second, order=2)
    perfect = {"quiz1": 1.0, "quiz2": 1.0, "final": 1.0}
    both = learner("both", listed, 1.0, perfect)
    first_only = learner("first_only", listed, 1.0, perfect)
    for user, final in ((both, 1.0), (first_only, 0.5)):
        factories.enroll(user, str(PATH))
        factories.set_completion(user, second, 1.0)
        factories.set_grade(user, second, "final", "Exam", final)
    results = run(context_key=PATH)
    assert results[both.pk].eligible and not results[first_only.pk].eligible
    assert results[first_only.pk].details["steps"]["course-v1:DemoX+STAT2+2026"]["imperfect_assessments"] == ["final"]


def test_seed_003_awarded_when_the_last_module_is_completed(listed, template_asset, django_capture_on_commit_callbacks):
    """Scenario 1: 4/5 modules perfect; completing the last with 100 % awards the badge at once, once."""
    credential_type = factories.CredentialTypeFactory(
        name="Certified Coach",
        retrieval_func="completion_and_perfect_assessments",
        custom_options={"template": "certificate-template"},
    )
    configuration = factories.ConfigurationFactory(credential_type=credential_type)
    coach = learner("coach", listed, 0.8, {"quiz1": 1.0, "quiz2": 1.0})

    def check():
        with django_capture_on_commit_callbacks(execute=True):
            return learner_progress_check(user_id=coach.pk, context_key=COURSE, source="event")

    assert check() == {configuration.pk: "not_eligible"}
    factories.set_completion(coach, listed, 1.0)
    factories.set_grade(coach, listed, "final", "Exam", 1.0)
    assert check() == {configuration.pk: "issued"}
    assert check() == {configuration.pk: "duplicate"}
    credential = Credential.objects.get(user=coach)
    assert credential.status == Status.AVAILABLE and credential.type_name == "Certified Coach"
    assert credential.events.get(kind="issued").details["eligibility"]["perfect_assessments"] == 3
    assert credential.duplicate_attempts == 1 and credential.events.filter(kind="duplicate_attempt").count() == 1
