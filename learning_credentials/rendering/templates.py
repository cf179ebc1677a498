"""PDF templates, parsed once per (slug, content hash), and their pages turned into Form XObjects.

Both PDF paths draw the template page as a Form XObject under the credential's content, so the
template's vector art, images and fonts are carried over untouched.
"""

import io
import threading
import zlib
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

from ..exceptions import GenerationFailed
from . import Asset
from .cache import BoundedCache

PDF_HEADER = "%PDF-1.7"  # Type0 fonts, soft masks and transparency groups of templates need 1.4+
TEMPLATE_FORM = "/LCTemplate"
# Page keys that belong to the source document's structure, not to what the page shows.
EXCLUDED_PAGE_KEYS = ("/Annots", "/B", "/StructParents", "/Thumb", "/PieceInfo", "/Metadata")
READ_ERRORS = (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, zlib.error)

Matrix = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class PageGeometry:
    """The page as seen (crop box, rotation applied) and the matrix from that view to PDF user space."""

    width: float
    height: float
    matrix: Matrix


def stream(dictionary: dict, data: bytes, *, compress: bool = True) -> DecodedStreamObject:
    """A stream object holding ``data`` as given, Flate-compressed first unless ``compress`` is False."""
    obj = DecodedStreamObject()
    obj.set_data(zlib.compress(data) if compress else data)
    obj.update({NameObject(key): value for key, value in dictionary.items()})
    if compress:
        obj[NameObject("/Filter")] = NameObject("/FlateDecode")
    return obj


class PreparedTemplate:
    """A parsed template; the reader is shared, so copying a page takes a lock."""

    def __init__(self, asset: Asset):
        self.slug = asset.slug
        self.version = asset.content_hash
        if asset.kind and asset.kind != "pdf_template":
            raise GenerationFailed(f"The asset '{self.slug}' is of kind '{asset.kind}', not a PDF template.")
        data = asset.data
        if not data.lstrip()[:5] == b"%PDF-":
            raise GenerationFailed(f"The template '{self.slug}' cannot be used: it is not a PDF.")
        try:
            self._reader = PdfReader(io.BytesIO(data), strict=False)
            if self._reader.is_encrypted:
                raise GenerationFailed(
                    f"The template '{self.slug}' cannot be used: it is encrypted; upload it without a password."
                )
            self.page_count = len(self._reader.pages)
        except READ_ERRORS as exc:
            raise GenerationFailed(f"The template '{self.slug}' cannot be used: {exc}") from exc
        if not self.page_count:
            raise GenerationFailed(f"The template '{self.slug}' cannot be used: it has no pages.")
        self._lock = threading.Lock()
        self._geometry: dict[int, PageGeometry] = {}

    def _page(self, number: int) -> PageObject:
        if not 1 <= number <= self.page_count:
            raise GenerationFailed(
                f"The template '{self.slug}' has {self.page_count} page(s); template_page {number} does not exist."
            )
        return self._reader.pages[number - 1]

    def geometry(self, number: int) -> PageGeometry:
        if number not in self._geometry:
            with self._lock:
                try:
                    page = self._page(number)
                    box, rotation = page.cropbox, page.rotation % 360
                    left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
                except READ_ERRORS as exc:
                    raise GenerationFailed(f"The template '{self.slug}' cannot be used: {exc}") from exc
            width, height = right - left, top - bottom
            matrices: dict[int, Matrix] = {
                0: (1, 0, 0, 1, left, bottom),
                90: (0, 1, -1, 0, right, bottom),
                180: (-1, 0, 0, -1, right, top),
                270: (0, -1, 1, 0, left, top),
            }
            if rotation in (90, 270):
                width, height = height, width
            self._geometry[number] = PageGeometry(width, height, matrices.get(rotation, matrices[0]))
        return self._geometry[number]

    def page_with_form(self, writer: PdfWriter, number: int) -> PageObject:
        """Add the template page to ``writer`` with its content moved into the Form XObject TEMPLATE_FORM.

        The page keeps its boxes and rotation; its resources hold only the form, so the caller
        adds its own fonts and images without renaming anything, and sets /Contents.
        """
        with self._lock:
            try:
                page = writer.add_page(self._page(number), excluded_keys=EXCLUDED_PAGE_KEYS)
                contents = page.get_contents()
                data = contents.get_data() if contents is not None else b""
                resources = page.raw_get("/Resources") if "/Resources" in page else DictionaryObject()
            except READ_ERRORS as exc:
                raise GenerationFailed(f"The template '{self.slug}' cannot be used: {exc}") from exc
        form = stream(
            {
                "/Type": NameObject("/XObject"),
                "/Subtype": NameObject("/Form"),
                "/BBox": ArrayObject(page.mediabox),
                "/Resources": resources,
            },
            data,
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject(TEMPLATE_FORM): writer._add_object(form)})}
        )
        return page


def add_contents(writer: PdfWriter, page: PageObject, data: bytes) -> IndirectObject:
    ref = writer._add_object(stream({}, data))
    page[NameObject("/Contents")] = ref
    return ref


_templates: BoundedCache[tuple[str, str], PreparedTemplate] = BoundedCache(max_entries=8)


def prepared_template(asset: Asset) -> PreparedTemplate:
    """The template of ``asset``, parsed once per (slug, content hash): a replaced file is picked up."""
    return _templates.get((asset.slug, asset.content_hash), lambda: PreparedTemplate(asset))
