"""The PDF layout: its options, parsed into a spec once per options value, and composed per credential.

A composed Layout says exactly what goes where (runs of text in one font each, images, the QR
code) in the page's visible coordinates; the fast and the general PDF paths only draw it.

Precedence of an element's keys, first found wins: the element in ``elements``, the ``defaults``
option, the element's documented default (STANDARD_ELEMENTS), the top-level ``font``/``font_asset``
and ``color`` options, and GENERAL_DEFAULTS.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ..problems import json_kind, names, shown
from . import FIXED_TEXTS, CredentialData, check_placeholders
from .fonts import STANDARD_FONTS, Font
from .images import PreparedImage
from .qr import QR_BORDER, qr_matrix
from .templates import Matrix, PageGeometry
from .text import drawn_measure, fit, font_runs, glyphs, logical_text, max_descent, visual_line, width

Color = tuple[float, float, float]

ALIGNMENTS = ("left", "center", "right")
GENERAL_DEFAULTS: dict[str, Any] = {
    "font": "Helvetica",
    "size": 12,
    "color": "#000000",
    "align": "center",
    "uppercase": False,
    "letter_spacing": 0,
    "line_height": 1.2,
    "max_width": None,
    "max_height": None,
    "min_size": 6,
}
# Documented defaults of the standard elements. Positions are fractions of the visible page
# (x: its middle); ``score`` is printed only when the credential has a score; the signatory
# elements are printed once given a text.
STANDARD_ELEMENTS: dict[str, dict[str, Any]] = {
    # The name's box ends 12% of the page height below its top: above the context name on pages up to 1,200 pt tall.
    "name": {
        "text": "{name}",
        "size": 32,
        "y_ratio": 0.55,
        "max_width_ratio": 0.8,
        "max_height_ratio": 0.12,
        "min_size": 14,
    },
    "context_name": {"text": "{context_name}", "size": 20, "y_ratio": 0.44, "max_width_ratio": 0.8, "min_size": 10},
    "issue_date": {"text": "{issue_date}", "size": 12, "y_ratio": 0.33},
    "score": {"text": FIXED_TEXTS["score"], "size": 12, "y_ratio": 0.28, "needs_score": True},
    "signatory_name": {"text": "", "size": 12, "y_ratio": 0.17},
    "signatory_title": {"text": "", "size": 10, "y_ratio": 0.14},
    "verify_url": {"text": FIXED_TEXTS["verify_url"], "size": 9, "y_ratio": 0.07},
    "verify_code": {"text": FIXED_TEXTS["verify_code"], "size": 9, "y_ratio": 0.045},
}
STYLE_KEYS = frozenset(GENERAL_DEFAULTS)
ELEMENT_KEYS = STYLE_KEYS | {"text", "x", "y"}
IMAGE_KEYS = frozenset({"image", "x", "y", "width", "height"})
QR_KEYS = frozenset({"x", "y", "size", "color", "background"})
QR_DEFAULT_SIZE = 72
QR_DEFAULT_MARGIN = 36
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


# --- option values -------------------------------------------------------------------------


def _number(value: Any, where: str, *, minimum: float | None = 0, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("%(where)s must be a number, not %(kind)s") % {"where": where, "kind": json_kind(value)})
    if positive and value <= 0:
        raise ValueError(_("%(where)s must be greater than 0") % {"where": where})
    if minimum is not None and value < minimum:
        raise ValueError(_("%(where)s must be at least %(minimum)s") % {"where": where, "minimum": minimum})
    return float(value)


def parse_color(value: Any, where: str) -> Color:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(
            _("%(where)s must be a hex colour such as #1a2b3c, not '%(value)s'")
            % {"where": where, "value": shown(value)}
        )
    digits = value[1:] if len(value) == 7 else "".join(c * 2 for c in value[1:])
    return tuple(int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))


def check_font_name(value: Any, where: str = "font") -> str:
    """A built-in font name or a font asset's slug (the asset must be a TrueType font)."""
    if not isinstance(value, str) or not (value in STANDARD_FONTS or _SLUG.fullmatch(value)):
        raise ValueError(
            _(
                "%(where)s names the unknown font '%(value)s': use a built-in font (%(fonts)s) or the slug of a "
                "TrueType font asset"
            )
            % {"where": where, "value": shown(value), "fonts": ", ".join(STANDARD_FONTS)}
        )
    return value


def _style_value(key: str, value: Any, where: str) -> Any:
    where = f"{where}.{key}"
    if key == "text":
        if not isinstance(value, str):
            raise ValueError(_("%(where)s must be a string") % {"where": where})
        check_placeholders(value)
        return value
    if key in ("x", "y"):
        return _number(value, where)
    if key in ("size", "min_size", "line_height"):
        return _number(value, where, positive=True)
    if key == "letter_spacing":
        return _number(value, where, minimum=None)
    if key in ("max_width", "max_height"):
        return None if value is None else _number(value, where, positive=True)
    if key == "align":
        if value not in ALIGNMENTS:
            raise ValueError(_("%(where)s must be one of %(values)s") % {"where": where, "values": names(ALIGNMENTS)})
        return value
    if key == "font":
        return check_font_name(value, where)
    if key == "color":
        parse_color(value, where)
        return value
    if key == "uppercase":
        if not isinstance(value, bool):
            raise ValueError(_("%(where)s must be true or false") % {"where": where})
        return value
    raise AssertionError(key)


def _keys(value: Any, where: str, allowed: frozenset[str]) -> dict:
    if not isinstance(value, dict):
        raise ValueError(_("%(where)s must be an object") % {"where": where})
    _no_unknown_keys(value, where, allowed)
    return {key: _style_value(key, item, where) if key in ELEMENT_KEYS else item for key, item in value.items()}


def _no_unknown_keys(value: dict, where: str, allowed: frozenset[str]) -> None:
    unknown = set(value) - allowed
    if unknown:
        raise ValueError(
            _("%(where)s has unknown keys %(unknown)s; accepted: %(accepted)s")
            % {"where": where, "unknown": names(unknown), "accepted": names(allowed)}
        )


def parse_defaults(value: Any) -> dict:
    """The ``defaults`` option: style keys only (no text or position)."""
    return _keys(value, "defaults", STYLE_KEYS)


def parse_elements(value: Any) -> dict[str, dict | bool]:
    """The ``elements`` option: standard elements adjusted or hidden (false), custom ones added."""
    if not isinstance(value, dict):
        raise ValueError(_("%(where)s must be an object") % {"where": "elements"})
    parsed: dict[str, dict | bool] = {}
    for name, element in value.items():
        if element is False:
            if name not in STANDARD_ELEMENTS:
                raise ValueError(
                    _("elements.%(name)s: only standard elements (%(standard)s) can be hidden with false")
                    % {"name": shown(name), "standard": ", ".join(STANDARD_ELEMENTS)}
                )
            parsed[name] = False
            continue
        if not isinstance(element, dict):
            raise ValueError(_("elements.%(name)s must be an object or false") % {"name": shown(name)})
        if name not in STANDARD_ELEMENTS and "text" not in element:
            raise ValueError(_("elements.%(name)s is a custom element: it needs a text") % {"name": shown(name)})
        parsed[name] = _keys(element, f"elements.{name}", ELEMENT_KEYS)
    return parsed


def parse_images(value: Any) -> dict[str, dict]:
    """The ``images`` option: name -> image asset slug, lower-left corner and width and/or height."""
    if not isinstance(value, dict):
        raise ValueError(_("%(where)s must be an object") % {"where": "images"})
    parsed = {}
    for name, image in value.items():
        where = f"images.{shown(name)}"
        if not isinstance(image, dict):
            raise ValueError(_("%(where)s must be an object") % {"where": where})
        _no_unknown_keys(image, where, IMAGE_KEYS)
        if not isinstance(image.get("image"), str) or not _SLUG.fullmatch(image["image"]):
            raise ValueError(_("%(where)s.image must be the slug of an image asset") % {"where": where})
        if "width" not in image and "height" not in image:
            raise ValueError(_("%(where)s needs a width, a height or both") % {"where": where})
        for key in ("x", "y"):
            if key not in image:
                raise ValueError(_("%(where)s is required") % {"where": f"{where}.{key}"})
        parsed[name] = {
            "image": image["image"],
            "x": _number(image["x"], f"{where}.x"),
            "y": _number(image["y"], f"{where}.y"),
            **{
                key: _number(image[key], f"{where}.{key}", positive=True) for key in ("width", "height") if key in image
            },
        }
    return parsed


def parse_qr(value: Any) -> dict | None:
    """The ``qr`` option: false (none), true (documented placement) or an object."""
    if value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise ValueError(_("qr must be true, false or an object"))
    _no_unknown_keys(value, "qr", QR_KEYS)
    parsed = {key: _number(value[key], f"qr.{key}") for key in ("x", "y") if key in value}
    if "size" in value:
        parsed["size"] = _number(value["size"], "qr.size", positive=True)
    if "color" in value:
        parsed["color"] = parse_color(value["color"], "qr.color")
    if "background" in value:
        parsed["background"] = (
            None if value["background"] is None else parse_color(value["background"], "qr.background")
        )
    return parsed


# --- spec, compiled once per options value --------------------------------------------------


@dataclass(frozen=True)
class ElementSpec:
    """One text element with every key resolved except what depends on the page size."""

    name: str
    text: str
    font: str
    size: float
    color: Color
    align: str
    uppercase: bool
    letter_spacing: float
    line_height: float
    min_size: float
    max_width: float | None
    x: float | None
    y: float | None
    y_ratio: float = 0.5
    max_width_ratio: float | None = None
    max_height: float | None = None
    max_height_ratio: float | None = None
    needs_score: bool = False
    # The FIXED_TEXTS key of its text while the options keep the documented one: drawn in the credential's language.
    fixed_text: str = ""


@dataclass(frozen=True)
class LayoutSpec:
    template: str
    template_page: int
    fallback_font: str | None
    elements: tuple[ElementSpec, ...]
    images: Mapping[str, dict] = field(default_factory=dict)
    qr: dict | None = None

    @property
    def fonts(self) -> tuple[str, ...]:
        """Font names and slugs the elements use, in first-use order."""
        return tuple(dict.fromkeys(element.font for element in self.elements))


def compile_spec(options: Mapping[str, Any]) -> LayoutSpec:
    """Resolve validated options into a LayoutSpec (see the module docstring for precedence)."""
    base = {**GENERAL_DEFAULTS, "font": options["font_asset"] or options["font"], "color": options["color"]}
    defaults = parse_defaults(options["defaults"])
    configured = parse_elements(options["elements"])
    elements = []
    for name in [*STANDARD_ELEMENTS, *(n for n in configured if n not in STANDARD_ELEMENTS)]:
        own = configured.get(name, {})
        if own is False:
            continue
        documented = STANDARD_ELEMENTS.get(name, {})
        merged = {**base, **documented, **defaults, **own}
        elements.append(
            ElementSpec(
                name=name,
                text=merged["text"],
                font=merged["font"],
                size=merged["size"],
                color=parse_color(merged["color"], f"elements.{name}.color"),
                align=merged["align"],
                uppercase=merged["uppercase"],
                letter_spacing=merged["letter_spacing"],
                line_height=merged["line_height"],
                min_size=min(merged["min_size"], merged["size"]),
                max_width=merged["max_width"],
                x=merged.get("x"),
                y=merged.get("y"),
                y_ratio=documented.get("y_ratio", 0.5),
                # A max_width given anywhere (even null in defaults) replaces the documented ratio.
                max_width_ratio=None if "max_width" in {**defaults, **own} else documented.get("max_width_ratio"),
                max_height=merged["max_height"],
                max_height_ratio=None if "max_height" in {**defaults, **own} else documented.get("max_height_ratio"),
                needs_score=documented.get("needs_score", False),
                fixed_text=name if name in STANDARD_ELEMENTS and name in FIXED_TEXTS and "text" not in own else "",
            )
        )
    return LayoutSpec(
        template=options["template"],
        template_page=options["template_page"],
        fallback_font=options["fallback_font"],
        elements=tuple(elements),
        images=parse_images(options["images"]),
        qr=parse_qr(options["qr"]),
    )


# --- layout, composed per credential --------------------------------------------------------


@dataclass(frozen=True)
class TextRun:
    """Text in one font, drawn left to right from (x, y) on the baseline."""

    font: Font
    size: float
    x: float
    y: float
    text: str
    color: Color
    spacing: float


@dataclass(frozen=True)
class PlacedImage:
    image: PreparedImage
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class PlacedQR:
    """The code's square (quiet zone included) at (x, y), ``module`` points per module."""

    x: float
    y: float
    size: float
    module: float
    color: Color
    background: Color | None
    matrix: Sequence[bytearray]


@dataclass(frozen=True)
class Layout:
    matrix: Matrix
    images: tuple[PlacedImage, ...]
    runs: tuple[TextRun, ...]
    qr: PlacedQR | None


def compose(
    spec: LayoutSpec,
    data: CredentialData,
    *,
    page: PageGeometry,
    fonts: Mapping[str, Font],
    fallbacks: Sequence[Font],
    images: Mapping[str, PreparedImage],
) -> Layout:
    """Everything to draw for one credential, in the page's visible coordinates."""
    values = data.placeholders()
    runs: list[TextRun] = []
    for element in spec.elements:
        if element.needs_score and data.score is None:
            continue
        template = data.wording.get(element.fixed_text) or element.text if element.fixed_text else element.text
        text = logical_text(template.format_map(values), uppercase=element.uppercase)
        if text:
            runs.extend(_element_runs(element, text, page, (fonts[element.font], *fallbacks)))
    return Layout(
        matrix=page.matrix,
        images=tuple(_placed_image(images[name], placement) for name, placement in spec.images.items()),
        runs=tuple(runs),
        qr=_placed_qr(spec.qr, data.qr_url or data.verify_url, page) if spec.qr is not None else None,
    )


def _element_runs(element: ElementSpec, text: str, page: PageGeometry, chain: Sequence[Font]) -> list[TextRun]:
    name, spacing, size = element.name, element.letter_spacing, element.size
    max_width = element.max_width
    if max_width is None and element.max_width_ratio is not None:
        max_width = element.max_width_ratio * page.width
    visual = visual_line(text)
    fonts, advances = glyphs(visual, chain, name)
    lines = [visual]
    if max_width is not None and width(advances, size, spacing) > max_width:  # the common case skips this
        max_height = element.max_height
        if max_height is None and element.max_height_ratio is not None:
            max_height = element.max_height_ratio * page.height
        size, logical_lines = fit(
            text,
            advances,
            size=size,
            spacing=spacing,
            max_width=max_width,
            min_size=element.min_size,
            line_height=element.line_height,
            # The box's top is one size above the first baseline, so the lines have the rest below it.
            max_depth=None if max_height is None else max_height - element.size,
            descent=lambda: max_descent(fonts),
            measure=None if visual == text else drawn_measure(text, chain, name),
        )
        if len(logical_lines) > 1:
            lines = [visual_line(line) for line in logical_lines]
    x = page.width / 2 if element.x is None else element.x
    y = element.y_ratio * page.height if element.y is None else element.y
    runs = []
    for number, line in enumerate(lines):
        if len(lines) > 1:
            fonts, advances = glyphs(line, chain, name)
        line_width = width(advances, size, spacing)
        cursor = {"left": x, "center": x - line_width / 2, "right": x - line_width}[element.align]
        baseline = y - number * element.line_height * size
        for font, chunk, units in font_runs(line, fonts, advances):
            runs.append(TextRun(font, size, cursor, baseline, chunk, element.color, spacing))
            cursor += units * size / 1000 + spacing * len(chunk)
    return runs


def _placed_image(image: PreparedImage, placement: dict) -> PlacedImage:
    """Scaled to the given width and/or height keeping its aspect ratio (inside the box when both)."""
    scale = min(
        placement.get("width", float("inf")) / image.width,
        placement.get("height", float("inf")) / image.height,
    )
    return PlacedImage(image, placement["x"], placement["y"], image.width * scale, image.height * scale)


def _placed_qr(options: dict, url: str, page: PageGeometry) -> PlacedQR:
    size = options.get("size", QR_DEFAULT_SIZE)
    matrix = qr_matrix(url)
    return PlacedQR(
        x=options.get("x", page.width - QR_DEFAULT_MARGIN - size),
        y=options.get("y", QR_DEFAULT_MARGIN),
        size=size,
        module=size / (len(matrix) + 2 * QR_BORDER),
        color=options.get("color", (0.0, 0.0, 0.0)),
        background=options.get("background", (1.0, 1.0, 1.0)),
        matrix=matrix,
    )


# --- assets named inside options (checked against the database when options are saved) -----------


def _font_ref(path: str, value: Any) -> list[tuple[str, str, str]]:
    return [] if not isinstance(value, str) or value in STANDARD_FONTS else [(path, value, "font")]


def font_refs(value: Any) -> list[tuple[str, str, str]]:
    return _font_ref("font", value)


def defaults_refs(value: dict) -> list[tuple[str, str, str]]:
    return _font_ref("defaults.font", value.get("font"))


def elements_refs(value: dict) -> list[tuple[str, str, str]]:
    return [
        ref
        for name, element in value.items()
        if isinstance(element, dict)
        for ref in _font_ref(f"elements.{name}.font", element.get("font"))
    ]


def images_refs(value: dict) -> list[tuple[str, str, str]]:
    return [
        (f"images.{name}.image", image["image"], "image")
        for name, image in value.items()
        if isinstance(image, dict) and isinstance(image.get("image"), str)
    ]
