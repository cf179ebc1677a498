"""Built-in generation functions.

Signature of every ``generate_*`` function::

    generate_x(*, data: CredentialData, options: dict, load_asset: AssetLoader) -> Artifact

They are pure with respect to our tables: assets come through ``load_asset`` and the
result is returned, never stored here.
"""

import hashlib
import io

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from reportlab.lib.colors import HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import standardFonts, stringWidth
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from ..exceptions import GenerationFailed
from ..registry import Option, declare_options
from . import Artifact, AssetLoader, CredentialData, check_placeholders, fill_placeholders

ALIGNMENTS = ("left", "center", "right")
# Standard elements and their defaults; y is a fraction of the page height unless given in points.
STANDARD_ELEMENTS = {
    "name": {"text": "{name}", "size": 32, "y_fraction": 0.55},
    "context_name": {"text": "{context_name}", "size": 20, "y_fraction": 0.44},
    "issue_date": {"text": "{issue_date}", "size": 12, "y_fraction": 0.33},
    "verify_url": {"text": "Verify at {verify_url}", "size": 9, "y_fraction": 0.07},
}
ELEMENT_KEYS = {"text", "x", "y", "size", "color", "align"}


def _check_elements(elements: dict) -> None:
    for name, element in elements.items():
        if element is False:
            if name not in STANDARD_ELEMENTS:
                raise ValueError(
                    f"'{name}': only standard elements ({', '.join(STANDARD_ELEMENTS)}) can be hidden with false"
                )
            continue
        if not isinstance(element, dict):
            raise ValueError(f"'{name}' must be an object or false")
        unknown = set(element) - ELEMENT_KEYS
        if unknown:
            raise ValueError(f"'{name}' has unknown keys {sorted(unknown)}; accepted: {sorted(ELEMENT_KEYS)}")
        if name not in STANDARD_ELEMENTS and "text" not in element:
            raise ValueError(f"custom element '{name}' needs a text")
        if "text" in element:
            if not isinstance(element["text"], str):
                raise ValueError(f"'{name}'.text must be a string")
            check_placeholders(element["text"])
        for key in ("x", "y", "size"):
            value = element.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
                raise ValueError(f"'{name}'.{key} must be a non-negative number of points")
        if element.get("align", "center") not in ALIGNMENTS:
            raise ValueError(f"'{name}'.align must be one of {', '.join(ALIGNMENTS)}")
        if "color" in element:
            _color(element["color"], name)


def _color(value, name: str):
    try:
        return HexColor(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"'{name}'.color must be a hex colour such as #1a2b3c") from exc


def _check_font(value: str) -> None:
    if value not in standardFonts:
        raise ValueError(f"unknown font; built-in fonts: {', '.join(standardFonts)}")


def _register_font(data: bytes) -> str:
    """Register a TrueType font once per content (registering costs milliseconds); return its name."""
    name = f"lc-{hashlib.sha256(data).hexdigest()[:16]}"
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
        except (TTFError, ValueError, KeyError, OSError) as exc:
            raise GenerationFailed(f"The font cannot be used: {exc}") from exc
    return name


@declare_options(
    template=Option(
        str, help="Slug of the PDF template asset; its first page is the background.", asset_kind="pdf_template"
    ),
    font=Option(str, default="Helvetica", help="Built-in PDF font of the text.", validator=_check_font),
    font_asset=Option(
        (str, type(None)),
        default=None,
        help="Slug of a TrueType font asset; replaces 'font' (needed for names outside Latin-1).",
        asset_kind="font",
    ),
    color=Option(str, default="#000000", help="Default text colour.", validator=lambda v: _color(v, "color")),
    elements=Option(
        dict,
        default={},
        help="Text elements by name: standard ones (name, context_name, issue_date, verify_url) are "
        "adjusted or hidden with false; others are added. Keys: text, x, y (points), size, color, align.",
        validator=_check_elements,
    ),
)
def generate_pdf_credential(*, data: CredentialData, options: dict, load_asset: AssetLoader) -> Artifact:
    """A PDF: the template's first page with the credential's text placed on it."""
    try:
        template = PdfReader(io.BytesIO(load_asset(options["template"])))
        writer = PdfWriter()
        page = writer.add_page(template.pages[0])
    except (PyPdfError, ValueError, KeyError, IndexError) as exc:
        raise GenerationFailed(f"The template '{options['template']}' cannot be used: {exc}") from exc
    width, height = float(page.mediabox.width), float(page.mediabox.height)

    font = _register_font(load_asset(options["font_asset"])) if options["font_asset"] else options["font"]
    overlay = io.BytesIO()
    canvas = Canvas(overlay, pagesize=(width, height))
    elements = {**{name: {} for name in STANDARD_ELEMENTS}, **options["elements"]}
    for name, override in elements.items():
        if override is False:
            continue
        element = {**STANDARD_ELEMENTS.get(name, {}), **override}
        text = fill_placeholders(element["text"], data)
        size = element.get("size", 12)
        x = element.get("x", width / 2)
        y = element.get("y", height * element.get("y_fraction", 0.5))
        canvas.setFont(font, size)
        canvas.setFillColor(_color(element.get("color", options["color"]), name))
        align = element.get("align", "center")
        if align == "center":
            x -= stringWidth(text, font, size) / 2
        elif align == "right":
            x -= stringWidth(text, font, size)
        canvas.drawString(x, y, text)
    canvas.save()
    page.merge_page(PdfReader(overlay).pages[0])

    out = io.BytesIO()
    writer.write(out)
    return Artifact(content=out.getvalue(), content_type="application/pdf", extension="pdf")
