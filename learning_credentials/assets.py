"""Validation and loading of credential assets (templates, images, fonts)."""

import hashlib
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MM_PER_POINT = 25.4 / 72


class AssetKind(models.TextChoices):
    """What a credential asset's file is (``CredentialAsset.Kind``); decides how an upload is validated."""

    PDF_TEMPLATE = "pdf_template", gettext_lazy("PDF template")
    IMAGE = "image", gettext_lazy("Image")
    FONT = "font", gettext_lazy("TrueType font")


def _read(file) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def validate_asset_file(*, kind: str, file) -> None:
    """Raise ValidationError unless ``file`` is a usable asset of ``kind``."""
    data = _read(file)
    if not data:
        raise ValidationError(_("The file is empty."))
    if kind == AssetKind.PDF_TEMPLATE:
        _validate_pdf(data)
    elif kind == AssetKind.FONT:
        _validate_font(data)
    elif kind == AssetKind.IMAGE:
        _validate_image(data)
    else:
        raise ValidationError(_("Unknown asset kind: %(kind)s.") % {"kind": kind})


def _validate_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if len(data) > MAX_TEMPLATE_BYTES:
        raise ValidationError(_("A PDF template may be at most 10 MB."))
    if not data.startswith(b"%PDF-"):
        raise ValidationError(_("The file is not a PDF."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(_("Encrypted PDF templates are not supported."))
        if len(reader.pages) == 0:
            raise ValidationError(_("The PDF has no pages."))
        reader.pages[0].mediabox  # noqa: B018 - parsing the page tree is the check
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(_("The PDF cannot be read: %(error)s") % {"error": exc}) from exc


def _validate_font(data: bytes) -> None:
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if data[:4] == b"OTTO":
        raise ValidationError(
            _("This is a CFF (OpenType/PostScript) font; only TrueType-outline fonts can be embedded.")
        )
    try:
        TTFont("lc-validation", io.BytesIO(data))
    except (TTFError, ValueError, KeyError, IndexError, OSError) as exc:
        raise ValidationError(_("The font cannot be loaded: %(error)s") % {"error": exc}) from exc


def _validate_image(data: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("The image cannot be decoded: %(error)s") % {"error": exc}) from exc


@dataclass(frozen=True)
class PdfTemplateInfo:
    """What staff check about a PDF template before using it: pages, first-page size, bytes, hash."""

    pages: int
    width_pt: float
    height_pt: float
    size: int
    sha256: str

    @property
    def width_mm(self) -> float:
        return self.width_pt * MM_PER_POINT

    @property
    def height_mm(self) -> float:
        return self.height_pt * MM_PER_POINT


def pdf_template_info(data: bytes) -> PdfTemplateInfo:
    """Describe a PDF template; ValueError when it cannot be read (e.g. the file changed after validation)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        box = reader.pages[0].mediabox
    except (PyPdfError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"not a readable PDF: {exc}") from exc
    return PdfTemplateInfo(
        pages=len(reader.pages),
        width_pt=float(box.width),
        height_pt=float(box.height),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
