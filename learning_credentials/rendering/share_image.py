"""Share images: a picture of the credential for link previews (LinkedIn: 1200x627) and posts.

Pure: takes the credential's facts and returns image bytes. Pillow lays text out with raqm
(bundled in its wheels), so Arabic and Hebrew are shaped and ordered; each line is set in
the first font of the chain that has all of its characters.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase.ttfonts import TTFontFile

from ..exceptions import GenerationFailed
from ..problems import names
from ..registry import Option, OptionProblem, declare_options
from . import AssetLoader, as_asset, fixed_text
from .images import image_open, image_page_sized
from .text import break_spans, largest, wrap

FORMATS = {"png": ("PNG", "image/png"), "jpeg": ("JPEG", "image/jpeg")}
# Fonts tried after the configured one: DejaVu (Latin, Greek, Cyrillic, Arabic, Hebrew), then IPA Gothic (CJK).
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
# Public statuses that stamp the image, each with its FIXED_TEXTS key.
STAMPS = {status: f"stamp_{status}" for status in ("revoked", "superseded", "renewed", "suspended", "expired")}
# Below this the name would be unreadable; a 255-character name fits well above it at 1200 x 627.
SMALLEST_NAME_SIZE = 8


def _check(value: dict) -> None:
    unknown = set(value) - {"background", "font_asset", "color", "accent"}
    if unknown:
        raise OptionProblem(
            gettext_lazy(
                "%(name)s has unknown keys %(unknown)s; accepted: 'accent', 'background', 'color', 'font_asset'."
            ),
            unknown=names(unknown),
        )
    for key in ("color", "accent"):
        if key in value:
            try:
                Image.new("RGB", (1, 1), value[key])
            except (ValueError, TypeError):
                raise OptionProblem(
                    gettext_lazy("%(name)s.%(key)s must be a colour such as #1a2b3c."), key=key
                ) from None


@declare_options(
    share_image=Option(
        dict,
        default={},
        help="Share image: background (image asset slug), font_asset (TTF asset slug), color and accent (hex).",
        validator=_check,
        asset_refs=lambda value: [
            (f"share_image.{key}", value[key], kind)
            for key, kind in (("background", "image"), ("font_asset", "font"))
            if isinstance(value.get(key), str)
        ],
    )
)
def share_image_options(**kwargs) -> None:
    """Declares the share-image options every credential type accepts (validated with the type's functions)."""


@dataclass(frozen=True)
class ShareImageData:
    learner_name: str
    type_name: str
    context_name: str
    issuer: str
    issue_date: str
    verify_url: str
    verify_code: str
    score: str = ""
    public_status: str = "valid"
    # FIXED_TEXTS translated into the credential's language by the caller (a missing key prints the English),
    # and whether that language reads right to left (the lines then keep to the right margin).
    wording: Mapping[str, str] = field(default_factory=dict)
    right_to_left: bool = False


@lru_cache(maxsize=32)
def _coverage(source: str | bytes) -> frozenset[int]:
    data = Path(source).read_bytes() if isinstance(source, str) else source
    return frozenset(TTFontFile(io.BytesIO(data)).charToGlyph)


def _font_chain(options: dict, load_asset: AssetLoader) -> list[str | bytes]:
    chain: list[str | bytes] = []
    if options.get("font_asset"):
        chain.append(as_asset(options["font_asset"], load_asset(options["font_asset"])).data)
    chain.extend(path for path in SYSTEM_FONTS if Path(path).exists())
    return chain


def _source_for(text: str, chain: list[str | bytes]) -> str | bytes | None:
    """The first font of the chain with every character of ``text`` (else the first one: a box beats nothing)."""
    needed = {ord(ch) for ch in text if not ch.isspace()}
    return next((source for source in chain if needed <= _coverage(source)), chain[0] if chain else None)


def _load(source: str | bytes | None, size: int) -> ImageFont.FreeTypeFont:
    if source is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(io.BytesIO(source) if isinstance(source, bytes) else source, size)


def _font_for(text: str, chain: list[str | bytes], size: int) -> ImageFont.FreeTypeFont:
    return _load(_source_for(text, chain), size)


def _fit(draw, text: str, chain, size: int, max_width: int, min_size: int = 18) -> ImageFont.FreeTypeFont:
    """The largest font size from ``size`` down to ``min_size`` at which ``text`` fits ``max_width``."""
    font = _font_for(text, chain, size)
    while size > min_size and draw.textlength(text, font=font) > max_width:
        size -= 2
        font = _font_for(text, chain, size)
    return font


def _line_pitch(font: ImageFont.FreeTypeFont) -> int:
    return round(font.size * 1.2)


def _block_advance(font: ImageFont.FreeTypeFont, lines: int) -> int:
    """From the top of a block of ``lines`` to where the next text starts (one line advances as the others do)."""
    return (lines - 1) * _line_pitch(font) + int(font.size * 1.45)


def _fit_block(
    draw, text: str, chain, *, size: int, min_size: int, max_width: int, max_height: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The name in its area: one line shrunk down to ``min_size``, else wrapped, smaller until the lines fit.

    Lines are broken in logical order; Pillow (raqm) shapes and orders each line as it draws it.
    """
    source = _source_for(text, chain)
    font = _fit(draw, text, [source] if source is not None else [], size, max_width, min_size)
    if draw.textlength(text, font=font) <= max_width:
        return font, [text]
    spans = break_spans(text)

    def wrapped(size: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
        font = _load(source, size)
        return font, wrap(text, spans, lambda start, end: draw.textlength(text[start:end], font=font) <= max_width)

    def inside(block: tuple[ImageFont.FreeTypeFont, list[str]]) -> bool:
        return _block_advance(block[0], len(block[1])) <= max_height

    best = wrapped(font.size)
    if inside(best):
        return best
    return largest(SMALLEST_NAME_SIZE, font.size - 1, wrapped, inside) or wrapped(SMALLEST_NAME_SIZE)


@dataclass(frozen=True)
class PlacedText:
    """A text the share image draws, with Pillow's default anchor (left, ascender) at ``xy``."""

    role: str
    xy: tuple[int, int]
    text: str
    font: ImageFont.FreeTypeFont
    fill: str


def share_image_texts(
    draw, *, data: ShareImageData, chain: list[str | bytes], size: tuple[int, int], color: str, accent: str
) -> list[PlacedText]:
    """Where every text of the share image goes; the name keeps to the room the other lines leave it."""
    width, height = size
    margin = width // 14
    usable = width - 2 * margin
    placed = []
    label = fixed_text(data.wording, STAMPS[data.public_status]) if data.public_status in STAMPS else ""
    if label:  # a stamp on the right; the text keeps to the left of it
        stamp = _font_for(label, chain, 64 * width // 1200)
        box = draw.textbbox((0, 0), label, font=stamp)
        stamp_width, stamp_height = box[2] - box[0], box[3] - box[1]
        pad = 16 * width // 1200
        placed.append(
            PlacedText("stamp", (width - margin - stamp_width, height // 2 - stamp_height - box[1]), label, stamp, "")
        )
        usable -= stamp_width + 3 * pad
    footer_text = fixed_text(data.wording, "share_footer").format(
        verify_code=data.verify_code, verify_url=data.verify_url
    )
    footer = _fit(draw, footer_text, chain, 24 * width // 1200, width - 2 * margin, min_size=10)
    footer_y = height - height // 7
    score = data.score and fixed_text(data.wording, "share_score").format(score=data.score)
    date = " · ".join(part for part in (data.issue_date, score) if part)
    before = [("issuer", data.issuer, 30, accent), ("type_name", data.type_name, 44, color)]
    after = [("context_name", data.context_name, 40, color), ("date", date, 30, color)]
    fonts = {
        role: _fit(draw, text, chain, font_size * width // 1200, usable)
        for role, text, font_size, _ in (*before, *after)
        if text
    }
    y = height // 9
    for role, text, _, fill in before:
        if text:
            placed.append(PlacedText(role, (margin, y), text, fonts[role], fill))
            y += int(fonts[role].size * 1.45)
    if data.learner_name:
        rest = sum(int(fonts[role].size * 1.45) for role, text, _, _ in after if text)
        font, lines = _fit_block(
            draw,
            data.learner_name,
            chain,
            size=76 * width // 1200,
            min_size=40 * width // 1200,
            max_width=usable,
            max_height=footer_y - height // 30 - y - rest,
        )
        for number, line in enumerate(lines):
            placed.append(PlacedText("name", (margin, y + number * _line_pitch(font)), line, font, color))
        y += _block_advance(font, len(lines))
    for role, text, _, fill in after:
        if text:
            placed.append(PlacedText(role, (margin, y), text, fonts[role], fill))
            y += int(fonts[role].size * 1.45)
    placed.append(PlacedText("footer", (margin, footer_y), footer_text, footer, accent))
    if data.right_to_left:  # the same layout mirrored: lines keep to the right margin, the stamp goes left
        placed = [
            replace(
                text,
                xy=(
                    width - text.xy[0] - round(draw.textlength(text.text, font=text.font)),
                    text.xy[1],
                ),
            )
            for text in placed
        ]
    return placed


def _direction(font: ImageFont.FreeTypeFont, right_to_left: bool) -> str | None:
    """A right-to-left line's base direction, so that its first part reads first (raqm only; the others guess)."""
    return "rtl" if right_to_left and getattr(font, "layout_engine", None) == ImageFont.Layout.RAQM else None


def render_share_image(
    *, data: ShareImageData, options: dict, load_asset: AssetLoader, size: tuple[int, int], image_format: str
) -> tuple[bytes, str]:
    """Draw the share image; returns (bytes, content type)."""
    if image_format not in FORMATS:
        raise GenerationFailed(f"Unknown share image format '{image_format}'; use png or jpeg.")
    width = size[0]
    color, accent = options.get("color", "#1b1b1b"), options.get("accent", "#1f4e8c")
    if options.get("background"):
        try:
            background_asset = as_asset(options["background"], load_asset(options["background"]))
            background = image_page_sized(image_open(background_asset.data)).convert("RGB")  # within the limits
        except (OSError, ValueError) as exc:
            raise GenerationFailed(f"The share image background cannot be used. {exc}") from exc
        image = background.resize(size)
    else:
        image = Image.new("RGB", size, "#f7f5ef")
        ImageDraw.Draw(image).rectangle((0, 0, width, 14), fill=accent)
    draw = ImageDraw.Draw(image)
    chain = _font_chain(options, load_asset)
    for text in share_image_texts(draw, data=data, chain=chain, size=size, color=color, accent=accent):
        direction = _direction(text.font, data.right_to_left)
        if text.role == "stamp":
            box = draw.textbbox(text.xy, text.text, font=text.font, direction=direction)
            pad = 16 * width // 1200
            draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), outline="#b3261e", width=6)
            draw.text(text.xy, text.text, font=text.font, fill="#b3261e", direction=direction)
        else:
            draw.text(text.xy, text.text, font=text.font, fill=text.fill, direction=direction)
    out = io.BytesIO()
    pil_format, content_type = FORMATS[image_format]
    image.save(out, format=pil_format, **({"quality": 88, "optimize": False} if pil_format == "JPEG" else {}))
    return out.getvalue(), content_type
