"""Image assets (logo, signature), decoded once per content hash into what each PDF path draws.

Memory is bounded by configuration, not by the file: an image's header is read before any pixel
is decoded, so one over IMAGE_MAX_PIXELS is refused unread, and what is drawn is at most
IMAGE_PAGE_PIXELS on its long side (the page-sized copy made on upload, or the stored original
scaled down here once per content hash).
"""

import io
import math
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image
from reportlab.lib.utils import ImageReader

from .. import conf
from ..exceptions import GenerationFailed
from . import Asset
from .cache import BoundedCache

# Formats accepted on upload and decoded for drawing. Opening is limited to them, so no other decoder
# (e.g. EPS, which runs Ghostscript) ever sees an asset's bytes.
IMAGE_FORMATS = ("PNG", "JPEG")
# Modes drawn as they are; any other (palette, 16-bit, CMYK, bilevel) is converted to RGB(A) first.
_PLAIN_MODES = ("RGB", "RGBA", "L", "LA")
_BAND_ROWS = 256  # rows converted and compressed at a time, so no second full-size buffer is made
MEGAPIXEL = 1_000_000


class ImageRefused(ValueError):
    """Why an image file is not used, as a whole translated sentence (each language words it its own way)."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


def image_open(data: bytes) -> Image.Image:
    """The PNG or JPEG in ``data`` with only its header read; ImageRefused beyond IMAGE_MAX_PIXELS or unreadable."""
    limit = conf.get("IMAGE_MAX_PIXELS")
    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own process-wide guard fired on the header (its warning, where warnings are errors).
        pillow = Image.MAX_IMAGE_PIXELS * (2 if isinstance(exc, Image.DecompressionBombError) else 1)
        raise ImageRefused(
            _("The image has more than %(pillow)s megapixels; images may have at most %(limit)s megapixels.")
            % {"pillow": _megapixels(pillow), "limit": _megapixels(limit)}
        ) from exc
    except Exception as exc:  # every failure of a parser given arbitrary bytes is "not an image"
        raise ImageRefused(_("The file is not an image we can read (PNG or JPEG).")) from exc
    width, height = image.size
    if width * height > limit:
        raise ImageRefused(
            _(
                "The image is %(width)d x %(height)d pixels (%(pixels)s megapixels); "
                "images may have at most %(limit)s megapixels."
            )
            % {"width": width, "height": height, "pixels": _megapixels(width * height), "limit": _megapixels(limit)}
        )
    if width < 1 or height < 1:
        raise ImageRefused(_("The image has no pixels."))
    return image


def image_page_sized(image: Image.Image) -> Image.Image:
    """``image`` decoded, in a plain mode, at most IMAGE_PAGE_PIXELS on its long side; ImageRefused when damaged."""
    long_side = conf.get("IMAGE_PAGE_PIXELS")
    target = _fit(image.size, long_side)
    try:
        if image.format == "JPEG" and target != image.size:
            image.draft(image.mode, target)  # JPEG decodes at 1/2, 1/4 or 1/8 of its size: less memory, faster
        image.load()
        if image.mode not in _PLAIN_MODES or "transparency" in image.info:
            image = image.convert("RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB")
        if image.size != target:
            image = _resize(image, target)
    except Exception as exc:  # truncated or corrupt pixel data: Pillow raises OSError, SyntaxError, ValueError, ...
        raise ImageRefused(_("The image is damaged or incomplete.")) from exc
    return image


def _resize(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Lanczos-resampled ``image``, made band by band: each output band from a crop of the source rows it reads.

    One full-size resize would hold a premultiplied copy of an RGBA original and a full-height
    intermediate, tripling the memory of the decoded image; bands keep it to the original and the result.
    """
    scale = image.height / target[1]
    reach = 3 * scale + 2  # Lanczos reads 3 source pixels either side, times the scale, plus rounding
    result = Image.new(image.mode, target)
    for top in range(0, target[1], _BAND_ROWS):
        bottom = min(target[1], top + _BAND_ROWS)
        first, last = top * scale, bottom * scale
        crop_top, crop_bottom = max(0, int(first - reach)), min(image.height, math.ceil(last + reach))
        band = image.crop((0, crop_top, image.width, crop_bottom))
        box = (0, first - crop_top, image.width, last - crop_top)
        result.paste(band.resize((target[0], bottom - top), Image.Resampling.LANCZOS, box=box), (0, top))
    return result


def image_page_copy(image: Image.Image, *, original_format: str) -> tuple[bytes, str]:
    """A decoded page-sized image as a file and its extension: JPEG stays JPEG (quality 90), the rest PNG (lossless)."""
    out = io.BytesIO()
    if original_format == "JPEG" and image.mode in ("RGB", "L"):
        image.save(out, format="JPEG", quality=90)
        return out.getvalue(), "jpg"
    image.save(out, format="PNG")
    return out.getvalue(), "png"


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = long_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _megapixels(pixels: int) -> str:
    return f"{pixels / MEGAPIXEL:.3g}"


@dataclass(frozen=True)
class PreparedImage:
    """Pixel size, PDF image XObject parts (fast path) and a reportlab reader (general path)."""

    key: str
    width: int
    height: int
    color_space: str
    filter: str
    data: bytes
    alpha: bytes | None  # 8-bit soft mask, Flate-compressed, when the image has transparency
    source: bytes  # the file drawn: the asset's bytes, or a page-sized copy made from them here

    def reportlab_reader(self) -> ImageReader:
        return ImageReader(io.BytesIO(self.source))


def _prepare(asset: Asset) -> PreparedImage:
    if asset.kind and asset.kind != "image":
        raise GenerationFailed(f"The asset '{asset.slug}' is of kind '{asset.kind}', not an image.")
    source = asset.data
    try:
        original = image_open(source)
        header_size, header_format = original.size, original.format
        image = image_page_sized(original)
        if image.size != header_size:  # a stored original larger than the page (saved before copies were made)
            source, _extension = image_page_copy(image, original_format=header_format)
    except ImageRefused as exc:
        raise GenerationFailed(f"The image '{asset.slug}' cannot be used. {exc.reason}") from exc
    if image is original and header_format == "JPEG" and image.mode in ("RGB", "L"):
        space = "/DeviceRGB" if image.mode == "RGB" else "/DeviceGray"
        return PreparedImage(asset.content_hash, image.width, image.height, space, "/DCTDecode", source, None, source)
    has_alpha = image.mode in ("RGBA", "LA")
    rgb = _flate(image, lambda band: band.convert("RGB"))
    alpha = _flate(image, lambda band: band.getchannel("A")) if has_alpha else None
    width, height = image.size
    return PreparedImage(asset.content_hash, width, height, "/DeviceRGB", "/FlateDecode", rgb, alpha, source)


def _flate(image: Image.Image, channels) -> bytes:
    """The Flate-compressed raw samples of ``channels(band)``, band by band: no full-size copy is made."""
    compressor = zlib.compressobj()
    parts = []
    for top in range(0, image.height, _BAND_ROWS):
        band = image.crop((0, top, image.width, min(image.height, top + _BAND_ROWS)))
        parts.append(compressor.compress(channels(band).tobytes()))
    parts.append(compressor.flush())
    return b"".join(parts)


_images: BoundedCache[str, PreparedImage] = BoundedCache(
    max_entries=32, max_weight=128 * 1024 * 1024, weigh=lambda image: len(image.data) + len(image.source)
)


def prepared_image(asset: Asset) -> PreparedImage:
    return _images.get(asset.content_hash, lambda: _prepare(asset))
