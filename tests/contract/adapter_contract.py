"""The contract every host adapter must meet, as a test base class any adapter's tests can reuse.

Subclass ``AdapterContract`` in a ``Test*`` class and provide two fixtures: ``adapter`` (the
instance under test) and ``world`` (a ``World`` describing data the test host holds). The
contract then checks types, values and that bulk reads cost a fixed number of queries.
"""

import inspect
import typing
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey, LearningContextKey

from learning_credentials.adapters.base import (
    ANY_MODE,
    ContextLookup,
    GradingPolicy,
    HostAdapter,
    HostNavigation,
    HostPages,
    Learner,
    LearnerGrades,
    Site,
    is_learning_path,
)
from learning_credentials.exceptions import ConfigurationError

UNKNOWN_COURSE_KEY = CourseKey.from_string("course-v1:NoSuchOrg+NoSuchCourse+Never")
BULK_SIZE = 20
BULK_METHODS = ("get_learners", "get_enrolled_user_ids", "get_grades", "get_completion")


@dataclass
class World:
    """What the test host holds, and what the adapter must therefore report."""

    course_key: LearningContextKey
    course_name: str
    # Name get_organization_name() must return for course_key.
    organization: str
    # The site get_sites() must report for course_key; its platform_name differs from the organisation's.
    site: Site
    grading_policy: GradingPolicy
    path_key: LearningContextKey
    path_name: str
    # Course keys of the path's steps, in order.
    path_steps: list[LearningContextKey]
    # Learners actively enrolled in course_key, and in path_key.
    enrolled_user_ids: list[int]
    path_enrolled_user_ids: list[int]
    # Users the host knows who are not actively enrolled in course_key (never enrolled, or unenrolled).
    not_enrolled_user_ids: list[int]
    # Learners actively enrolled in course_key in the "audit" mode (the others: "verified").
    audit_user_ids: list[int]
    # Enrolled learners whom the host's default modes leave out (Open edX: the auditors).
    default_excluded_user_ids: list[int]
    # Deactivated accounts with active enrollments in course_key and path_key: never enrolled for us.
    inactive_user_ids: list[int]
    # An id no user has.
    unknown_user_id: int
    # At least BULK_SIZE enrolled learners with grades and completion in course_key, for the query counts.
    bulk_user_ids: list[int]
    # Ids of every graded assessment of course_key: the keys of each graded learner's by_assessment.
    graded_assessments: set[str]
    # Expected results for a few users each.
    learners: dict[int, Learner]
    grades: dict[int, LearnerGrades]
    completion: dict[int, float]
    # One learner's completion in at least two courses (course_key among them): get_learner_completion.
    learner_completion_user_id: int
    learner_completion: dict[LearningContextKey, float]
    # Some learners' active course enrollments with their names (learning paths and inactive ones left
    # out); one of them has at least BULK_SIZE, some without a name (they read as their keys).
    learner_courses: dict[int, dict[LearningContextKey, str]]
    # Enrolled learners without any grade, and without any progress, in course_key.
    ungraded_user_ids: list[int]
    no_progress_user_ids: list[int]
    # User objects: one on the team of course_key, one not.
    staff_user: typing.Any
    non_staff_user: typing.Any
    # The host's pages the learner pages link to (get_host_pages); None for an adapter without HostNavigation.
    host_pages: HostPages | None = None


def _protocol_methods() -> list[str]:
    return [name for name, _ in inspect.getmembers(HostAdapter, inspect.isfunction) if not name.startswith("_")]


def _bulk_call(adapter, world: World, method: str, user_ids: list[int]):
    if method == "get_learners":
        return adapter.get_learners(user_ids)
    return getattr(adapter, method)(world.course_key, user_ids)


def _assert_grades_equal(actual: LearnerGrades, expected: LearnerGrades) -> None:
    assert actual.percent == pytest.approx(expected.percent)
    assert actual.by_category == pytest.approx(expected.by_category)
    assert actual.by_assessment == pytest.approx(expected.by_assessment)


class AdapterContract:
    """Tests every HostAdapter must pass; not collected itself because its name lacks ``Test``."""

    @pytest.fixture
    def adapter(self) -> HostAdapter:
        raise NotImplementedError("Provide an `adapter` fixture returning the adapter under test.")

    @pytest.fixture
    def world(self) -> World:
        raise NotImplementedError("Provide a `world` fixture returning a populated World.")

    def test_world_is_usable(self, world):
        assert len(world.bulk_user_ids) >= BULK_SIZE
        assert set(world.bulk_user_ids) <= set(world.enrolled_user_ids)
        assert world.unknown_user_id not in {*world.enrolled_user_ids, *world.not_enrolled_user_ids}

    def test_is_a_host_adapter(self, adapter):
        assert isinstance(adapter, HostAdapter)

    @pytest.mark.parametrize("name", _protocol_methods())
    def test_signature_matches_protocol(self, adapter, name):
        expected = inspect.signature(getattr(HostAdapter, name))
        actual = inspect.signature(getattr(type(adapter), name))
        assert [(p.name, p.kind, p.default) for p in actual.parameters.values()] == [
            (p.name, p.kind, p.default) for p in expected.parameters.values()
        ]
        expected_return = typing.get_type_hints(getattr(HostAdapter, name)).get("return")
        assert typing.get_type_hints(getattr(type(adapter), name)).get("return") == expected_return

    def test_get_host_pages(self, adapter, world, django_assert_num_queries):
        if world.host_pages is None:
            assert not isinstance(adapter, HostNavigation)
            return
        assert isinstance(adapter, HostNavigation)
        with django_assert_num_queries(0):
            assert adapter.get_host_pages() == world.host_pages

    def test_get_learners(self, adapter, world):
        ids = [*world.learners, world.unknown_user_id]
        learners = adapter.get_learners(ids)
        assert set(learners) == set(world.learners)
        for user_id, expected in world.learners.items():
            assert isinstance(learners[user_id], Learner)
            assert learners[user_id] == expected

    def test_get_learners_of_nobody(self, adapter, world):
        assert adapter.get_learners([]) == {}

    def test_get_enrolled_user_ids(self, adapter, world):
        enrolled = adapter.get_enrolled_user_ids(world.course_key)
        assert isinstance(enrolled, list)
        assert all(isinstance(user_id, int) for user_id in enrolled)
        assert len(enrolled) == len(set(enrolled))
        assert set(enrolled) == set(world.enrolled_user_ids)

    def test_get_enrolled_user_ids_among_given_users(self, adapter, world):
        enrolled = world.enrolled_user_ids[0]
        candidates = [enrolled, *world.not_enrolled_user_ids, world.unknown_user_id]
        assert adapter.get_enrolled_user_ids(world.course_key, candidates) == [enrolled]
        assert adapter.get_enrolled_user_ids(world.course_key, []) == []

    def test_get_enrolled_user_ids_in_given_modes(self, adapter, world):
        assert adapter.get_enrolled_user_ids(world.course_key, modes=["audit"]) == sorted(world.audit_user_ids)
        verified = adapter.get_enrolled_user_ids(world.course_key, modes=["verified"])
        assert verified and not set(verified) & set(world.audit_user_ids)
        assert adapter.get_enrolled_user_ids(world.course_key, modes=[]) == []
        every_mode = adapter.get_enrolled_user_ids(world.course_key, modes=ANY_MODE)
        assert set(every_mode) == set(world.enrolled_user_ids) | set(world.audit_user_ids)

    def test_the_default_modes_leave_out_what_the_host_leaves_out(self, adapter, world):
        enrolled = set(adapter.get_enrolled_user_ids(world.course_key))
        assert set(world.default_excluded_user_ids) <= set(world.audit_user_ids)
        assert not enrolled & set(world.default_excluded_user_ids)
        assert set(world.audit_user_ids) - set(world.default_excluded_user_ids) <= enrolled

    def test_deactivated_accounts_are_never_enrolled(self, adapter, world):
        inactive = set(world.inactive_user_ids)
        assert inactive
        for context_key in (world.course_key, world.path_key):
            assert not set(adapter.get_enrolled_user_ids(context_key)) & inactive
            assert adapter.get_enrolled_user_ids(context_key, sorted(inactive)) == []
        assert not set(adapter.get_enrolled_user_ids(world.course_key, modes=["audit", "verified"])) & inactive

    def test_get_enrolled_user_ids_of_a_learning_path(self, adapter, world):
        assert set(adapter.get_enrolled_user_ids(world.path_key)) == set(world.path_enrolled_user_ids)

    def test_get_enrolled_user_ids_of_an_unknown_context(self, adapter, world):
        assert adapter.get_enrolled_user_ids(UNKNOWN_COURSE_KEY) == []

    def test_get_context_names(self, adapter, world):
        names = adapter.get_context_names([world.course_key, world.path_key, UNKNOWN_COURSE_KEY])
        assert names == {world.course_key: world.course_name, world.path_key: world.path_name}
        # Callers look results up with their own key objects.
        assert names[LearningContextKey.from_string(str(world.course_key))] == world.course_name

    def test_get_context_names_leaves_out_unknown_paths_too(self, adapter, world):
        """Without ``context_exists``, saving a configuration asks this (configuration_checks.context_known)."""
        unknown_path = LearningContextKey.from_string(str(world.path_key).replace(world.path_key.org, "NoSuchOrg"))
        assert adapter.get_context_names([UNKNOWN_COURSE_KEY, unknown_path]) == {}

    def test_context_exists(self, adapter, world):
        """Optional (ContextLookup): saving a configuration for a context the host does not know is refused."""
        if not isinstance(adapter, ContextLookup):
            pytest.skip("The adapter does not implement ContextLookup.")
        unknown_path = LearningContextKey.from_string(str(world.path_key).replace(world.path_key.org, "NoSuchOrg"))
        assert adapter.context_exists(world.course_key) is True
        assert adapter.context_exists(world.path_key) is True
        assert adapter.context_exists(UNKNOWN_COURSE_KEY) is False
        assert adapter.context_exists(unknown_path) is False

    def test_get_organization_name(self, adapter, world):
        assert adapter.get_organization_name(world.course_key) == world.organization

    def test_get_sites(self, adapter, world):
        sites = adapter.get_sites([world.course_key, UNKNOWN_COURSE_KEY])
        assert sites[world.course_key] == world.site
        assert world.site.platform_name != world.organization  # emails are signed by the platform, not the issuer
        # Callers look results up with their own key objects.
        assert sites[LearningContextKey.from_string(str(world.course_key))] == world.site

    def test_an_unknown_context_gets_the_platforms_own_site(self, adapter, world):
        site = adapter.get_sites([UNKNOWN_COURSE_KEY])[UNKNOWN_COURSE_KEY]
        assert isinstance(site, Site)
        assert isinstance(site.platform_name, str) and site.platform_name
        assert adapter.get_sites([]) == {}

    def test_sites_cost_a_fixed_number_of_queries_for_the_contexts_of_one_organisation(self, adapter, world):
        org = world.course_key.org
        many = [CourseKey.from_string(f"course-v1:{org}+C{n}+Run") for n in range(BULK_SIZE)]
        adapter.get_sites(many[:1])  # warm any per-process cache
        with CaptureQueriesContext(connection) as for_one:
            adapter.get_sites(many[:1])
        with CaptureQueriesContext(connection) as for_many:
            assert len(adapter.get_sites(many)) == BULK_SIZE
        assert len(for_many) == len(for_one), [query["sql"] for query in for_many.captured_queries]

    def test_get_organization_name_falls_back_for_unknown_contexts(self, adapter, world):
        name = adapter.get_organization_name(UNKNOWN_COURSE_KEY)
        assert isinstance(name, str)
        assert name

    def test_get_grading_policy(self, adapter, world):
        policy = adapter.get_grading_policy(world.course_key)
        assert isinstance(policy, GradingPolicy)
        assert policy.weights == pytest.approx(world.grading_policy.weights)
        assert policy.passing_grade == pytest.approx(world.grading_policy.passing_grade)
        assert sum(policy.weights.values()) == pytest.approx(1.0)
        assert 0.0 <= policy.passing_grade <= 1.0

    def test_an_unknown_course_has_no_grading_policy(self, adapter, world):
        """Saving a configuration checks its required grade categories against the policy of a known course only."""
        with pytest.raises(ConfigurationError):
            adapter.get_grading_policy(UNKNOWN_COURSE_KEY)

    def test_get_grades(self, adapter, world):
        ids = [*world.grades, *world.ungraded_user_ids, world.unknown_user_id]
        grades = adapter.get_grades(world.course_key, ids)
        assert set(grades) == set(world.grades)
        for user_id, expected in world.grades.items():
            assert isinstance(grades[user_id], LearnerGrades)
            _assert_grades_equal(grades[user_id], expected)

    def test_grades_list_every_graded_assessment_taken_or_not(self, adapter, world):
        """Criteria that judge each assessment must see the ones a learner skipped (as 0.0)."""
        grades = adapter.get_grades(world.course_key, [*world.grades, *world.bulk_user_ids])
        assert grades
        for learner in grades.values():
            assert set(learner.by_assessment) == world.graded_assessments

    def test_grades_are_fractions(self, adapter, world):
        for learner in adapter.get_grades(world.course_key, world.bulk_user_ids).values():
            fractions = [learner.percent, *learner.by_category.values(), *learner.by_assessment.values()]
            assert all(isinstance(value, float) and 0.0 <= value <= 1.0 for value in fractions)

    def test_get_grades_of_an_unknown_course(self, adapter, world):
        assert adapter.get_grades(UNKNOWN_COURSE_KEY, world.bulk_user_ids) == {}

    def test_get_completion(self, adapter, world):
        ids = [*world.completion, *world.no_progress_user_ids, world.unknown_user_id]
        completion = adapter.get_completion(world.course_key, ids)
        assert set(completion) == set(world.completion)
        assert all(isinstance(value, float) and 0.0 <= value <= 1.0 for value in completion.values())
        assert completion == pytest.approx(world.completion)

    def test_get_completion_of_an_unknown_course(self, adapter, world):
        assert adapter.get_completion(UNKNOWN_COURSE_KEY, world.bulk_user_ids) == {}

    def test_get_learner_completion(self, adapter, world):
        assert len(world.learner_completion) >= 2 and world.course_key in world.learner_completion
        courses = [*world.learner_completion, UNKNOWN_COURSE_KEY, world.path_key]
        completion = adapter.get_learner_completion(world.learner_completion_user_id, courses)
        assert completion == pytest.approx(world.learner_completion)
        assert all(isinstance(value, float) and 0.0 <= value <= 1.0 for value in completion.values())
        # The same course as in get_completion, the same figure.
        alone = adapter.get_completion(world.course_key, [world.learner_completion_user_id])
        assert alone == pytest.approx({world.learner_completion_user_id: world.learner_completion[world.course_key]})

    def test_get_learner_completion_of_nobody_and_of_no_course(self, adapter, world):
        assert adapter.get_learner_completion(world.unknown_user_id, [*world.learner_completion]) == {}
        assert adapter.get_learner_completion(world.learner_completion_user_id, []) == {}

    def test_get_learner_completion_costs_no_query_per_course(self, adapter, world):
        courses = [*world.learner_completion]
        more = [*courses, UNKNOWN_COURSE_KEY, world.path_key, *world.path_steps]
        adapter.get_learner_completion(world.learner_completion_user_id, more)  # warm any per-process cache
        with CaptureQueriesContext(connection) as for_some:
            adapter.get_learner_completion(world.learner_completion_user_id, courses)
        with CaptureQueriesContext(connection) as for_more:
            adapter.get_learner_completion(world.learner_completion_user_id, more)
        assert len(for_more) == len(for_some), [query["sql"] for query in for_more.captured_queries]

    def test_get_learner_courses(self, adapter, world):
        assert any(not courses for courses in world.learner_courses.values())
        for user_id, expected in world.learner_courses.items():
            courses = adapter.get_learner_courses(user_id)
            assert courses == expected, user_id
            assert all(isinstance(key, LearningContextKey) and key.is_course for key in courses)
            assert all(isinstance(name, str) and name for name in courses.values())
            # Callers look results up with their own key objects.
            assert all(courses[CourseKey.from_string(str(key))] == name for key, name in expected.items())
        assert adapter.get_learner_courses(world.unknown_user_id) == {}

    def test_get_learner_courses_costs_no_query_per_course(self, adapter, world):
        by_count = sorted((len(courses), user_id) for user_id, courses in world.learner_courses.items() if courses)
        (few, some), (many, most) = by_count[0], by_count[-1]
        assert many >= BULK_SIZE > few
        adapter.get_learner_courses(some)  # warm any per-process cache
        with CaptureQueriesContext(connection) as for_few:
            adapter.get_learner_courses(some)
        with CaptureQueriesContext(connection) as for_many:
            assert len(adapter.get_learner_courses(most)) == many
        assert len(for_many) == len(for_few), [query["sql"] for query in for_many.captured_queries]

    def test_get_learning_path_steps(self, adapter, world):
        assert is_learning_path(world.path_key)
        steps = adapter.get_learning_path_steps(world.path_key)
        assert steps == world.path_steps
        assert all(isinstance(step, LearningContextKey) and step.is_course for step in steps)

    def test_is_course_staff(self, adapter, world):
        assert adapter.is_course_staff(world.staff_user, world.course_key) is True
        assert adapter.is_course_staff(world.non_staff_user, world.course_key) is False
        assert adapter.is_course_staff(world.staff_user, UNKNOWN_COURSE_KEY) is False
        assert adapter.is_course_staff(AnonymousUser(), world.course_key) is False

    @pytest.mark.parametrize("method", BULK_METHODS)
    def test_bulk_reads_cost_a_fixed_number_of_queries(self, adapter, world, method):
        one, many = world.bulk_user_ids[:1], world.bulk_user_ids[:BULK_SIZE]
        _bulk_call(adapter, world, method, one)  # warm any per-process cache so both counts below compare alike
        with CaptureQueriesContext(connection) as for_one:
            assert len(_bulk_call(adapter, world, method, one)) == 1
        with CaptureQueriesContext(connection) as for_many:
            assert len(_bulk_call(adapter, world, method, many)) == BULK_SIZE
        assert len(for_many) == len(for_one), [query["sql"] for query in for_many.captured_queries]
