"""Built-in generation functions.

Signature of every ``generate_*`` function::

    generate_x(*, data: CredentialData, options: dict, load_asset: AssetLoader) -> Artifact

They are pure with respect to our tables: assets come through ``load_asset`` and the
result is returned, never stored here.
"""

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from ..exceptions import GenerationFailed, InvalidOptions, LearningCredentialsError
from ..registry import Option, OptionProblem, declare_options, resolve_options, validate_options
from . import Artifact, Asset, AssetLoader, CredentialData, as_asset, document_info
from .cache import BoundedCache
from .fonts import STANDARD_FONTS, Font, standard_font, system_fallback_fonts, truetype_font
from .images import prepared_image
from .layout import (
    LayoutSpec,
    check_font_name,
    compile_spec,
    compose,
    defaults_refs,
    elements_refs,
    font_refs,
    images_refs,
    parse_color,
    parse_defaults,
    parse_elements,
    parse_images,
    parse_qr,
)
from .overlay import render_general
from .skeleton import skeleton_for
from .templates import prepared_template


def _check_page(value: int) -> None:
    if value < 1:
        raise OptionProblem()  # the option's ``expects`` says what is right


@declare_options(
    template=Option(str, help="Slug of the PDF template asset.", asset_kind="pdf_template"),
    template_page=Option(
        int,
        default=1,
        help="Which page of the template is the background.",
        validator=_check_page,
        expects=gettext_lazy("a page number: 1 for the first page"),
    ),
    font=Option(
        str,
        default="Helvetica",
        help="Base font: a built-in font or a TrueType font asset slug.",
        validator=check_font_name,
        asset_refs=font_refs,
    ),
    font_asset=Option(
        (str, type(None)), default=None, help="Slug of a TrueType font asset; replaces 'font'.", asset_kind="font"
    ),
    fallback_font=Option(
        (str, type(None)),
        default=None,
        help="Slug of a TrueType font asset for glyphs the element's font lacks; system fonts follow it.",
        asset_kind="font",
    ),
    color=Option(str, default="#000000", help="Base text colour.", validator=lambda v: parse_color(v, "color")),
    defaults=Option(
        dict,
        default={},
        help="Style keys applied to every element.",
        validator=parse_defaults,
        asset_refs=defaults_refs,
    ),
    elements=Option(
        dict,
        default={},
        help="Text elements: standard ones adjusted or hidden, custom ones added.",
        validator=parse_elements,
        asset_refs=elements_refs,
    ),
    images=Option(
        dict,
        default={},
        help="Image elements (logo, signature) by name.",
        validator=parse_images,
        asset_refs=images_refs,
    ),
    qr=Option(
        (bool, dict), default=False, help="QR code of the verify URL: false, true or a placement.", validator=parse_qr
    ),
)
def generate_pdf_credential(*, data: CredentialData, options: dict, load_asset: AssetLoader) -> Artifact:
    """A PDF: the chosen template page with the credential's text, images and QR code drawn on it."""
    rendered = render_pdf(data=data, options=options, load_asset=load_asset)
    return Artifact(
        content=rendered.content,
        content_type="application/pdf",
        extension="pdf",
        template_version=rendered.template_version,
        sha256=rendered.sha256,
    )


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    template_version: str
    fast: bool  # whether the prepared fast path drew it
    sha256: str = ""  # of content, when the fast path had it cheaply


# One render at a time per process: the cached fonts are reportlab TTFont objects, whose subsetting
# reads the font through one shared file position and keeps per-document state, so two threads
# (on-demand's pool, a threaded web server) embedding the same font would read each other's glyphs.
# Rendering is pure Python under the GIL, so threads lose no parallelism to it.
_render_lock = threading.Lock()


def render_pdf(
    *, data: CredentialData, options: Mapping[str, Any], load_asset: AssetLoader, allow_fast: bool = True
) -> RenderedPdf:
    """Render one credential; the fast path when it can draw everything, else the general path."""
    try:
        with _render_lock:
            return _render(data, _spec(options), load_asset, allow_fast)
    except GenerationFailed:
        raise
    except LearningCredentialsError as exc:
        raise GenerationFailed(exc.message) from exc


_specs: BoundedCache[str, LayoutSpec] = BoundedCache(max_entries=64)


def _spec(options: Mapping[str, Any]) -> LayoutSpec:
    """Options validated and compiled once per distinct value (a type's defaults may change under a configuration)."""
    resolved = resolve_options(generate_pdf_credential, dict(options))

    def build() -> LayoutSpec:
        try:
            validate_options([generate_pdf_credential], resolved)
        except InvalidOptions as exc:
            raise GenerationFailed(f"The PDF options are invalid: {exc.message}") from exc
        return compile_spec(resolved)

    return _specs.get(json.dumps(resolved, sort_keys=True, default=repr), build)


def _render(data: CredentialData, spec: LayoutSpec, load_asset: AssetLoader, allow_fast: bool) -> RenderedPdf:
    template = prepared_template(_load(load_asset, spec.template, "template"))
    page = template.geometry(spec.template_page)
    fonts = {name: _font(load_asset, name) for name in spec.fonts}
    configured = (truetype_font(_load(load_asset, spec.fallback_font, "fallback font")),) if spec.fallback_font else ()
    fallbacks = (*configured, *system_fallback_fonts())
    images = {
        name: prepared_image(_load(load_asset, placement["image"], "image")) for name, placement in spec.images.items()
    }
    layout = compose(spec, data, page=page, fonts=fonts, fallbacks=fallbacks, images=images)
    info = document_info(data)
    if allow_fast:
        primaries = tuple({font.key: font for font in fonts.values()}.values())
        unique_images = tuple({image.key: image for image in images.values()}.values())
        skeleton = skeleton_for(template, spec.template_page, primaries, fallbacks, unique_images)
        if skeleton.can_draw(layout):
            content = skeleton.render(layout, info=info, attachments=data.attachments)
            return RenderedPdf(content, template.version, fast=True, sha256=skeleton.sha256(content))
    content = render_general(template, spec.template_page, layout, info=info, attachments=data.attachments)
    return RenderedPdf(content, template.version, fast=False)


def _font(load_asset: AssetLoader, name: str) -> Font:
    if name in STANDARD_FONTS:
        return standard_font(name)
    return truetype_font(_load(load_asset, name, "font"))


def _load(load_asset: AssetLoader, slug: str, what: str) -> Asset:
    try:
        return as_asset(slug, load_asset(slug))
    except LearningCredentialsError as exc:
        raise GenerationFailed(f"The {what} '{slug}' cannot be loaded: {exc.message}") from exc
