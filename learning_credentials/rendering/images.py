"""Image assets (logo, signature), decoded once per content hash into what each PDF path draws."""

import io
import zlib
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from reportlab.lib.utils import ImageReader

from ..exceptions import GenerationFailed
from . import Asset
from .cache import BoundedCache


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
    source: bytes

    def reportlab_reader(self) -> ImageReader:
        return ImageReader(io.BytesIO(self.source))


def _prepare(asset: Asset) -> PreparedImage:
    if asset.kind and asset.kind != "image":
        raise GenerationFailed(f"The asset '{asset.slug}' is of kind '{asset.kind}', not an image.")
    source = asset.data
    try:
        with Image.open(io.BytesIO(source)) as image:
            image.load()
            if image.format == "JPEG" and image.mode in ("RGB", "L"):
                space = "/DeviceRGB" if image.mode == "RGB" else "/DeviceGray"
                return PreparedImage(
                    asset.content_hash, image.width, image.height, space, "/DCTDecode", source, None, source
                )
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            rgba = image.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise GenerationFailed(f"The image '{asset.slug}' cannot be decoded: {exc}") from exc
    alpha = zlib.compress(rgba.getchannel("A").tobytes()) if has_alpha else None
    rgb = zlib.compress(rgba.convert("RGB").tobytes())
    return PreparedImage(asset.content_hash, rgba.width, rgba.height, "/DeviceRGB", "/FlateDecode", rgb, alpha, source)


_images: BoundedCache[str, PreparedImage] = BoundedCache(
    max_entries=32, max_weight=128 * 1024 * 1024, weigh=lambda image: len(image.data) + len(image.source)
)


def prepared_image(asset: Asset) -> PreparedImage:
    return _images.get(asset.content_hash, lambda: _prepare(asset))
