"""Share images: a picture of the credential for link previews (LinkedIn: 1200x627) and posts.

Pure: takes the credential's facts and returns image bytes. Pillow lays text out with raqm
(bundled in its wheels), so Arabic and Hebrew are shaped and ordered; each line is set in
the first font of the chain that has all of its characters.
"""

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase.ttfonts import TTFontFile

from ..exceptions import GenerationFailed
from ..registry import Option, declare_options
from . import AssetLoader, as_asset
from .images import image_open, image_page_sized

FORMATS = {"png": ("PNG", "image/png"), "jpeg": ("JPEG", "image/jpeg")}
# Fonts tried after the configured one: DejaVu (Latin, Greek, Cyrillic, Arabic, Hebrew), then IPA Gothic (CJK).
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
STATUS_LABELS = {"revoked": "REVOKED", "superseded": "SUPERSEDED"}


def _check(value: dict) -> None:
    unknown = set(value) - {"background", "font_asset", "color", "accent"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; accepted: accent, background, color, font_asset")
    for key in ("color", "accent"):
        if key in value:
            try:
                Image.new("RGB", (1, 1), value[key])
            except (ValueError, TypeError) as exc:
                raise ValueError(f"'{key}' must be a colour such as #1a2b3c") from exc


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


def _font_for(text: str, chain: list[str | bytes], size: int) -> ImageFont.FreeTypeFont:
    needed = {ord(ch) for ch in text if not ch.isspace()}
    for source in chain:
        if needed <= _coverage(source):
            return ImageFont.truetype(io.BytesIO(source) if isinstance(source, bytes) else source, size)
    if chain:
        return ImageFont.truetype(io.BytesIO(chain[0]) if isinstance(chain[0], bytes) else chain[0], size)
    return ImageFont.load_default(size=size)


def _fit(draw, text: str, chain, size: int, max_width: int, min_size: int = 18) -> ImageFont.FreeTypeFont:
    """The largest font size from ``size`` down to ``min_size`` at which ``text`` fits ``max_width``."""
    font = _font_for(text, chain, size)
    while size > min_size and draw.textlength(text, font=font) > max_width:
        size -= 2
        font = _font_for(text, chain, size)
    return font


def render_share_image(
    *, data: ShareImageData, options: dict, load_asset: AssetLoader, size: tuple[int, int], image_format: str
) -> tuple[bytes, str]:
    """Draw the share image; returns (bytes, content type)."""
    if image_format not in FORMATS:
        raise GenerationFailed(f"Unknown share image format '{image_format}'; use png or jpeg.")
    width, height = size
    color, accent = options.get("color", "#1b1b1b"), options.get("accent", "#1f4e8c")
    if options.get("background"):
        try:
            background_asset = as_asset(options["background"], load_asset(options["background"]))
            background = image_page_sized(image_open(background_asset.data)).convert("RGB")  # within the limits
        except (OSError, ValueError) as exc:
            raise GenerationFailed(f"The share image background cannot be used: {exc}") from exc
        image = background.resize(size)
    else:
        image = Image.new("RGB", size, "#f7f5ef")
        ImageDraw.Draw(image).rectangle((0, 0, width, 14), fill=accent)
    draw = ImageDraw.Draw(image)
    chain = _font_chain(options, load_asset)
    margin = width // 14
    usable = width - 2 * margin
    label = STATUS_LABELS.get(data.public_status)
    if label:  # a stamp on the right; the text keeps to the left of it
        stamp = _font_for(label, chain, 64 * width // 1200)
        box = draw.textbbox((0, 0), label, font=stamp)
        stamp_width, stamp_height = box[2] - box[0], box[3] - box[1]
        x, y = width - margin - stamp_width, height // 2 - stamp_height
        pad = 16 * width // 1200
        draw.rectangle((x - pad, y - pad, x + stamp_width + pad, y + stamp_height + pad), outline="#b3261e", width=6)
        draw.text((x, y - box[1]), label, font=stamp, fill="#b3261e")
        usable -= stamp_width + 3 * pad
    lines = [
        (data.issuer, 30, accent),
        (data.type_name, 44, color),
        (data.learner_name, 76, color),
        (data.context_name, 40, color),
        (" · ".join(part for part in (data.issue_date, data.score and f"Score {data.score}") if part), 30, color),
    ]
    y = height // 9
    for text, font_size, fill in lines:
        if not text:
            continue
        font = _fit(draw, text, chain, font_size * width // 1200, usable)
        draw.text((margin, y), text, font=font, fill=fill)
        y += int(font.size * 1.45)
    footer = f"Verify: {data.verify_code} · {data.verify_url}"
    font = _fit(draw, footer, chain, 24 * width // 1200, width - 2 * margin, min_size=10)
    draw.text((margin, height - height // 7), footer, font=font, fill=accent)
    out = io.BytesIO()
    pil_format, content_type = FORMATS[image_format]
    image.save(out, format=pil_format, **({"quality": 88, "optimize": False} if pil_format == "JPEG" else {}))
    return out.getvalue(), content_type
