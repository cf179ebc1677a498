"""Names in many scripts: extracted text equals the name (LTR), glyph order is checked (RTL), no empty boxes."""

from dataclasses import replace

import pytest

from learning_credentials.exceptions import GenerationFailed
from tests.rendering.conftest import DATA, drawn_runs, page_text

pytestmark = pytest.mark.rendering

LTR_NAMES = {
    "latin": "Zoë Ångström-Łukasiewicz Ñúñez Şahin Đặng",
    "greek": "Γιώργος Παπαδόπουλος",
    "cyrillic": "Наталья Кузнецова-Щербакова",
}
ONLY_NAME = {"elements": {e: False for e in ("context_name", "issue_date", "score", "verify_url", "verify_code")}}


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
@pytest.mark.parametrize("script", LTR_NAMES)
def test_ltr_names_extract_as_written(render, script, fast):
    name = LTR_NAMES[script]
    rendered = render(replace(DATA, learner_name=name), font="dejavu", fast=fast, **ONLY_NAME)
    assert rendered.fast is fast
    assert name in page_text(rendered.content)


@pytest.mark.parametrize("name", ["山田太郎", "王小明", "さくら ミキ"])
def test_cjk_names_render_with_a_truetype_cjk_font(render, name):
    rendered = render(replace(DATA, learner_name=name), font="ipa-gothic", **ONLY_NAME)
    assert name in page_text(rendered.content)
    assert {run.font.split("+")[-1] for run in drawn_runs(rendered.content) if run.text == name} == {"IPAGothic"}
    assert not rendered.fast  # CJK is outside the prepared repertoire: the general path draws it


def test_glyphs_missing_from_the_font_come_from_the_fallback_font(render):
    name = "Yuki 山田"
    rendered = render(replace(DATA, learner_name=name), font="dejavu", fallback_font="ipa-gothic", **ONLY_NAME)
    runs = [(run.text, run.font.split("+")[-1]) for run in drawn_runs(rendered.content) if run.size == 32]
    assert runs == [("Yuki ", "DejaVuSans"), ("山田", "IPAGothic")]
    assert {"Yuki", "山田"} <= set(page_text(rendered.content))


def test_a_built_in_font_falls_back_to_a_system_font_beyond_latin_1(render):
    """Helvetica has no Greek; DejaVu Sans (the first system fallback) draws it, on the fast path."""
    name = "Zoë Γιώργος"
    rendered = render(replace(DATA, learner_name=name), **ONLY_NAME)
    runs = [(run.text, run.font.split("+")[-1]) for run in drawn_runs(rendered.content) if run.size == 32]
    assert runs == [("Zoë ", "/Helvetica"), ("Γιώργος", "DejaVuSans")]
    assert rendered.fast


def test_a_character_no_font_has_is_an_error_not_an_empty_box(render):
    with pytest.raises(GenerationFailed, match=r"No font can print '\\u0378' \(U\+0378\) in element 'name'"):
        render(replace(DATA, learner_name="Ana \u0378"))


@pytest.mark.parametrize(
    "name,drawn",
    [
        # Hebrew: right to left, so the glyphs are drawn last letter first.
        ("דוד לוי", "יול דוד"),
        ("David כהן", "David ןהכ"),
        # Arabic: joined forms (seen initial, lam-alef final ligature, meem isolated), right to left.
        ("سلام", "\ufee1\ufefc\ufeb3"),
        ("محمد", "\ufeaa\ufee4\ufea4\ufee3"),
    ],
)
def test_rtl_names_are_shaped_and_drawn_in_visual_order(render, name, drawn):
    rendered = render(replace(DATA, learner_name=name), font="dejavu", **ONLY_NAME)
    assert "".join(run.text for run in drawn_runs(rendered.content) if run.size == 32) == drawn
    assert not rendered.fast  # outside the prepared repertoire: the general path draws it


def test_uppercase_applies_before_shaping(render):
    rendered = render(replace(DATA, learner_name="Ωmega straße"), font="dejavu", elements={"name": {"uppercase": True}})
    assert "ΩMEGA STRASSE" in page_text(rendered.content)
