"""Text elements: documented defaults, the precedence of defaults, and every per-element key.

Positions and sizes are read back from the drawn PDF (Tm, Tf, Tc, rg operators), in points on
the template_pdf() page: landscape Letter, 792 x 612.
"""

from dataclasses import replace

import pytest

from learning_credentials.rendering.fonts import standard_font
from tests.rendering.conftest import DATA, drawn_runs, page_text, run_of

pytestmark = pytest.mark.rendering

WIDTH, HEIGHT = 792, 612
NAME = DATA.learner_name
URL_TEXT = f"Verify at {DATA.verify_url}"


def helvetica_width(text: str, size: float, spacing: float = 0) -> float:
    font = standard_font("Helvetica")
    return sum(font.advance(c) for c in text) * size / 1000 + spacing * (len(text) - 1)


def centre(run) -> float:
    return run.x + helvetica_width(run.text, run.size, run.spacing) / 2


def test_standard_elements_use_their_documented_defaults(render):
    content = render().content
    expected = {
        NAME: (32, 0.55),
        DATA.context_name: (20, 0.44),
        "23 November 2026": (12, 0.33),
        "Score: 92.5%": (12, 0.28),
        URL_TEXT: (9, 0.07),
        "Verification code: 7KQ2M-XW4PD": (9, 0.045),
    }
    for text, (size, y_ratio) in expected.items():
        run = run_of(content, text)
        assert (run.size, run.font, run.color) == (size, "/Helvetica", (0, 0, 0)), text
        assert run.y == pytest.approx(y_ratio * HEIGHT, abs=0.01), text
        assert centre(run) == pytest.approx(WIDTH / 2, abs=0.01), text


def test_adjusting_one_key_of_an_element_keeps_its_other_documented_defaults(render):
    """The bug of a well-known plugin: setting the colour made the name lose its size and position."""
    run = run_of(render(elements={"name": {"color": "#ff0000"}}).content, NAME)
    assert run.color == (1, 0, 0)
    assert run.size == 32
    assert run.y == pytest.approx(0.55 * HEIGHT, abs=0.01)


def test_documented_max_width_applies_without_being_configured(render):
    """The name's documented max_width (80% of the page) shrinks a long name without any option."""
    long_name = "Maximiliana Wilhelmina Konstantinopolous-Papadimitriou van der Berg"
    run = run_of(render(replace(DATA, learner_name=long_name)).content, long_name)
    assert 14 <= run.size < 32
    assert helvetica_width(long_name, run.size) <= 0.8 * WIDTH


def test_defaults_apply_to_every_element_over_documented_defaults(render):
    content = render(defaults={"font": "Times-Roman", "color": "#336699", "size": 10}).content
    for run in drawn_runs(content):
        if run.text == "CERTIFICATE":  # the template's own text
            continue
        assert (run.font, run.size, run.color) == ("/Times-Roman", 10, (0.2, 0.4, 0.6)), run.text


def test_an_element_overrides_the_defaults(render):
    content = render(defaults={"size": 10, "color": "#336699"}, elements={"name": {"size": 40}}).content
    assert run_of(content, NAME).size == 40
    assert run_of(content, NAME).color == (0.2, 0.4, 0.6)
    assert run_of(content, "23 November 2026").size == 10


def test_top_level_font_and_color_are_the_base_under_defaults(render):
    content = render(
        font="Courier",
        color="#00ff00",
        defaults={"font": "Times-Bold"},
        elements={"issue_date": {"font": "Courier-Bold"}},
    ).content
    assert run_of(content, NAME).font == "/Times-Bold"
    assert run_of(content, NAME).color == (0, 1, 0)
    assert run_of(content, "23 November 2026").font == "/Courier-Bold"
    with_asset = render(font="Courier", font_asset="dejavu-serif").content
    assert run_of(with_asset, NAME).font.endswith("+DejaVuSerif")


def test_standard_elements_can_be_hidden_and_custom_ones_added(render):
    content = render(
        elements={
            "issue_date": False,
            "verify_code": False,
            "code": {"text": "Code {verify_code} - {{literal}}", "x": 30, "y": 40, "align": "left", "size": 8},
        }
    ).content
    texts = [run.text for run in drawn_runs(content)]
    assert "23 November 2026" not in texts
    assert "Verification code: 7KQ2M-XW4PD" not in texts
    run = run_of(content, "Code 7KQ2M-XW4PD - {literal}")
    assert (run.x, run.y, run.size) == (30, 40, 8)


def test_score_is_printed_only_when_the_credential_has_one(render):
    assert "Score: 92.5%" in [run.text for run in drawn_runs(render().content)]
    texts = [run.text for run in drawn_runs(render(replace(DATA, score=None)).content)]
    assert not any(text.startswith("Score") for text in texts)


def test_signatory_elements_are_printed_once_given_a_text(render):
    assert not {"Dr. Ada Byron", "Dean"} & {run.text for run in drawn_runs(render().content)}
    content = render(elements={"signatory_name": {"text": "Dr. Ada Byron"}, "signatory_title": {"text": "Dean"}})
    name, title = run_of(content.content, "Dr. Ada Byron"), run_of(content.content, "Dean")
    assert (name.size, title.size) == (12, 10)
    assert name.y == pytest.approx(0.17 * HEIGHT, abs=0.01) and title.y == pytest.approx(0.14 * HEIGHT, abs=0.01)


@pytest.mark.parametrize("align", ["left", "center", "right"])
def test_alignment_anchors_the_text_at_x(render, align):
    run = run_of(render(elements={"name": {"x": 300, "y": 200, "align": align}}).content, NAME)
    width = helvetica_width(NAME, 32)
    assert run.y == 200
    assert run.x == pytest.approx({"left": 300, "center": 300 - width / 2, "right": 300 - width}[align], abs=0.01)


def test_uppercase(render):
    content = render(elements={"name": {"uppercase": True}}).content
    assert "ZOË ÅNGSTRÖM" in page_text(content)


def test_letter_spacing_is_drawn_and_counted_in_the_alignment(render):
    run = run_of(render(elements={"name": {"letter_spacing": 3, "x": 400}}).content, NAME)
    assert run.spacing == 3
    assert run.x == pytest.approx(400 - helvetica_width(NAME, 32, 3) / 2, abs=0.01)


def test_max_width_shrinks_down_to_min_size(render):
    run = run_of(render(elements={"name": {"max_width": 150, "min_size": 10}}).content, NAME)
    assert 10 <= run.size < 32
    assert helvetica_width(NAME, run.size) == pytest.approx(150, abs=0.5)


def test_below_min_size_the_text_wraps_at_min_size_with_the_line_height(render):
    name = "Anna Maria Konstantinopolous Papadimitriou"
    content = render(
        replace(DATA, learner_name=name),
        elements={
            "name": {
                "max_width": 200,
                "max_height": None,  # no limit below: the lines may go as far down as they need
                "min_size": 19,
                "line_height": 1.5,
                "y": 400,
                "align": "left",
                "x": 50,
            }
        },
    ).content
    lines = [run for run in drawn_runs(content) if run.size == 19]
    assert " ".join(run.text for run in lines) == name
    assert len(lines) >= 2
    for number, run in enumerate(lines):
        assert run.y == pytest.approx(400 - number * 1.5 * 19)
        assert run.x == 50
        assert helvetica_width(run.text, 19) <= 200


def test_a_word_longer_than_the_line_is_broken(render):
    name = "Wolfeschlegelsteinhausenbergerdorff"
    options = {"name": {"max_width": 100, "max_height": None, "min_size": 19}}
    content = render(replace(DATA, learner_name=name), elements=options).content
    lines = [run.text for run in drawn_runs(content) if run.size == 19]
    assert "".join(lines) == name and len(lines) > 1


def test_fonts_per_element_built_in_or_truetype_asset(render):
    content = render(elements={"name": {"font": "dejavu-serif"}, "issue_date": {"font": "Times-Italic"}}).content
    assert run_of(content, NAME).font.endswith("+DejaVuSerif")
    assert run_of(content, "23 November 2026").font == "/Times-Italic"
    assert run_of(content, DATA.context_name).font == "/Helvetica"
