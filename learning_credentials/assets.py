"""Validation and loading of credential assets (templates, images, fonts)."""

import hashlib
import io
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import conf

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MM_PER_POINT = 25.4 / 72


class AssetKind(models.TextChoices):
    """What a credential asset's file is (``CredentialAsset.Kind``); decides how an upload is validated."""

    PDF_TEMPLATE = "pdf_template", gettext_lazy("PDF template")
    IMAGE = "image", gettext_lazy("Image")
    FONT = "font", gettext_lazy("TrueType font")


def asset_kind_phrase(kind: str) -> str:
    """An asset kind with its article, for the middle of a sentence ("'logo' is an image, not a PDF template")."""
    phrases = {
        AssetKind.PDF_TEMPLATE: _("a PDF template"),
        AssetKind.IMAGE: _("an image"),
        AssetKind.FONT: _("a TrueType font"),
    }
    return phrases.get(kind) or _("an asset of another kind")


def _read(file) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


@dataclass(frozen=True)
class AssetFacts:
    """What validating a file learnt, for the model to store next to it."""

    sha256: str
    width: int | None = None  # pixel size of an image
    height: int | None = None
    page_copy: bytes | None = None  # an image larger than IMAGE_PAGE_PIXELS, scaled down to it
    page_copy_extension: str = ""


def _max_bytes(kind: str) -> int | None:
    return {AssetKind.PDF_TEMPLATE: MAX_TEMPLATE_BYTES, AssetKind.IMAGE: conf.get("IMAGE_MAX_BYTES")}.get(kind)


def _check_size(size: int, limit: int | None) -> None:
    if limit and size > limit:
        megabytes = {"size": f"{size / (1024 * 1024):.3g}", "max": f"{limit / (1024 * 1024):.3g}"}
        raise ValidationError(_("The file is %(size)s MB; it may be at most %(max)s MB.") % megabytes)


def validate_asset_file(*, kind: str, file) -> AssetFacts:
    """What ``file`` is as an asset of ``kind``; ValidationError, in words staff can act on, unless it is usable.

    Every failure of a parsing library is a ValidationError: staff see a form error, never a 500.
    """
    limit = _max_bytes(kind)
    _check_size(getattr(file, "size", None) or 0, limit)  # before an oversized upload is read into memory
    data = _read(file)
    if not data:
        raise ValidationError(_("The file is empty."))
    _check_size(len(data), limit)
    facts = AssetFacts(sha256=hashlib.sha256(data).hexdigest())
    if kind == AssetKind.PDF_TEMPLATE:
        _validate_pdf(data)
    elif kind == AssetKind.FONT:
        _validate_font(data)
    elif kind == AssetKind.IMAGE:
        facts = _validate_image(data, facts)
    elif kind:  # without one, the kind field itself says it is required
        raise ValidationError(_("Unknown asset kind: %(kind)s.") % {"kind": kind})
    return facts


def _validate_pdf(data: bytes) -> None:
    from pypdf import PdfReader

    if not data.startswith(b"%PDF-"):
        raise ValidationError(_("The file is not a PDF."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
        if pages:
            reader.pages[0].mediabox  # noqa: B018 - parsing the page tree is the check
    except Exception as exc:  # a parser given arbitrary bytes raises PyPdfError, KeyError, struct.error, ...
        raise ValidationError(_("The PDF cannot be read: it is damaged or incomplete.")) from exc
    if encrypted:
        raise ValidationError(_("Encrypted PDF templates are not supported."))
    if not pages:
        raise ValidationError(_("The PDF has no pages."))


def _validate_font(data: bytes) -> None:
    from .rendering.fonts import FontUnreadable, truetype_parse

    if data[:4] == b"OTTO":
        raise ValidationError(
            _("This is a CFF (OpenType/PostScript) font; only TrueType-outline fonts can be embedded.")
        )
    try:
        truetype_parse(data, "lc-validation")
    except FontUnreadable as exc:
        raise ValidationError(_("The font cannot be read: it is damaged or not a TrueType font.")) from exc


def _validate_image(data: bytes, facts: AssetFacts) -> AssetFacts:
    """Header first (format, pixels), then the pixels, decoded once to make the page-sized copy."""
    from .rendering.images import ImageRefused, image_open, image_page_copy, image_page_sized

    try:
        original = image_open(data)
        (width, height), original_format = original.size, original.format
        page = image_page_sized(original)
        copy, extension = (
            image_page_copy(page, original_format=original_format) if page.size != (width, height) else (None, "")
        )
    except ImageRefused as exc:
        raise ValidationError(exc.reason) from exc
    return replace(facts, width=width, height=height, page_copy=copy, page_copy_extension=extension)


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
