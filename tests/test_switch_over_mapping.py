"""The open-craft plugin's options in our format (switch_over.mapping: pure, no database)."""

import pytest

from learning_credentials.rendering.layout import parse_defaults, parse_elements
from learning_credentials.switch_over.mapping import PLUGIN_RETRIEVAL, asset_slug, options_map

ASSETS = {"certificate-template": "certificate-template", "x" * 70: "x" * 61 + "-2", "custom-font": "custom-font"}


def mapped(options, *, retrieval="completion_and_grades", generation="pdf_credential", type_level=False):
    return options_map(options, retrieval=retrieval, generation=generation, assets=ASSETS, type_level=type_level)


class TestRetrievalOptions:
    def test_fractions_become_percents_and_total_becomes_required_total(self):
        result = mapped({"required_completion": 0.8, "required_grades": {"Homework": 0.4, "Total": 0.755}})
        assert result.options == {
            "required_completion": 80.0,
            "required_grades": {"Homework": 40.0},
            "required_total": 75.5,
        }
        assert result.blocking == []

    def test_a_type_spells_out_the_plugin_s_defaults(self):
        result = mapped({}, type_level=True, generation=None)
        assert result.options == {"required_completion": 90.0, "required_total": 0.0}
        assert mapped({}, generation=None).options == {}  # a configuration inherits them

    def test_only_the_options_its_function_reads(self):
        result = mapped({"required_completion": 0.5, "required_grades": {"Exam": 1}}, retrieval="course_completion")
        assert result.options == {"required_completion": 50.0}

    def test_per_step_options_and_non_numbers_block(self):
        assert mapped({"steps": {"course-v1:A+B+C": {"required_completion": 1}}}).blocking
        assert mapped({"required_completion": "most"}).blocking

    def test_unknown_options_are_noted_not_kept(self):
        result = mapped({"colour_scheme": "blue"})
        assert result.options == {} and "colour_scheme" in result.notes[0]

    def test_built_in_paths_and_others(self):
        assert PLUGIN_RETRIEVAL["learning_credentials.processors.retrieve_completions"] == "course_completion"
        assert "acme.retrieve_custom" not in PLUGIN_RETRIEVAL


class TestPdfOptions:
    def test_text_elements_are_renamed_styled_and_valid_for_our_renderer(self):
        result = mapped(
            {
                "template": "x" * 70,
                "defaults": {"font": "custom-font", "color": "#333", "char_space": 1},
                "text_elements": {
                    "name": {"y": 300, "uppercase": True},
                    "context": {"text": "Custom {context_name}"},
                    "date": False,
                    "award_line": {"text": "Awarded on {issue_date}", "y": 140, "size": 14, "char_space": 0.5},
                },
            },
            type_level=True,
            retrieval=None,
        )
        options = result.options
        assert options["template"] == "x" * 61 + "-2"
        assert options["defaults"]["font"] == "custom-font" and options["defaults"]["letter_spacing"] == 1
        elements = options["elements"]
        assert elements["name"] == {"y": 300, "size": 32, "uppercase": True}
        assert elements["context_name"]["text"] == "Custom {context_name}" and elements["context_name"]["y"] == 220
        assert elements["issue_date"] is False and elements["score"] is False
        award = {"text": "Awarded on {issue_date}", "y": 140, "size": 14, "letter_spacing": 0.5}
        assert elements["award_line"] == award
        parse_defaults(options["defaults"])  # our renderer accepts them
        parse_elements(elements)
        assert result.blocking == []

    def test_a_missing_template_blocks_and_a_missing_font_falls_back_as_the_plugin_did(self):
        result = mapped({"template": "gone", "defaults": {"font": "gone-font"}}, retrieval=None)
        assert result.blocking and result.options["defaults"]["font"] == "Helvetica"
        assert "Helvetica" in result.notes[0]

    def test_the_multiline_template_is_noted(self):
        assert "template_multiline" in mapped({"template_multiline": "certificate-template"}, retrieval=None).notes[0]


@pytest.mark.parametrize(
    ("slug", "taken", "expected"),
    [
        ("short", set(), "short"),
        ("a" * 70, set(), "a" * 61 + "-2"),
        ("a" * 70, {"a" * 61 + "-2"}, "a" * 61 + "-3"),
        ("dup", {"dup"}, "dup-2"),
    ],
)
def test_asset_slugs_fit_and_stay_unique(slug, taken, expected):
    assert asset_slug(slug, set(taken), 64) == expected
