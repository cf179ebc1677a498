"""The open-craft plugin's functions and options, translated into ours (pure: data in, data out).

Its options hold fractions (0.9) where ours hold percents (90), a "Total" entry among the grade
minimums where ours has ``required_total``, and PDF text elements named ``context``/``date``
with ``char_space`` where ours are ``context_name``/``issue_date`` with ``letter_spacing``.
Defaults differ too (its completion minimum is 0.9 when unset, its grade total 0, its text sits
at fixed heights in Helvetica), so a type's mapped options spell its defaults out: the first run
after the switch decides as the plugin did, and new PDFs keep its layout.
"""

from dataclasses import dataclass, field
from typing import Any

from ..problems import shown

PLUGIN_RETRIEVAL = {
    "learning_credentials.processors.retrieve_completions": "course_completion",
    "learning_credentials.processors.retrieve_subsection_grades": "subsection_grades",
    "learning_credentials.processors.retrieve_completions_and_grades": "completion_and_grades",
}
PLUGIN_GENERATION = {"learning_credentials.generators.generate_pdf_credential": "pdf_credential"}
USES_COMPLETION = frozenset({"course_completion", "completion_and_grades"})
USES_GRADES = frozenset({"subsection_grades", "completion_and_grades"})
PLUGIN_COMPLETION_DEFAULT = 0.9
# Its text elements' defaults (generators._get_defaults in 0.5.3) and general styling.
PLUGIN_ELEMENTS = {
    "name": {"y": 290, "size": 32},
    "context": {"y": 220, "size": 28, "line_height": 1.1},
    "date": {"y": 120, "size": 12},
}
PLUGIN_STYLE = {"font": "Helvetica", "color": "#000", "size": 12, "letter_spacing": 0, "line_height": 1.1}
ELEMENT_NAMES = {"name": "name", "context": "context_name", "date": "issue_date"}
STYLE_NAMES = {"char_space": "letter_spacing"}
ELEMENT_KEYS = frozenset({"text", "y", "size", "font", "color", "char_space", "uppercase", "line_height"})
STYLE_KEYS = ELEMENT_KEYS - {"text", "y"}
BUILT_IN_FONTS = frozenset(
    {
        "Courier", "Courier-Bold", "Courier-BoldOblique", "Courier-Oblique", "Helvetica", "Helvetica-Bold",
        "Helvetica-BoldOblique", "Helvetica-Oblique", "Symbol", "Times-Bold", "Times-BoldItalic", "Times-Italic",
        "Times-Roman", "ZapfDingbats",
    }
)  # fmt: skip


@dataclass
class Mapped:
    """Options in our format, what was left behind, and whether that forbids issuing with them."""

    options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)


def _percent(value: Any, where: str, mapped: Mapped) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        mapped.blocking.append(f"{where} is '{shown(value)}', not a number")
        return None
    return round(float(value) * 100, 2)


def _retrieval(options: dict, retrieval: str, mapped: Mapped) -> None:
    if "required_completion" in options and retrieval in USES_COMPLETION:
        mapped.options["required_completion"] = _percent(options["required_completion"], "required_completion", mapped)
    grades = options.get("required_grades")
    if grades is not None and retrieval in USES_GRADES:
        if not isinstance(grades, dict):
            mapped.blocking.append(f"required_grades is '{shown(grades)}', not an object")
            return
        minimums = {}
        for category, minimum in grades.items():
            percent = _percent(minimum, f"required_grades.{category}", mapped)
            if str(category).lower() == "total":
                mapped.options["required_total"] = percent
            else:
                minimums[str(category)] = percent
        mapped.options["required_grades"] = minimums
    if options.get("steps"):
        mapped.blocking.append(
            "per-step options of a learning path ('steps') have no equivalent: here every step meets the same minimums"
        )


def _font(value: Any, assets: dict[str, str], where: str, mapped: Mapped) -> str:
    if value in BUILT_IN_FONTS:
        return value
    if value in assets:
        return assets[value]
    mapped.notes.append(f"{where}: no font asset '{shown(value)}'; Helvetica is used, as the plugin did")
    return "Helvetica"


def _style(element: dict, assets: dict[str, str], where: str, mapped: Mapped) -> dict:
    styled = {}
    for key, value in element.items():
        if key not in ELEMENT_KEYS:
            mapped.notes.append(f"{where}.{key} is not a text element option; left out")
        elif key == "font":
            styled["font"] = _font(value, assets, f"{where}.font", mapped)
        else:
            styled[STYLE_NAMES.get(key, key)] = value
    return styled


def _generation(options: dict, assets: dict[str, str], mapped: Mapped, *, spell_out_defaults: bool) -> None:
    if "template" in options:
        template = options["template"]
        if template in assets:
            mapped.options["template"] = assets[template]
        else:
            mapped.blocking.append(f"template '{shown(template)}' is not one of the plugin's assets")
    if options.get("template_multiline"):
        mapped.notes.append(
            "template_multiline (another template for two-line course names) has no equivalent; "
            "the one template is used for every name"
        )
    defaults = options.get("defaults")
    if isinstance(defaults, dict):
        mapped.options["defaults"] = {
            key: value for key, value in _style(defaults, assets, "defaults", mapped).items() if key != "text"
        }
    elements: dict[str, Any] = {}
    if spell_out_defaults:
        mapped.options["defaults"] = {**PLUGIN_STYLE, **mapped.options.get("defaults", {})}
        elements = {ELEMENT_NAMES[name]: dict(values) for name, values in PLUGIN_ELEMENTS.items()}
        # The plugin printed neither a score nor a verification link; keep its look, the link excepted.
        elements["score"] = False
    for name, element in (options.get("text_elements") or {}).items():
        ours = ELEMENT_NAMES.get(name, name)
        if element is False:
            elements[ours] = False if ours in ELEMENT_NAMES.values() else None
        elif isinstance(element, dict):
            base = elements.get(ours) if isinstance(elements.get(ours), dict) else {}
            elements[ours] = {**base, **_style(element, assets, f"text_elements.{name}", mapped)}
        else:
            mapped.blocking.append(f"text_elements.{name} is '{shown(element)}', not an object or false")
    elements = {name: value for name, value in elements.items() if value is not None}
    if elements:
        mapped.options["elements"] = elements


def options_map(
    options: dict, *, retrieval: str | None, generation: str | None, assets: dict[str, str], type_level: bool
) -> Mapped:
    """One options dict (a type's defaults or a configuration's overrides) in our format.

    ``assets``: the plugin's asset slugs -> ours. A type's options also spell out the plugin's
    defaults (completion 90 %, grade total 0, its text layout), which configurations inherit.
    """
    mapped = Mapped()
    if not isinstance(options, dict):
        mapped.blocking.append(f"options are '{shown(options)}', not an object")
        return mapped
    if retrieval is not None:
        if type_level and retrieval in USES_COMPLETION:
            mapped.options["required_completion"] = PLUGIN_COMPLETION_DEFAULT * 100
        if type_level and retrieval in USES_GRADES:
            mapped.options["required_total"] = 0.0
        _retrieval(options, retrieval, mapped)
    if generation is not None:
        _generation(options, assets, mapped, spell_out_defaults=type_level)
    known = {"required_completion", "required_grades", "steps", "template", "template_multiline"}
    known |= {"defaults", "text_elements"}
    for key in sorted(set(options) - known):
        mapped.notes.append(f"option '{shown(key)}' is not one of the plugin's built-in options; left out")
    return mapped


def asset_slug(slug: str, taken: set[str], max_length: int) -> str:
    """The plugin's slug, shortened when longer than ours may be, and unique among ``taken`` (updated)."""
    if len(slug) <= max_length and slug not in taken:
        taken.add(slug)
        return slug
    stem, number = slug[: max_length - 3].rstrip("-_") or "asset", 2
    while (candidate := f"{stem[: max_length - len(str(number)) - 1]}-{number}") in taken:
        number += 1
    taken.add(candidate)
    return candidate
