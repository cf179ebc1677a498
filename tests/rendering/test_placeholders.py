"""The placeholder registry: what text may say, extended by other parts of the app."""

from dataclasses import replace

import pytest

from learning_credentials.exceptions import InvalidOptions
from learning_credentials.registry import validate_options
from learning_credentials.rendering import PLACEHOLDERS, check_placeholders, register_placeholder
from learning_credentials.rendering.builtin import generate_pdf_credential
from tests.rendering.conftest import DATA, page_text

pytestmark = pytest.mark.rendering


@pytest.fixture
def credits_placeholder():
    register_placeholder("credits", "continuing-education credits earned")
    yield
    del PLACEHOLDERS["credits"]


@pytest.mark.parametrize(
    "text,message",
    [
        ("{unknown}", "unknown placeholder {unknown}"),
        ("{name", "malformed text"),
        ("}", "malformed text"),
        ("{name:>20}", "takes no format or conversion"),
        ("{name.upper}", "unknown placeholder {name.upper}"),
    ],
)
def test_placeholder_errors(text, message):
    with pytest.raises(ValueError, match=message):
        check_placeholders(text)


def test_known_placeholders_and_escapes_pass():
    check_placeholders("{name} earned {type_name} on {issue_date}; {{not a placeholder}}")


def test_an_unregistered_placeholder_is_refused_on_save_and_accepted_once_registered():
    options = {"template": "tpl", "elements": {"credits": {"text": "{credits} credits", "y": 100}}}
    with pytest.raises(InvalidOptions, match=r"unknown placeholder \{credits\}"):
        validate_options([generate_pdf_credential], options)
    register_placeholder("credits", "continuing-education credits earned")
    try:
        validate_options([generate_pdf_credential], options)
    finally:
        del PLACEHOLDERS["credits"]


def test_registered_placeholders_print_the_value_other_subsystems_supply(render, credits_placeholder):
    elements = {"credits": {"text": "{credits} credits; {{braces}}", "y": 100}}
    with_value = render(replace(DATA, extra={"credits": "12.5"}), elements=elements)
    assert "12.5 credits; {braces}" in page_text(with_value.content)
    without_value = render(DATA, elements=elements)
    assert "credits; {braces}" in page_text(without_value.content)


def test_registration_is_idempotent_but_a_name_has_one_meaning(credits_placeholder):
    register_placeholder("credits", "continuing-education credits earned")
    with pytest.raises(ValueError, match="already registered"):
        register_placeholder("credits", "something else")
    with pytest.raises(ValueError, match="identifiers"):
        register_placeholder("ce-credits", "x")
