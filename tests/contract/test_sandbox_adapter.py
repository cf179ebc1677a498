"""The sandbox host's adapter meets the HostAdapter contract."""

import importlib
import sys

import pytest
from django.contrib.auth import get_user_model
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey, LearningContextKey
from sandbox.lms import models as lms
from sandbox.lms.adapter import SandboxAdapter
from sandbox.lms.keys import LearningPathKey

from learning_credentials.adapters import get_adapter
from learning_credentials.adapters.base import GradingPolicy, HostPages, Learner, LearnerGrades, Site

from .adapter_contract import BULK_SIZE, AdapterContract, World

COURSE_KEY = "course-v1:SandboxX+DS101+2026"
SECOND_COURSE_KEY = "course-v1:SandboxX+DS102+2026"
PATH_KEY = "path-v1:SandboxX+data-science+2026+all"


def _user(username: str, full_name: str | None = None, language: str = "en", **fields):
    user = get_user_model().objects.create(username=username, email=f"{username}@example.com", **fields)
    if full_name is not None:
        lms.Profile.objects.create(user=user, full_name=full_name, language=language)
    return user


def _grade(user, course, assessment_id: str, category: str, earned: float, possible: float) -> None:
    lms.AssessmentGrade.objects.create(
        user=user, course=course, assessment_id=assessment_id, category=category, earned=earned, possible=possible
    )


def _build_world() -> World:
    course = lms.Course.objects.create(key=COURSE_KEY, display_name="Data Science 101", organization="Sandbox U")
    second = lms.Course.objects.create(key=SECOND_COURSE_KEY, display_name="Data Science 102")
    path = lms.LearningPath.objects.create(key=PATH_KEY, display_name="Data Science Path", organization="Sandbox U")
    # Created out of order: steps come back by their order, not by insertion.
    lms.LearningPathStep.objects.create(path=path, course=second, order=2)
    lms.LearningPathStep.objects.create(path=path, course=course, order=1)
    for assessment_id, category in (("hw1", "Homework"), ("hw2", "Homework"), ("exam", "Exam")):
        lms.Assessment.objects.create(course=course, assessment_id=assessment_id, category=category)

    alice = _user("alice", "Alice Liddell", language="fr")
    bob = _user("bob", first_name="Bob", last_name="Builder")  # no profile: Django's name
    carol = _user("carol")  # no profile, no name: the username
    dave = _user("dave", "Dave Dropout")
    erin = _user("erin", "Erin Elsewhere")
    staff = _user("teacher", "Tess Teacher")
    bulk = [_user(f"learner{n:02}", f"Learner {n}") for n in range(BULK_SIZE)]

    audrey = _user("audrey", "Audrey Auditor")
    ivan = _user("ivan", "Ivan Inactive")
    ivan.is_active = False
    ivan.save()

    for user in (alice, bob, carol, ivan, *bulk):
        lms.Enrollment.objects.create(user=user, context_key=COURSE_KEY)
    lms.Enrollment.objects.create(user=audrey, context_key=COURSE_KEY, mode="audit")
    lms.Enrollment.objects.create(user=dave, context_key=COURSE_KEY, is_active=False)
    for user in (alice, bob, ivan):
        lms.Enrollment.objects.create(user=user, context_key=PATH_KEY)
    lms.Enrollment.objects.create(user=erin, context_key=SECOND_COURSE_KEY)
    lms.CourseStaff.objects.create(user=staff, context_key=COURSE_KEY)
    # Polly takes many courses, not course_key; those with odd numbers have no Course row (no name).
    polly = _user("polly", "Polly Math")
    many = [f"course-v1:SandboxX+Many{n:02}+2026" for n in range(BULK_SIZE)]
    lms.Course.objects.bulk_create(
        lms.Course(key=key, display_name=f"Many {n}") for n, key in enumerate(many) if n % 2 == 0
    )
    lms.Enrollment.objects.bulk_create(lms.Enrollment(user=polly, context_key=key) for key in many)

    _grade(alice, course, "hw1", "Homework", 8, 10)
    _grade(alice, course, "hw2", "Homework", 6, 10)
    _grade(alice, course, "exam", "Exam", 45, 50)
    _grade(alice, second, "hw1", "Homework", 0, 10)  # another course: must not leak in
    _grade(bob, course, "hw1", "Homework", 5, 10)  # hw2 and the exam not taken: listed, so 0.0
    for n, user in enumerate(bulk):
        _grade(user, course, "hw1", "Homework", n % 10, 10)
        _grade(user, course, "exam", "Exam", 40, 50)
    lms.Completion.objects.create(user=alice, course=course, fraction=1.0)
    lms.Completion.objects.create(user=bob, course=course, fraction=0.5)
    lms.Completion.objects.create(user=erin, course=second, fraction=0.25)
    lms.Completion.objects.create(user=alice, course=second, fraction=0.5)
    lms.Completion.objects.bulk_create(lms.Completion(user=user, course=course, fraction=0.75) for user in bulk)

    return World(
        course_key=CourseKey.from_string(COURSE_KEY),
        course_name="Data Science 101",
        organization="Sandbox U",
        site=Site(platform_name="Sandbox LMS"),
        grading_policy=GradingPolicy(weights={"Homework": 0.4, "Exam": 0.6}, passing_grade=0.7),
        path_key=LearningContextKey.from_string(PATH_KEY),
        path_name="Data Science Path",
        path_steps=[CourseKey.from_string(COURSE_KEY), CourseKey.from_string(SECOND_COURSE_KEY)],
        enrolled_user_ids=[alice.id, bob.id, carol.id, audrey.id, *(user.id for user in bulk)],
        path_enrolled_user_ids=[alice.id, bob.id],
        not_enrolled_user_ids=[dave.id, erin.id, staff.id],
        audit_user_ids=[audrey.id],
        default_excluded_user_ids=[],  # every mode counts in the sandbox
        inactive_user_ids=[ivan.id],
        unknown_user_id=max(user.id for user in bulk) + 1000,
        bulk_user_ids=[user.id for user in bulk],
        graded_assessments={"hw1", "hw2", "exam"},
        learners={
            alice.id: Learner(alice.id, "alice", "Alice Liddell", "alice@example.com", "fr"),
            bob.id: Learner(bob.id, "bob", "Bob Builder", "bob@example.com", "en"),
            carol.id: Learner(carol.id, "carol", "carol", "carol@example.com", "en"),
        },
        grades={
            alice.id: LearnerGrades(
                percent=0.4 * 0.7 + 0.6 * 0.9,
                by_category={"Homework": 0.7, "Exam": 0.9},
                by_assessment={"hw1": 0.8, "hw2": 0.6, "exam": 0.9},
            ),
            bob.id: LearnerGrades(
                percent=0.4 * 0.25,
                by_category={"Homework": 0.25, "Exam": 0.0},
                by_assessment={"hw1": 0.5, "hw2": 0.0, "exam": 0.0},
            ),
        },
        completion={alice.id: 1.0, bob.id: 0.5},
        learner_completion_user_id=alice.id,
        learner_completion={CourseKey.from_string(COURSE_KEY): 1.0, CourseKey.from_string(SECOND_COURSE_KEY): 0.5},
        learner_courses={
            alice.id: {CourseKey.from_string(COURSE_KEY): "Data Science 101"},  # not her learning path
            audrey.id: {CourseKey.from_string(COURSE_KEY): "Data Science 101"},  # in any mode
            erin.id: {CourseKey.from_string(SECOND_COURSE_KEY): "Data Science 102"},
            dave.id: {},  # unenrolled
            polly.id: {CourseKey.from_string(key): f"Many {n}" if n % 2 == 0 else key for n, key in enumerate(many)},
        },
        ungraded_user_ids=[carol.id],
        no_progress_user_ids=[carol.id],
        staff_user=staff,
        non_staff_user=alice,
        host_pages=HostPages(home_url="/", logout_url="/accounts/logout/", logout_post=True),
    )


@pytest.mark.django_db
class TestSandboxAdapter(AdapterContract):
    @pytest.fixture
    def adapter(self):
        return SandboxAdapter()

    @pytest.fixture
    def world(self, db):
        return _build_world()

    def test_is_the_configured_adapter(self):
        assert isinstance(get_adapter(), SandboxAdapter)

    def test_path_keys_parse_through_the_entry_point(self):
        key = LearningContextKey.from_string(PATH_KEY)
        assert isinstance(key, LearningPathKey)
        assert (key.org, key.number, key.run, key.group, key.is_course) == (
            "SandboxX",
            "data-science",
            "2026",
            "all",
            False,
        )

    def test_organization_falls_back_to_the_platform_name(self, adapter, world, settings):
        settings.PLATFORM_NAME = "Acme Academy"
        assert adapter.get_organization_name(CourseKey.from_string(SECOND_COURSE_KEY)) == "Acme Academy"

    def test_every_context_has_the_sandboxs_one_site(self, adapter, world, settings):
        """Links, sender and dates are left to the app's global settings."""
        settings.PLATFORM_NAME = "Acme Academy"
        sites = adapter.get_sites([world.course_key, world.path_key])
        assert set(sites.values()) == {Site(platform_name="Acme Academy")}


class TestSandboxPathKeyWithoutThePlugin:
    """Without learning-paths-plugin (the demo's install) the sandbox's own class parses the plugin's format."""

    @pytest.fixture
    def key_class(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "learning_paths.keys", None)
        module = importlib.reload(importlib.import_module("sandbox.lms.keys"))
        yield module.LearningPathKey
        monkeypatch.undo()
        importlib.reload(module)

    def test_it_is_not_the_plugins_class_and_round_trips(self, key_class):
        assert key_class is not LearningPathKey
        key = key_class.from_string(PATH_KEY)
        assert (key.org, key.number, key.run, key.group) == ("SandboxX", "data-science", "2026", "all")
        assert str(key) == PATH_KEY
        assert key == key_class.from_string(PATH_KEY)

    @pytest.mark.parametrize("bad", ["path-v1:SandboxX+data-science", "path-v1:A+B+C+D+E", "path-v1:A+B+C+"])
    def test_other_shapes_are_invalid(self, key_class, bad):
        with pytest.raises(InvalidKeyError):
            key_class.from_string(bad)
