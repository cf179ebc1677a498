"""Options of generate_pdf_credential: every key is validated with a message naming what is wrong."""

import pytest

from learning_credentials.exceptions import GenerationFailed, InvalidOptions
from learning_credentials.registry import validate_options
from learning_credentials.rendering.builtin import generate_pdf_credential

pytestmark = pytest.mark.rendering

FULL = {
    "template": "tpl",
    "template_page": 1,
    "font": "Times-Roman",
    "font_asset": None,
    "fallback_font": "ipa-gothic",
    "color": "#223344",
    "defaults": {
        "font": "dejavu",
        "size": 11,
        "color": "#333",
        "align": "left",
        "uppercase": False,
        "letter_spacing": 0.5,
        "line_height": 1.3,
        "max_width": 400,
        "min_size": 8,
    },
    "elements": {
        "name": {"size": 40, "x": 100, "y": 300, "align": "center", "max_width": 500, "min_size": 18},
        "verify_url": False,
        "signatory_name": {"text": "Dr. Ada Byron"},
        "motto": {"text": "{{ {type_name} }}", "font": "Helvetica-Bold", "uppercase": True},
    },
    "images": {
        "logo": {"image": "logo", "x": 40, "y": 500, "width": 120},
        "signature": {"image": "sig", "x": 400, "y": 90, "width": 100, "height": 40},
    },
    "qr": {"x": 700, "y": 40, "size": 80, "color": "#000080", "background": None},
}


def check(**options):
    validate_options([generate_pdf_credential], {"template": "tpl", **options})


def test_every_option_together_is_valid():
    validate_options([generate_pdf_credential], FULL)


@pytest.mark.parametrize("qr", [True, False, {}])
def test_qr_may_be_true_false_or_an_object(qr):
    check(qr=qr)


@pytest.mark.parametrize(
    "options,key,message",
    [
        ({"template_page": 0}, "template_page", "template_page must be a page number: 1 for the first page."),
        ({"template_page": "2"}, "template_page", "template_page must be a page number"),
        ({"font": "Comic Sans"}, "font", "unknown font 'Comic Sans'"),
        ({"font_asset": 3}, "font_asset", "font_asset must be a string or null."),
        ({"fallback_font": ["a"]}, "fallback_font", "fallback_font must be a string or null."),
        ({"color": "red"}, "color", "hex colour"),
        ({"defaults": {"text": "x"}}, "defaults", "defaults has unknown keys 'text'; accepted: 'align', 'color', "),
        ({"defaults": {"x": 3}}, "defaults", "defaults has unknown keys 'x'"),
        ({"defaults": {"size": -1}}, "defaults", "defaults.size must be greater than 0"),
        ({"defaults": []}, "defaults", "defaults must be an object."),
        ({"elements": {"name": "big"}}, "elements", "elements.name must be an object or false."),
        ({"elements": {"motto": {"size": 9}}}, "elements", "elements.motto is a custom element: it needs a text."),
        ({"elements": {"motto": False}}, "elements", "only standard elements"),
        ({"elements": {"name": {"size": "big"}}}, "elements", "elements.name.size must be a number, not a string."),
        ({"elements": {"name": {"size": True}}}, "elements", "elements.name.size must be a number, not a boolean"),
        ({"elements": {"name": {"x": -5}}}, "elements", "elements.name.x must be at least 0"),
        ({"elements": {"name": {"align": "middle"}}}, "elements", "elements.name.align must be one of"),
        ({"elements": {"name": {"uppercase": "yes"}}}, "elements", "elements.name.uppercase must be true or false"),
        ({"elements": {"name": {"max_width": 0}}}, "elements", "elements.name.max_width must be greater than 0"),
        ({"elements": {"name": {"max_height": -5}}}, "elements", "elements.name.max_height must be greater than 0"),
        ({"elements": {"name": {"line_height": 0}}}, "elements", "elements.name.line_height must be greater"),
        ({"elements": {"name": {"letter_spacing": "1"}}}, "elements", "letter_spacing must be a number"),
        ({"elements": {"name": {"color": "#12"}}}, "elements", "elements.name.color must be a hex colour"),
        ({"elements": {"name": {"font": "Arial Black"}}}, "elements", "unknown font 'Arial Black'"),
        ({"elements": {"name": {"weight": 700}}}, "elements", "elements.name has unknown keys 'weight'; accepted:"),
        ({"elements": {"motto": {"text": "{points}"}}}, "elements", "unknown placeholder {points}"),
        ({"elements": {"motto": {"text": "{name"}}}, "elements", "the text '{name' has a brace that opens or closes"),
        ({"elements": {"motto": {"text": "{name!r}"}}}, "elements", "takes no format or conversion"),
        ({"images": {"logo": {"image": "logo", "x": 1, "y": 1}}}, "images", "needs a width, a height or both"),
        ({"images": {"logo": {"image": "logo", "y": 1, "width": 9}}}, "images", "images.logo.x is required"),
        ({"images": {"logo": {"image": "no slug!", "x": 1, "y": 1, "width": 9}}}, "images", "slug of an image"),
        ({"images": {"logo": {"image": "logo", "x": 1, "y": 1, "width": -9}}}, "images", "width must be greater"),
        ({"images": {"logo": {"image": "logo", "x": 1, "y": 1, "width": 9, "opacity": 1}}}, "images", "unknown"),
        ({"images": {"logo": "logo.png"}}, "images", "images.logo must be an object"),
        ({"qr": "yes"}, "qr", "qr must be a boolean (true or false) or an object."),
        ({"qr": {"size": 0}}, "qr", "qr.size must be greater than 0"),
        ({"qr": {"color": "blue"}}, "qr", "qr.color must be a hex colour"),
        ({"qr": {"margin": 4}}, "qr", "qr has unknown keys 'margin'; accepted: 'background',"),
    ],
)
def test_wrong_values_are_refused_with_a_message_naming_them(options, key, message):
    with pytest.raises(InvalidOptions) as caught:
        check(**options)
    assert key in caught.value.errors
    assert message in " ".join(caught.value.errors[key])


def test_unknown_options_are_refused():
    with pytest.raises(InvalidOptions, match="There is no option 'logo'"):
        check(logo="logo")


def test_wrong_options_at_generation_time_fail_with_a_readable_message(render):
    """A type's defaults edited after a configuration was saved can make its options wrong."""
    with pytest.raises(GenerationFailed, match=r"The PDF options are invalid: elements.name.size"):
        render(elements={"name": {"size": "big"}})
