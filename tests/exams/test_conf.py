"""LEARNING_CREDENTIALS["EXAMS"]: merged over the defaults, and refused when it names what has no behaviour."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from learning_credentials.exams.conf import DEFAULTS, exam_settings


def test_the_defaults_are_seed_004s(settings):
    settings.LEARNING_CREDENTIALS = {}
    values = exam_settings()
    assert (values.exam_size, values.pass_mark, values.min_pool_size) == (50, 50, 50)
    assert values.idle_timeout_seconds == 900
    assert (values.show_wrong_questions_on_fail, values.show_correct_answers_on_fail) == (True, False)
    assert values.max_starts_per_day is None
    assert values.checkout_url is None


def test_an_override_changes_only_its_key(settings):
    settings.LEARNING_CREDENTIALS = {"EXAMS": {"EXAM_SIZE": 40, "MAX_STARTS_PER_DAY": 3}}
    values = exam_settings()
    assert (values.exam_size, values.max_starts_per_day, values.pass_mark) == (40, 3, DEFAULTS["PASS_MARK"])


@pytest.mark.parametrize(
    ("exams", "message"),
    [
        ({"EXAM_SIZ": 40}, "unknown keys: EXAM_SIZ"),
        ({"EXAM_SIZE": 0}, "'EXAM_SIZE'] must be a whole number of at least 1"),
        ({"EXAM_SIZE": "50"}, "'EXAM_SIZE'] must be a whole number"),
        ({"IDLE_TIMEOUT_SECONDS": True}, "'IDLE_TIMEOUT_SECONDS'] must be a whole number"),
        ({"SHOW_CORRECT_ANSWERS_ON_FAIL": "yes"}, "must be True or False"),
        ({"PASS_MARK": 100}, "must be below 100"),
        ({"MAX_STARTS_PER_DAY": 0}, "'MAX_STARTS_PER_DAY'] must be a whole number of at least 1"),
        ([], "must be a dictionary"),
    ],
)
def test_impossible_settings_are_refused_in_words(settings, exams, message):
    settings.LEARNING_CREDENTIALS = {"EXAMS": exams}
    with pytest.raises(ImproperlyConfigured, match=message.replace("[", r"\[").replace("]", r"\]")):
        exam_settings()


@pytest.mark.parametrize(
    "template",
    [
        "https://shop.example/certification/{context_key}/?return={return_url}",
        "/shop/{return_url}/{context_key}/{{literal}}",
    ],
)
def test_a_checkout_url_template_with_both_placeholders(settings, template):
    settings.LEARNING_CREDENTIALS = {"EXAMS": {"CHECKOUT_URL": template}}
    assert exam_settings().checkout_url == template


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://shop.example/{context_key}", "it has: {context_key}."),
        (
            "https://shop.example/{course}/{context_key}?r={return_url}",
            "it has: {course}, {context_key}, {return_url}.",
        ),
        ("https://shop.example/{context_key!r}?r={return_url}", "it has: {context_key!r}, {return_url}."),
        ("https://shop.example/{context_key}?r={return_url:>9}", "it has: {context_key}, {return_url:>9}."),
        ("https://shop.example/{}?r={return_url}", "it has: {}, {return_url}."),
        ("https://shop.example/", "it has: none."),
        ("https://shop.example/{context_key?r={return_url}", "write a literal brace twice"),
        ("shop.example/{context_key}?r={return_url}", "starting with https://, http:// or /"),
        (42, "starting with https://, http:// or /"),
    ],
)
def test_a_checkout_url_template_is_refused_in_words(settings, template, message):
    settings.LEARNING_CREDENTIALS = {"EXAMS": {"CHECKOUT_URL": template}}
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        exam_settings()


def test_an_empty_checkout_url_is_none(settings):
    settings.LEARNING_CREDENTIALS = {"EXAMS": {"CHECKOUT_URL": ""}}
    assert exam_settings().checkout_url is None
