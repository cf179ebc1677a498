"""Counts in the exam's sentences have their plural forms (ngettext): the singular for 1, the plural for more."""

from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from learning_credentials.exams.selectors import certification_availability

from .conftest import COURSE, make_pool

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("count", "problem"),
    [
        (1, "The pool holds 1 valid question; it needs at least 50."),
        (2, "The pool holds 2 valid questions; it needs at least 50."),
    ],
)
def test_a_short_pool_counts_its_questions_in_words_that_agree(certification, count, problem):
    make_pool(COURSE, count)
    assert certification_availability(context_key=COURSE).problem == problem


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 valid question in the pool; exam size: 50."), (2, "2 valid questions in the pool; exam size: 50.")],
)
def test_the_settings_page_counts_the_pool_in_words_that_agree(admin_client, certification, count, words):
    make_pool(COURSE, count)
    url = f"/admin/learning_credentials_exams/certificationsettings/{certification.pk}/change/"
    assert words in admin_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("size", "words"),
    [(1, "Your score: 100% (1 of 1 question right)."), (2, "Your score: 50% (1 of 2 questions right).")],
)
def test_the_result_counts_the_exams_questions_in_words_that_agree(rf, size, words):
    attempt = SimpleNamespace(score=100 // size, correct_count=1, size=size, passed=False)
    html = render_to_string(
        "learning_credentials/exams/result.html",
        {"attempt": attempt, "course_name": "Demo", "pass_mark": 80},
        request=rf.get("/"),
    )
    assert words in html
