from decimal import Decimal

import pytest
from opaque_keys.edx.keys import CourseKey, LearningContextKey
from sandbox.lms import models as lms
from sandbox.lms.adapter import SandboxAdapter

from learning_credentials.eligibility.builtin import (
    retrieve_completion_and_grades,
    retrieve_course_completion,
    retrieve_subsection_grades,
)
from learning_credentials.exceptions import ConfigurationError, InvalidOptions
from learning_credentials.registry import resolve_options, validate_options
from tests import factories

pytestmark = pytest.mark.django_db
COURSE = CourseKey.from_string(factories.COURSE_KEY)
PATH = LearningContextKey.from_string("path-v1:DemoX+data-science+2026+all")


def run(func, context_key=COURSE, user_ids=None, **options):
    return func(
        adapter=SandboxAdapter(), context_key=context_key, options=resolve_options(func, options), user_ids=user_ids
    )


@pytest.fixture
def learners(course):
    users = {name: factories.UserFactory(username=name) for name in ("done", "almost", "idle", "gone")}
    for user in users.values():
        factories.enroll(user)
    factories.enroll(users["gone"], active=False)
    factories.set_completion(users["done"], course, 1.0)
    factories.set_completion(users["almost"], course, 0.89)
    factories.set_completion(users["gone"], course, 1.0)
    return users


class TestWhoCountsAsALearner:
    @pytest.fixture
    def modes(self, course):
        users = {mode: factories.UserFactory(username=mode) for mode in ("verified", "audit", "professional")}
        for mode, user in users.items():
            lms.Enrollment.objects.create(user=user, context_key=factories.COURSE_KEY, mode=mode)
            factories.set_completion(user, course, 1.0)
        return users

    @pytest.mark.parametrize(
        "func", [retrieve_course_completion, retrieve_subsection_grades, retrieve_completion_and_grades]
    )
    def test_only_the_modes_configured(self, modes, func):
        results = run(func, enrollment_modes=["verified", "professional"])
        assert set(results) == {modes["verified"].pk, modes["professional"].pk}

    def test_by_default_the_hosts_modes(self, modes):
        """The sandbox's certificates do not depend on the mode; Open edX's leave audit out (adapter tests)."""
        assert set(run(retrieve_course_completion)) == {user.pk for user in modes.values()}

    def test_a_deactivated_account_never_qualifies(self, learners):
        learners["done"].is_active = False
        learners["done"].save()
        results = run(retrieve_course_completion, required_completion=90)
        assert learners["done"].pk not in results

    @pytest.mark.parametrize("bad", [[""], ["verified", 3], "verified", ["*"]])
    def test_modes_must_be_a_list_of_names(self, bad):
        with pytest.raises(InvalidOptions) as refused:
            validate_options([retrieve_course_completion], {"enrollment_modes": bad})
        assert list(refused.value.errors) == ["enrollment_modes"]


class TestCompletion:
    def test_threshold_and_enrollment(self, learners):
        results = run(retrieve_course_completion, required_completion=90)
        ids = {name: user.pk for name, user in learners.items()}
        assert set(results) == {ids["done"], ids["almost"], ids["idle"]}  # inactive enrolment excluded
        assert results[ids["done"]].eligible
        assert not results[ids["almost"]].eligible
        assert not results[ids["idle"]].eligible
        assert results[ids["almost"]].details == {"completion": 89.0, "required_completion": 90}

    def test_default_requires_everything(self, learners):
        results = run(retrieve_course_completion)
        assert [uid for uid, r in results.items() if r.eligible] == [learners["done"].pk]

    def test_user_ids_restrict_the_run(self, learners):
        results = run(retrieve_course_completion, user_ids=[learners["done"].pk, learners["gone"].pk])
        assert list(results) == [learners["done"].pk]

    def test_no_learners_no_queries_beyond_enrolment(self, course, django_assert_num_queries):
        with django_assert_num_queries(1):
            assert run(retrieve_course_completion) == {}


class TestGrades:
    @pytest.fixture
    def graded(self, course):
        # policy: Homework 40 %, Exam 60 %, pass 70 %
        users = {name: factories.UserFactory(username=name) for name in ("strong", "weak_exam", "borderline")}
        for user in users.values():
            factories.enroll(user)
        factories.set_grade(users["strong"], course, "hw1", "Homework", 0.9)
        factories.set_grade(users["strong"], course, "exam", "Exam", 0.95)
        factories.set_grade(users["weak_exam"], course, "hw1", "Homework", 1.0)
        factories.set_grade(users["weak_exam"], course, "exam", "Exam", 0.55)
        factories.set_grade(users["borderline"], course, "hw1", "Homework", 0.7)
        factories.set_grade(users["borderline"], course, "hw2", "Homework", 0.7)
        factories.set_grade(users["borderline"], course, "exam", "Exam", 0.7)
        return users

    def test_total_defaults_to_the_course_pass_mark_and_sets_score(self, graded):
        results = run(retrieve_subsection_grades)
        assert results[graded["strong"].pk].eligible
        assert results[graded["strong"].pk].score == Decimal("93.00")
        assert results[graded["weak_exam"].pk].eligible  # 0.4 * 1.0 + 0.6 * 0.55 = 73 %, no category minimum
        assert results[graded["weak_exam"].pk].score == Decimal("73.00")
        assert results[graded["borderline"].pk].eligible  # exactly 70 %

    def test_category_minimums(self, graded):
        results = run(retrieve_subsection_grades, required_grades={"Exam": 60})
        weak = results[graded["weak_exam"].pk]
        assert not weak.eligible
        assert weak.details["failed_categories"] == ["Exam"]
        assert weak.details["grades"] == {"Homework": 100.0, "Exam": 55.0}
        assert results[graded["strong"].pk].eligible

    def test_explicit_total(self, graded):
        results = run(retrieve_subsection_grades, required_total=90)
        assert [uid for uid, r in results.items() if r.eligible] == [graded["strong"].pk]

    def test_ungraded_learner_scores_zero(self, course):
        user = factories.UserFactory(username="new")
        factories.enroll(user)
        result = run(retrieve_subsection_grades)[user.pk]
        assert not result.eligible and result.score == Decimal("0.00")

    def test_unknown_category_is_a_configuration_error(self, graded):
        with pytest.raises(ConfigurationError, match="does not grade: Labs"):
            run(retrieve_subsection_grades, required_grades={"Labs": 50})

    def test_both_criteria(self, graded, course):
        factories.set_completion(graded["strong"], course, 1.0)
        factories.set_completion(graded["borderline"], course, 0.5)
        results = run(retrieve_completion_and_grades, required_completion=90)
        assert results[graded["strong"].pk].eligible
        assert results[graded["strong"].pk].score == Decimal("93.00")
        assert results[graded["strong"].pk].details["completion"] == 100.0
        assert not results[graded["borderline"].pk].eligible  # grades pass, completion does not


class TestLearningPaths:
    @pytest.fixture
    def path(self, course):
        second = factories.make_course("course-v1:DemoX+STAT2+2026", "Statistics")
        path = lms.LearningPath.objects.create(key=str(PATH), display_name="Data science", organization="DemoX")
        lms.LearningPathStep.objects.create(path=path, course=course, order=1)
        lms.LearningPathStep.objects.create(path=path, course=second, order=2)
        return course, second

    def test_eligible_only_when_every_step_passes(self, path):
        first, second = path
        both, one = factories.UserFactory(username="both"), factories.UserFactory(username="one")
        for user in (both, one):
            factories.enroll(user, str(PATH))
            factories.set_completion(user, first, 1.0)
        factories.set_completion(both, second, 1.0)
        factories.set_completion(one, second, 0.2)
        results = run(retrieve_course_completion, context_key=PATH)
        assert results[both.pk].eligible
        assert not results[one.pk].eligible
        assert results[one.pk].details["steps"][str(second.key)] == {
            "eligible": False,
            "completion": 20.0,
            "required_completion": 100,
        }

    def test_path_score_is_the_mean_of_step_scores(self, path):
        first, second = path
        user = factories.UserFactory(username="scorer")
        factories.enroll(user, str(PATH))
        for course, grade in ((first, 0.8), (second, 1.0)):
            factories.set_grade(user, course, "exam", "Exam", grade)
            factories.set_grade(user, course, "hw", "Homework", grade)
        result = run(retrieve_subsection_grades, context_key=PATH)[user.pk]
        assert result.eligible
        assert result.score == Decimal("90.00")

    def test_path_without_steps_is_never_eligible(self, course):
        lms.LearningPath.objects.create(key=str(PATH), display_name="Empty", organization="DemoX")
        user = factories.UserFactory(username="early")
        factories.enroll(user, str(PATH))
        assert run(retrieve_course_completion, context_key=PATH)[user.pk].eligible is False

    def test_path_enrolment_not_course_enrolment_decides_who_is_evaluated(self, path):
        first, _ = path
        course_only = factories.UserFactory(username="course_only")
        factories.enroll(course_only)
        factories.set_completion(course_only, first, 1.0)
        assert course_only.pk not in run(retrieve_course_completion, context_key=PATH)
