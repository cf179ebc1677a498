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
def points_placeholder():
    register_placeholder("points", "points earned in a game")
    yield
    del PLACEHOLDERS["points"]


@pytest.mark.parametrize(
    "text,message",
    [
        ("{unknown}", "unknown placeholder {unknown}"),
        ("{name", "the text .{name. has a brace that opens or closes no placeholder"),
        ("}", "the text .}. has a brace that opens or closes no placeholder"),
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
    options = {"template": "tpl", "elements": {"points": {"text": "{points} points", "y": 100}}}
    with pytest.raises(InvalidOptions, match=r"unknown placeholder \{points\}"):
        validate_options([generate_pdf_credential], options)
    register_placeholder("points", "points earned in a game")
    try:
        validate_options([generate_pdf_credential], options)
    finally:
        del PLACEHOLDERS["points"]


def test_registered_placeholders_print_the_value_other_subsystems_supply(render, points_placeholder):
    elements = {"points": {"text": "{points} points; {{braces}}", "y": 100}}
    with_value = render(replace(DATA, extra={"points": "12.5"}), elements=elements)
    assert "12.5 points; {braces}" in page_text(with_value.content)
    without_value = render(DATA, elements=elements)
    assert "points; {braces}" in page_text(without_value.content)


def test_registration_is_idempotent_but_a_name_has_one_meaning(points_placeholder):
    register_placeholder("points", "points earned in a game")
    with pytest.raises(ValueError, match="already registered"):
        register_placeholder("points", "something else")
    with pytest.raises(ValueError, match="identifiers"):
        register_placeholder("game-points", "x")
