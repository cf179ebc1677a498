"""The Open edX adapter meets the HostAdapter contract on the fakes, and maps the platform's data faithfully."""

import importlib.util

import pytest
from completion.models import BlockCompletion
from completion_aggregator.models import Aggregator, StaleCompletion
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from learning_paths.models import LearningPath, LearningPathEnrollment, LearningPathStep
from opaque_keys.edx.keys import CourseKey, LearningContextKey

from learning_credentials.adapters import get_adapter
from learning_credentials.adapters.base import GradingPolicy, HostPages, Learner, LearnerGrades, Site
from learning_credentials.adapters.openedx import OpenEdxAdapter, _category_grades
from learning_credentials.exceptions import ConfigurationError
from tests.contract.adapter_contract import BULK_SIZE, AdapterContract, World

from . import fakes
from .fakes import block_structure, grades, models, modulestore, roles, sites

PLATFORM_NAME = "Open edX Platform"
LMS_ROOT_URL = "https://lms.openedx.example"
CERTIFICATE_DATE_FORMAT = "%B %-d, %Y"  # the platform's default
SITE_VALUES = {
    "course_org_filter": ["OpenedX", "OtherX"],
    "LMS_ROOT_URL": "https://learn.openedx.example",
    "platform_name": "Open edX Learning",
    "email_from_address": "learn@openedx.example",
    "logo_image_url": "https://cdn.openedx.example/logo.png",
}

COURSE = CourseKey.from_string("course-v1:OpenedX+DS101+2026")
SECOND_COURSE = CourseKey.from_string("course-v1:OpenedX+DS102+2026")
PATH = LearningContextKey.from_string("path-v1:OpenedX+data-science+2026+all")
GRADER = [
    {"type": "Homework", "min_count": 2, "drop_count": 0, "short_label": "HW", "weight": 0.4},
    {"type": "Exam", "min_count": 1, "drop_count": 0, "short_label": "Exam", "weight": 0.6},
]


def _user(username: str, name: str | None = None, language: str | None = None, **fields):
    user = get_user_model().objects.create(username=username, email=f"{username}@example.com", **fields)
    if name is not None:
        models.UserProfile.objects.create(user=user, name=name)
    if language is not None:
        models.UserPreference.objects.create(user=user, key="pref-lang", value=language)
    return user


def _course(
    course_key: CourseKey, name: str, organization: str, grader=GRADER, cutoffs=None, certificate_name: str = ""
) -> None:
    models.CourseOverview.objects.create(
        id=course_key, display_name=name, display_org_with_default=organization, cert_name_long=certificate_name
    )
    modulestore.COURSES[str(course_key)] = modulestore.CourseBlock(course_key, grader, cutoffs or {"Pass": 0.7})


def _subsection(course_key: CourseKey, block_id: str, section_format: str, earned: float, possible: float):
    location = course_key.make_usage_key("sequential", block_id)
    return grades.SubsectionGrade(location, section_format, earned, possible)


def _grade(user, course_key: CourseKey, percent: float, *subsections) -> None:
    grader = modulestore.COURSES[str(course_key)].raw_grader
    grades.GRADES[(str(course_key), user.id)] = grades.CourseGrade(grader, list(subsections), percent)


def _aggregate(user, course_key: CourseKey, percent: float, aggregation_name: str = "course") -> None:
    """A completion aggregate as completion_aggregator stores it (4 completable blocks, ``percent`` of them done)."""
    Aggregator.objects.create(
        user=user,
        course_key=course_key,
        aggregation_name=aggregation_name,
        block_key=course_key.make_usage_key(aggregation_name, "block"),
        earned=4 * percent,
        possible=4.0,
        percent=percent,
        last_modified=timezone.now(),
    )


def _complete(user, *blocks, completion: float = 1.0) -> None:
    """BlockCompletion rows as edx-completion saves them; with the aggregator asynchronous, each marks it stale."""
    for block in blocks:
        BlockCompletion.objects.create(
            user=user, context_key=block.course_key, block_key=block, block_type=block.block_type, completion=completion
        )


# The completable blocks of Data Science 101 that every learner sees (Blocks.problem, .html, .video).
SHARED_BLOCKS = [
    COURSE.make_usage_key(kind, name) for kind, name in (("problem", "p1"), ("html", "h1"), ("video", "v1"))
]


class Blocks:
    """The completable blocks of the test courses' structures, by role."""

    def __init__(self):
        # Data Science 101: 3 completable blocks everyone sees and one randomized library block: 4 items.
        root = block_structure.course_structure(COURSE)
        unit = block_structure.add_block(
            block_structure.add_block(block_structure.add_block(root, "chapter", "ch1"), "sequential", "s1"),
            "vertical",
            "u1",
        )
        self.problem = block_structure.add_block(unit, "problem", "p1")
        self.html = block_structure.add_block(unit, "html", "h1")
        self.video = block_structure.add_block(unit, "video", "v1")
        self.discussion = block_structure.add_block(unit, "discussion", "d1")  # excluded from completion
        self.optional = block_structure.add_block(unit, "html", "extra", optional=True)
        hidden = block_structure.add_block(
            block_structure.add_block(root, "chapter", "staff-notes", staff_only=True), "sequential", "s2"
        )
        self.staff_only = block_structure.add_block(
            block_structure.add_block(hidden, "vertical", "u2"), "problem", "p2"
        )
        library = block_structure.add_block(
            block_structure.add_block(
                block_structure.add_block(block_structure.add_block(root, "chapter", "ch2"), "sequential", "s3"),
                "vertical",
                "u3",
            ),
            "library_content",
            "quiz",
        )
        self.library = [block_structure.add_block(library, "problem", f"l{n}") for n in range(3)]
        # Data Science 102: two problems.
        unit = block_structure.add_block(
            block_structure.add_block(
                block_structure.add_block(block_structure.course_structure(SECOND_COURSE), "chapter", "c"),
                "sequential",
                "s",
            ),
            "vertical",
            "u",
        )
        self.second = [block_structure.add_block(unit, "problem", f"q{n}") for n in range(2)]


def _key(block_id: str, course_key: CourseKey = COURSE) -> str:
    return str(course_key.make_usage_key("sequential", block_id))


def _build_world() -> World:
    sites.add(SITE_VALUES)
    sites.add({**SITE_VALUES, "platform_name": "Switched off"}, enabled=False)
    _course(COURSE, "Data Science 101", "Open edX University")
    _course(SECOND_COURSE, "Data Science 102", "OpenedX")
    blocks = Blocks()
    path = LearningPath.objects.create(key=PATH, display_name="Data Science Path")
    # Created out of order: steps come back by their order, not by insertion.
    LearningPathStep.objects.create(learning_path=path, course_key=SECOND_COURSE, order=2)
    LearningPathStep.objects.create(learning_path=path, course_key=COURSE, order=1)

    alice = _user("alice", "Alice Liddell", language="fr")
    bob = _user("bob", first_name="Bob", last_name="Builder")  # no profile: Django's name
    models.UserPreference.objects.create(user=bob, key="time_zone", value="Europe/Paris")  # not a language
    carol = _user("carol")
    dave = _user("dave", "Dave Dropout")
    erin = _user("erin", "Erin Elsewhere")
    teacher = _user("teacher", "Tess Teacher")
    roles.CourseStaffRole(COURSE).add_users(teacher)
    bulk = [_user(f"learner{n:02}", f"Learner {n}") for n in range(BULK_SIZE)]

    audrey = _user("audrey", "Audrey Auditor")
    ivan = _user("ivan", "Ivan Inactive")
    ivan.is_active = False
    ivan.save()

    for user in (alice, bob, carol, ivan, *bulk):
        models.CourseEnrollment.objects.create(user=user, course_id=COURSE, mode="verified")
    # Polly takes many courses, not COURSE; those with odd numbers have no overview, one an overview without a name.
    polly = _user("polly", "Polly Math")
    many = [CourseKey.from_string(f"course-v1:OpenedX+Many{n:02}+2026") for n in range(BULK_SIZE)]
    models.CourseOverview.objects.bulk_create(
        models.CourseOverview(id=key, display_name=f"Many {n}" if n else None, display_org_with_default="OpenedX")
        for n, key in enumerate(many)
        if n % 2 == 0
    )
    models.CourseEnrollment.objects.bulk_create(models.CourseEnrollment(user=polly, course_id=key) for key in many)
    models.CourseEnrollment.objects.create(user=audrey, course_id=COURSE, mode="audit")
    models.CourseEnrollment.objects.create(user=dave, course_id=COURSE, is_active=False, mode="verified")
    models.CourseEnrollment.objects.create(user=erin, course_id=SECOND_COURSE)
    for user in (alice, bob, ivan):
        LearningPathEnrollment.objects.create(user=user, learning_path=path)
    LearningPathEnrollment.objects.create(user=dave, learning_path=path, is_active=False)

    _grade(
        alice,
        COURSE,
        0.82,
        _subsection(COURSE, "hw1", "Homework", 8, 10),
        _subsection(COURSE, "hw2", "Homework", 6, 10),
        _subsection(COURSE, "exam", "Exam", 45, 50),
    )
    _grade(alice, SECOND_COURSE, 0.0, _subsection(SECOND_COURSE, "hw1", "Homework", 0, 10))  # must not leak in
    # The platform grades every graded subsection of the course: what bob skipped earned nothing.
    _grade(
        bob,
        COURSE,
        0.1,
        _subsection(COURSE, "hw1", "Homework", 5, 10),
        _subsection(COURSE, "hw2", "Homework", 0, 10),
        _subsection(COURSE, "exam", "Exam", 0, 50),
    )
    for n, user in enumerate(bulk):
        homework, exam = n % 10 / 10, 0.8
        _grade(
            user,
            COURSE,
            round(0.4 * homework / 2 + 0.6 * exam, 2),
            _subsection(COURSE, "hw1", "Homework", n % 10, 10),
            _subsection(COURSE, "hw2", "Homework", 0, 10),
            _subsection(COURSE, "exam", "Exam", 40, 50),
        )

    # Alice and Erin: the aggregator's fresh aggregates. Alice also has progress in the second course,
    # which the aggregator has not recomputed yet (its stale mark comes with the completion).
    _aggregate(alice, COURSE, 1.0)
    _aggregate(erin, SECOND_COURSE, 0.25)
    _aggregate(alice, SECOND_COURSE, 0.0)
    _complete(alice, blocks.second[0])
    # Bob and the bulk learners: no aggregates, their completions against the structure. What
    # nobody may or must complete (staff-only, excluded, optional) counts for nothing.
    _complete(bob, blocks.problem, blocks.html, blocks.staff_only, blocks.discussion, blocks.optional)
    BlockCompletion.objects.bulk_create(
        BlockCompletion(user=user, context_key=COURSE, block_key=block, block_type=block.block_type, completion=1.0)
        for user in bulk
        for block in (blocks.problem, blocks.html, blocks.library[1])  # one of the randomized blocks: all it saw
    )
    _aggregate(carol, COURSE, 0.4, aggregation_name="chapter")  # a chapter is not the course

    return World(
        course_key=COURSE,
        course_name="Data Science 101",
        organization="Open edX University",
        site=Site(
            platform_name="Open edX Learning",
            base_url="https://learn.openedx.example",
            logo_url="https://cdn.openedx.example/logo.png",
            from_email="learn@openedx.example",
            date_format=CERTIFICATE_DATE_FORMAT,
            time_zone=django_settings.TIME_ZONE,
        ),
        grading_policy=GradingPolicy(weights={"Homework": 0.4, "Exam": 0.6}, passing_grade=0.7),
        path_key=PATH,
        path_name="Data Science Path",
        path_steps=[COURSE, SECOND_COURSE],
        enrolled_user_ids=[alice.id, bob.id, carol.id, *(user.id for user in bulk)],
        path_enrolled_user_ids=[alice.id, bob.id],
        not_enrolled_user_ids=[dave.id, erin.id, teacher.id],
        audit_user_ids=[audrey.id],
        default_excluded_user_ids=[audrey.id],  # the platform's certificates exclude audit
        inactive_user_ids=[ivan.id],
        unknown_user_id=max(user.id for user in bulk) + 1000,
        bulk_user_ids=[user.id for user in bulk],
        graded_assessments={_key("hw1"), _key("hw2"), _key("exam")},
        learners={
            alice.id: Learner(alice.id, "alice", "Alice Liddell", "alice@example.com", "fr"),
            bob.id: Learner(bob.id, "bob", "Bob Builder", "bob@example.com", "en"),
            carol.id: Learner(carol.id, "carol", "carol", "carol@example.com", "en"),
        },
        grades={
            alice.id: LearnerGrades(
                percent=0.82,
                by_category={"Homework": 0.7, "Exam": 0.9},
                by_assessment={_key("hw1"): 0.8, _key("hw2"): 0.6, _key("exam"): 0.9},
            ),
            bob.id: LearnerGrades(
                percent=0.1,
                by_category={"Homework": 0.25, "Exam": 0.0},
                by_assessment={_key("hw1"): 0.5, _key("hw2"): 0.0, _key("exam"): 0.0},
            ),
        },
        completion={alice.id: 1.0, bob.id: 0.5},
        learner_completion_user_id=alice.id,
        learner_completion={COURSE: 1.0, SECOND_COURSE: 0.5},
        learner_courses={
            alice.id: {COURSE: "Data Science 101"},  # not her learning path
            audrey.id: {COURSE: "Data Science 101"},  # in any mode
            erin.id: {SECOND_COURSE: "Data Science 102"},
            dave.id: {},  # unenrolled
            polly.id: {key: f"Many {n}" if n % 2 == 0 and n else str(key) for n, key in enumerate(many)},
        },
        ungraded_user_ids=[carol.id],
        no_progress_user_ids=[carol.id],
        staff_user=teacher,
        non_staff_user=alice,
        host_pages=HostPages(
            home_url=f"{LMS_ROOT_URL}/dashboard",
            logout_url=f"{LMS_ROOT_URL}/logout",
            logout_post=False,  # the platform's /logout signs out on a GET
        ),
    )


@pytest.mark.django_db
class TestOpenEdxAdapter(AdapterContract):
    @pytest.fixture
    def adapter(self, openedx):
        return OpenEdxAdapter()

    @pytest.fixture
    def world(self, openedx, settings):
        settings.PLATFORM_NAME = PLATFORM_NAME
        settings.LMS_ROOT_URL = f"{LMS_ROOT_URL}/"
        settings.CERTIFICATE_DATE_FORMAT = CERTIFICATE_DATE_FORMAT
        return _build_world()


@pytest.fixture
def adapter(openedx) -> OpenEdxAdapter:
    return OpenEdxAdapter()


@pytest.fixture
def world(openedx, settings) -> World:
    settings.PLATFORM_NAME = PLATFORM_NAME
    settings.CERTIFICATE_DATE_FORMAT = CERTIFICATE_DATE_FORMAT
    return _build_world()


def test_the_learner_home_is_the_learner_home_mfe_when_the_platform_has_one(settings):
    settings.LMS_ROOT_URL = LMS_ROOT_URL
    settings.LEARNER_HOME_MICROFRONTEND_URL = "https://apps.openedx.example/learner-dashboard/"
    pages = OpenEdxAdapter().get_host_pages()
    assert (pages.home_url, pages.logout_url) == (
        "https://apps.openedx.example/learner-dashboard/",
        f"{LMS_ROOT_URL}/logout",
    )


def test_imports_and_loads_without_edx_platform(settings):
    assert importlib.util.find_spec("lms") is None
    settings.LEARNING_CREDENTIALS = {"ADAPTER": "learning_credentials.adapters.openedx.OpenEdxAdapter"}
    assert isinstance(get_adapter(), OpenEdxAdapter)


class TestCategoryGrades:
    """grader_result -> by_category, on results shaped as xmodule.graders returns them."""

    def test_the_prominent_entry_is_the_category_grade_after_drops(self):
        result = {
            "percent": 0.6,
            "section_breakdown": [
                {"percent": 1.0, "category": "Homework", "label": "HW 01"},
                {"percent": 0.5, "category": "Homework", "label": "HW 02"},
                {"percent": 0.0, "category": "Homework", "label": "HW 03", "mark": {"detail": "dropped"}},
                {"percent": 0.75, "category": "Homework", "label": "HW Avg", "prominent": True},
                {"percent": 0.5, "category": "Exam", "label": "Exam", "prominent": True},
            ],
            "grade_breakdown": {
                "Homework": {"percent": 0.3, "category": "Homework"},
                "Exam": {"percent": 0.3, "category": "Exam"},
            },
        }
        assert _category_grades(result, {"Homework": 0.4, "Exam": 0.6}) == {"Homework": 0.75, "Exam": 0.5}

    def test_a_hidden_average_comes_from_the_weighted_contribution(self):
        result = {
            "section_breakdown": [{"percent": 0.9, "category": "Lab"}, {"percent": 0.7, "category": "Lab"}],
            "grade_breakdown": {"Lab": {"percent": 0.2, "category": "Lab"}},
        }
        assert _category_grades(result, {"Lab": 0.25}) == pytest.approx({"Lab": 0.8})

    def test_a_hidden_weightless_category_and_a_missing_one_read_zero(self):
        result = {
            "section_breakdown": [{"percent": 0.9, "category": "Practice"}],
            "grade_breakdown": {"Practice": {"percent": 0.0, "category": "Practice"}},
        }
        assert _category_grades(result, {"Practice": 0.0, "Exam": 1.0}) == {"Practice": 0.0, "Exam": 0.0}


def test_grades_apply_the_policys_drop_rules(adapter, openedx):
    grader = [{"type": "Homework", "min_count": 3, "drop_count": 1, "short_label": "HW", "weight": 1.0}]
    _course(COURSE, "Data Science 101", "Open edX University", grader=grader)
    learner = _user("ada")
    _grade(
        learner,
        COURSE,
        0.75,
        _subsection(COURSE, "hw1", "Homework", 10, 10),
        _subsection(COURSE, "hw2", "Homework", 5, 10),
        _subsection(COURSE, "hw3", "Homework", 0, 10),
    )
    result = adapter.get_grades(COURSE, [learner.id])[learner.id]
    assert result.by_category == {"Homework": 0.75}
    assert result.by_assessment == {_key("hw1"): 1.0, _key("hw2"): 0.5, _key("hw3"): 0.0}


def test_the_platforms_percent_is_reported_not_recomputed(adapter, openedx):
    _course(COURSE, "Data Science 101", "Open edX University")
    learner = _user("ada")
    # The stored percent_grade, rounded by the platform, differs from 0.4 * 0.7 + 0.6 * 0.9 = 0.82.
    _grade(
        learner, COURSE, 0.83, _subsection(COURSE, "hw1", "Homework", 14, 20), _subsection(COURSE, "e", "Exam", 9, 10)
    )
    assert adapter.get_grades(COURSE, [learner.id])[learner.id].percent == 0.83


def test_grades_are_prefetched_for_all_learners_and_the_prefetch_cleared(adapter, world):
    adapter.get_grades(COURSE, world.bulk_user_ids)
    (prefetch, course, user_ids), clear = grades.PREFETCH_LOG
    assert (prefetch, course, sorted(user_ids)) == ("prefetch", str(COURSE), sorted(world.bulk_user_ids))
    assert clear == ("clear", str(COURSE), [])


def test_a_learner_the_platform_cannot_grade_is_absent_and_the_others_are_not(adapter, world):
    failing, *others = world.bulk_user_ids
    grades.GRADES[(str(COURSE), failing)] = RuntimeError("broken block structure")
    assert set(adapter.get_grades(COURSE, world.bulk_user_ids)) == set(others)


def test_grades_and_completion_of_a_learning_path_are_empty(adapter, world):
    assert adapter.get_grades(PATH, world.bulk_user_ids) == {}
    assert adapter.get_completion(PATH, world.bulk_user_ids) == {}


class TestGradingPolicy:
    def test_weights_by_assignment_type_and_the_lowest_cutoff_passes(self, adapter, openedx):
        grader = [
            {"type": "Lab", "min_count": 4, "drop_count": 1, "short_label": "Lab", "weight": 0.25},
            {"type": "Final Exam", "min_count": 1, "drop_count": 0, "short_label": "Final", "weight": 0.75},
        ]
        _course(COURSE, "Data Science 101", "Open edX University", grader, cutoffs={"A": 0.9, "B": 0.8, "C": 0.6})
        assert adapter.get_grading_policy(COURSE) == GradingPolicy(
            weights={"Lab": 0.25, "Final Exam": 0.75}, passing_grade=0.6
        )

    def test_an_unknown_course_has_no_policy(self, adapter, openedx):
        with pytest.raises(ConfigurationError):
            adapter.get_grading_policy(COURSE)

    def test_a_learning_path_has_no_policy(self, adapter, world):
        with pytest.raises(ConfigurationError):
            adapter.get_grading_policy(PATH)


class TestLearners:
    def test_without_a_language_preference_the_platform_language(self, adapter, world, settings):
        settings.LANGUAGE_CODE = "es-419"
        learners = adapter.get_learners([*world.learners])
        assert {learner.username: learner.language for learner in learners.values()} == {
            "alice": "fr",
            "bob": "es-419",
            "carol": "es-419",
        }

    def test_learners_cost_one_query(self, adapter, world, django_assert_num_queries):
        with django_assert_num_queries(1):
            assert len(adapter.get_learners(world.bulk_user_ids)) == BULK_SIZE


class TestLearningPaths:
    def test_steps_without_an_order_come_last(self, adapter, world):
        third = CourseKey.from_string("course-v1:OpenedX+DS103+2026")
        path = LearningPath.objects.get(key=PATH)
        LearningPathStep.objects.create(learning_path=path, course_key=third, order=None)
        assert adapter.get_learning_path_steps(PATH) == [COURSE, SECOND_COURSE, third]

    def test_the_organisation_of_a_path_is_its_org(self, adapter, world, settings):
        settings.PLATFORM_NAME = "Acme Academy"
        assert adapter.get_organization_name(PATH) == "OpenedX"
        assert adapter.get_organization_name(LearningContextKey.from_string("path-v1:OpenedX+nothing+2026+all")) == (
            "Acme Academy"
        )

    def test_course_staff_is_no_path_staff(self, adapter, world):
        assert adapter.is_course_staff(world.staff_user, PATH) is False

    def test_without_the_plugin_paths_are_empty(self, adapter, world, monkeypatch, settings):
        settings.PLATFORM_NAME = "Acme Academy"
        fakes.install(monkeypatch, learning_paths=False)
        assert adapter.get_enrolled_user_ids(PATH) == []
        assert adapter.get_learning_path_steps(PATH) == []
        assert adapter.get_context_names([COURSE, PATH]) == {COURSE: "Data Science 101"}
        assert adapter.get_organization_name(PATH) == "Acme Academy"
        assert adapter.get_enrolled_user_ids(COURSE) == world.enrolled_user_ids


class TestCompletion:
    """Without the aggregator, or where its aggregates are stale: BlockCompletion rows against the structure."""

    def test_without_the_aggregator_every_learner_comes_from_the_blocks(self, adapter, world, monkeypatch):
        fakes.install(monkeypatch, aggregator=False)
        alice, bob = (
            next(i for i, learner in world.learners.items() if learner.username == name) for name in ("alice", "bob")
        )
        completion = adapter.get_completion(COURSE, [*world.completion, *world.bulk_user_ids])
        # Alice's 100% was the aggregator's: she has no BlockCompletion rows in this course.
        assert alice not in completion
        assert completion == pytest.approx({bob: 0.5} | dict.fromkeys(world.bulk_user_ids, 0.75))

    def test_a_stale_aggregate_gives_way_to_the_blocks_and_a_recomputed_one_wins(self, adapter, world):
        sam = _user("sam")
        _aggregate(sam, COURSE, 0.25)
        assert adapter.get_completion(COURSE, [sam.id]) == {sam.id: 0.25}
        _complete(sam, *SHARED_BLOCKS)  # the asynchronous aggregator marks sam's aggregates stale
        assert StaleCompletion.objects.filter(username="sam", resolved=False).exists()
        assert adapter.get_completion(COURSE, [sam.id]) == {sam.id: 0.75}
        # Its cron job recomputes (here: 0.8, by its own per-learner structure) and resolves the marks.
        Aggregator.objects.filter(user=sam).update(percent=0.8)
        StaleCompletion.objects.filter(username="sam").update(resolved=True)
        assert adapter.get_completion(COURSE, [sam.id]) == {sam.id: 0.8}

    def test_randomized_content_counts_as_one_item_complete_to_what_the_learner_saw(self, adapter, world):
        library = [COURSE.make_usage_key("problem", f"l{n}") for n in range(3)]
        shared = SHARED_BLOCKS
        none, half, all_seen = _user("none"), _user("half"), _user("all")
        _complete(none, *shared)
        _complete(half, *shared)
        _complete(half, library[0], completion=1.0)
        _complete(half, library[2], completion=0.0)
        _complete(all_seen, *shared, *library)
        completion = adapter.get_completion(COURSE, [none.id, half.id, all_seen.id])
        assert completion == pytest.approx({none.id: 0.75, half.id: 0.875, all_seen.id: 1.0})

    def test_a_chunked_run_reads_the_structure_once_per_course(self, adapter, world):
        block_structure.READS.clear()
        for chunk in (world.bulk_user_ids[:5], world.bulk_user_ids[5:10], world.bulk_user_ids[10:]):
            assert set(adapter.get_completion(COURSE, chunk)) == set(chunk)
        assert [str(COURSE)] == block_structure.READS

    def test_a_publish_shows_up_once_the_structure_is_read_again(self, adapter, world, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "COMPLETION_STRUCTURE_SECONDS": 0}
        learner = world.bulk_user_ids[0]
        assert adapter.get_completion(COURSE, [learner]) == {learner: 0.75}
        # A fourth shared block: the learner completed 3 of 5 items now.
        block_structure.add_block(COURSE.make_usage_key("vertical", "u1"), "problem", "new")
        assert adapter.get_completion(COURSE, [learner]) == pytest.approx({learner: 0.6})

    def test_a_course_with_nothing_to_complete_has_no_completion(self, adapter, world):
        empty = CourseKey.from_string("course-v1:OpenedX+EMPTY+2026")
        _course(empty, "Nothing to do", "OpenedX")
        block_structure.course_structure(empty)
        learner = _user("keen")
        _complete(learner, empty.make_usage_key("problem", "gone"))  # a block since deleted
        assert adapter.get_completion(empty, [learner.id]) == {}

    def test_a_mixed_chunk_costs_two_queries(self, adapter, world, django_assert_num_queries):
        alice, *_ = world.completion
        adapter.get_completion(COURSE, world.bulk_user_ids)  # the structure, read once per process
        with django_assert_num_queries(2):
            completion = adapter.get_completion(COURSE, [alice, *world.bulk_user_ids])
        assert completion[alice] == 1.0 and len(completion) == BULK_SIZE + 1

    def test_a_learners_courses_cost_two_queries(self, adapter, world, django_assert_num_queries):
        courses = [*world.learner_completion]
        adapter.get_learner_completion(world.learner_completion_user_id, courses)
        with django_assert_num_queries(2):
            assert adapter.get_learner_completion(world.learner_completion_user_id, courses) == pytest.approx(
                world.learner_completion
            )


def test_the_organisation_of_a_course_falls_back_to_the_platform_name(adapter, world, settings):
    settings.PLATFORM_NAME = "Acme Academy"
    assert adapter.get_organization_name(CourseKey.from_string("course-v1:Other+X+1")) == "Acme Academy"
    assert adapter.get_organization_name(SECOND_COURSE) == "OpenedX"


class TestCourseStaff:
    @pytest.mark.parametrize(
        "role",
        [
            lambda: roles.CourseInstructorRole(COURSE),
            lambda: roles.OrgStaffRole(COURSE.org),
            lambda: roles.OrgInstructorRole(COURSE.org),
        ],
        ids=["course instructor", "org staff", "org instructor"],
    )
    def test_the_course_team_includes_instructors_and_org_staff(self, adapter, openedx, role):
        member = _user("member")
        role().add_users(member)
        assert adapter.is_course_staff(member, COURSE) is True
        assert adapter.is_course_staff(member, CourseKey.from_string("course-v1:Other+X+1")) is False

    def test_an_inactive_team_member_is_not_staff(self, adapter, world):
        world.staff_user.is_active = False
        assert adapter.is_course_staff(world.staff_user, COURSE) is False

    def test_nobody_is_staff_when_anonymous(self, adapter, openedx):
        assert adapter.is_course_staff(AnonymousUser(), COURSE) is False
        assert adapter.is_course_staff(None, COURSE) is False


class TestLearnerCourses:
    def test_one_query_and_the_display_name_not_the_certificate_s(self, adapter, world, django_assert_num_queries):
        models.CourseOverview.objects.filter(id=COURSE).update(cert_name_long="Certificate in Data Science")
        alice = world.learner_completion_user_id
        with django_assert_num_queries(1):
            assert adapter.get_learner_courses(alice) == {COURSE: "Data Science 101"}

    def test_a_course_in_the_modulestore_only_is_listed_under_its_key(self, adapter, world):
        lone = CourseKey.from_string("course-v1:OpenedX+LONE+2026")
        learner = _user("lone")
        models.CourseEnrollment.objects.create(user=learner, course_id=lone, mode="verified")
        assert adapter.get_learner_courses(learner.id) == {lone: str(lone)}


def test_enrolled_learners_in_certificate_modes_cost_one_query(adapter, world, django_assert_num_queries):
    """The default modes are judged by the platform from the rows' own modes: no query of its own."""
    with django_assert_num_queries(1):
        assert set(adapter.get_enrolled_user_ids(world.course_key)) == set(world.enrolled_user_ids)


class TestCertificateName:
    def test_the_long_certificate_name_wins_over_the_display_name(self, adapter, openedx):
        _course(COURSE, "DS101", "Open edX University", certificate_name="Data Science: Foundations")
        _course(SECOND_COURSE, "Data Science 102", "Open edX University")  # no certificate name: the display name
        assert adapter.get_context_names([COURSE, SECOND_COURSE]) == {
            COURSE: "Data Science: Foundations",
            SECOND_COURSE: "Data Science 102",
        }


class TestSites:
    """A context's site is the site configuration whose course_org_filter names its organisation."""

    def test_a_context_of_an_organisation_without_a_site_gets_the_lms_settings(self, adapter, world, settings):
        settings.PLATFORM_NAME = "Acme Academy"
        settings.TIME_ZONE = "Europe/Paris"
        sites.EMAIL_LOGO_URL = "https://cdn.example.org/email-logo.png"
        other = CourseKey.from_string("course-v1:NoSiteX+X+1")
        assert adapter.get_sites([other])[other] == Site(
            platform_name="Acme Academy",
            logo_url="https://cdn.example.org/email-logo.png",
            date_format=CERTIFICATE_DATE_FORMAT,
            time_zone="Europe/Paris",
        )

    def test_a_disabled_configuration_is_no_site(self, adapter, world, settings):
        sites.CONFIGURATIONS.clear()
        sites.add({**SITE_VALUES, "course_org_filter": "OpenedX"}, enabled=False)
        site = adapter.get_sites([COURSE])[COURSE]
        assert (site.platform_name, site.base_url, site.from_email) == (PLATFORM_NAME, None, None)

    def test_one_organisation_filter_may_be_a_string(self, adapter, openedx):
        sites.add({"course_org_filter": "OpenedX", "LMS_ROOT_URL": "https://one.example.org"})
        sites.add({"course_org_filter": ["OtherX"], "LMS_ROOT_URL": "https://other.example.org"})
        other = CourseKey.from_string("course-v1:OtherX+X+1")
        found = adapter.get_sites([COURSE, other])
        assert (found[COURSE].base_url, found[other].base_url) == (
            "https://one.example.org",
            "https://other.example.org",
        )

    def test_the_uppercase_platform_name_key_counts_too(self, adapter, openedx):
        sites.add({"course_org_filter": "OpenedX", "PLATFORM_NAME": "Upper Case Academy"})
        assert adapter.get_sites([COURSE])[COURSE].platform_name == "Upper Case Academy"

    def test_a_learning_path_has_the_site_of_its_organisation(self, adapter, world):
        assert adapter.get_sites([PATH])[PATH] == world.site

    def test_one_look_up_per_organisation_not_per_context(self, adapter, world):
        other = CourseKey.from_string("course-v1:OtherX+X+1")
        adapter.get_sites([COURSE, SECOND_COURSE, PATH, other])
        assert sorted(sites.LOOKUPS) == ["OpenedX", "OtherX"]

    def test_a_static_logo_is_made_absolute_on_the_site(self, adapter, openedx, settings):
        settings.STATIC_URL = "/static/"
        sites.add(
            {"course_org_filter": "OpenedX", "LMS_ROOT_URL": "https://one.example.org/", "logo_image_url": "x.png"}
        )
        sites.add({"course_org_filter": "OtherX", "logo_image_url": "images/y.png"})
        other = CourseKey.from_string("course-v1:OtherX+X+1")
        found = adapter.get_sites([COURSE, other])
        assert found[COURSE].logo_url == "https://one.example.org/static/x.png"
        assert found[other].logo_url == "https://lms.example.com/static/images/y.png"  # the LMS's own root

    def test_a_named_date_format_of_the_platform_is_left_to_the_default(self, adapter, world, settings):
        settings.CERTIFICATE_DATE_FORMAT = "LONG_DATE"  # strftime_localized's name for its translated format
        assert adapter.get_sites([COURSE])[COURSE].date_format is None


def test_a_course_the_modulestore_holds_exists_before_its_overview_is_made(adapter, openedx):
    """Studio creates the course in the modulestore; its course overview follows on the first publish."""
    key = CourseKey.from_string("course-v1:DemoX+Fresh+2027")
    assert adapter.context_exists(key) is False
    modulestore.COURSES[str(key)] = modulestore.CourseBlock(key, [], {"Pass": 0.5})
    assert adapter.context_exists(key) is True
    assert adapter.get_context_names([key]) == {}  # names still come from overviews only


def test_without_the_learning_paths_plugin_no_path_exists(adapter, openedx, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "learning_paths.models", None)
    assert adapter.context_exists(LearningContextKey.from_string("path-v1:DemoX+data+2026+all")) is False
