"""Pools and availability (seed 004 §2.3, §2.4, §2.3.1): what counts as a question, and when a course certifies."""

import pytest

from learning_credentials.exams.models import CertificationSettings, Question, QuestionOption
from learning_credentials.exams.selectors import (
    certification_availability,
    pool_count,
    pool_shortfalls,
    unavailable_message,
)

from .conftest import CHILD, COURSE, make_pool

pytestmark = pytest.mark.django_db


def _question(kind: str, *options: tuple[str, bool], active: bool = True, external_id: str = "x") -> Question:
    question = Question.objects.create(
        pool_context_key=COURSE, external_id=external_id, lesson="L1", kind=kind, text="?", active=active
    )
    for position, (text, correct) in enumerate(options):
        QuestionOption.objects.create(question=question, position=position, text=text, correct=correct)
    return question


@pytest.mark.parametrize(
    ("kind", "options", "counts"),
    [
        ("single", [("a", True), ("b", False)], True),
        ("single", [("a", True), ("b", True)], False),  # two right answers to a single choice
        ("single", [("a", True)], False),  # nothing to choose from
        ("single", [("a", False), ("b", False)], False),  # no right answer
        ("multiple", [("a", True), ("b", True), ("c", False)], True),
        ("multiple", [("a", True), ("b", True)], True),  # all right: still answerable (choose all)
        ("multiple", [("a", False), ("b", False)], False),
        ("true_false", [("True", False), ("False", True)], True),
        ("true_false", [("True", True), ("False", True)], False),
        ("true_false", [("True", True), ("False", False), ("Maybe", False)], False),
    ],
)
def test_a_question_counts_when_its_options_make_it_answerable(kind, options, counts):
    _question(kind, *options)
    assert pool_count(pool_context_key=COURSE) == int(counts)


def test_inactive_questions_and_other_pools_do_not_count():
    make_pool(COURSE, 3)
    make_pool(CHILD, 2, start=100)
    _question("single", ("a", True), ("b", False), active=False, external_id="off")
    assert pool_count(pool_context_key=COURSE) == 3


def test_the_pool_warnings_name_the_short_lessons():
    make_pool(COURSE, 12, lessons=3)  # 4 questions in each of 3 lessons
    make_pool(COURSE, 5, lessons=1, start=100)  # lesson 01 gets 5 more
    total, short = pool_shortfalls(pool_context_key=COURSE)
    assert total == 17
    assert short == [("Lesson 02", 4), ("Lesson 03", 4)]


class TestAvailability:
    def test_available_with_a_pool_of_the_minimum_size(self, certification):
        make_pool(COURSE, 50)
        status = certification_availability(context_key=COURSE)
        assert status.available and (status.pool_count, status.exam_size) == (50, 50)

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            ({"enabled": False}, "not enabled"),
            ({"configuration": None}, "No certificate configuration"),
        ],
    )
    def test_unavailable_when_switched_off_or_without_a_certificate(self, certification, change, problem):
        make_pool(COURSE, 60)
        CertificationSettings.objects.filter(pk=certification.pk).update(**change)
        status = certification_availability(context_key=COURSE)
        assert not status.available and problem in status.problem

    def test_unavailable_below_the_minimum_pool(self, certification):
        make_pool(COURSE, 49)
        status = certification_availability(context_key=COURSE)
        assert not status.available and "49 valid questions" in status.problem and "at least 50" in status.problem

    def test_unavailable_without_settings(self, db):
        assert "not set up" in certification_availability(context_key=COURSE).problem

    def test_the_minimum_follows_the_settings(self, certification, settings):
        make_pool(COURSE, 40)
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXAMS": {"MIN_POOL_SIZE": 30, "EXAM_SIZE": 40},
        }
        assert certification_availability(context_key=COURSE).available
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXAMS": {"MIN_POOL_SIZE": 30, "EXAM_SIZE": 45},
        }
        assert not certification_availability(context_key=COURSE).available  # fewer questions than one exam

    def test_a_child_course_draws_a_shorter_exam_from_its_parents_pool(self, certification, configuration):
        make_pool(COURSE, 50)
        child = CertificationSettings.objects.create(
            context_key=CHILD, enabled=True, pool_context_key=COURSE, exam_size=10, configuration=configuration
        )
        status = certification_availability(context_key=CHILD, certification=child)
        assert status.available and (status.pool_count, status.exam_size) == (50, 10)

    def test_learners_read_the_seeds_words(self):
        assert unavailable_message() == "Certification unavailable. Contact the course creator."
