"""The general path: reportlab draws the layout (subsetting only the glyphs used), pypdf adds the template.

Used for anything the fast path has not prepared, e.g. CJK, Arabic or Hebrew text. The overlay
goes onto the page as a second Form XObject, so neither content stream is parsed or rewritten.
"""

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject
from reportlab.pdfgen.canvas import Canvas

from . import Attachment
from .embedding import pypdf_embed
from .layout import Layout
from .qr import QR_BORDER, qr_runs
from .templates import PDF_HEADER, TEMPLATE_FORM, PreparedTemplate, add_contents, stream

OVERLAY_FORM = "/LCOverlay"


def render_general(
    template: PreparedTemplate,
    page_number: int,
    layout: Layout,
    *,
    info: dict[str, str],
    attachments: tuple[Attachment, ...] = (),
) -> bytes:
    overlay = PdfReader(io.BytesIO(_overlay_pdf(layout))).pages[0]
    writer = PdfWriter()
    writer.pdf_header = PDF_HEADER
    pypdf_embed(writer, info, attachments)
    page = template.page_with_form(writer, page_number)
    form = stream(
        {
            "/Type": NameObject("/XObject"),
            "/Subtype": NameObject("/Form"),
            "/BBox": ArrayObject(page.mediabox),
            "/Resources": DictionaryObject(overlay["/Resources"]).clone(writer),
        },
        overlay.get_contents().get_data(),
    )
    page["/Resources"]["/XObject"][NameObject(OVERLAY_FORM)] = writer._add_object(form)
    add_contents(writer, page, b"q %s Do Q\nq %s Do Q\n" % (TEMPLATE_FORM.encode(), OVERLAY_FORM.encode()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _overlay_pdf(layout: Layout) -> bytes:
    """The layout drawn by reportlab on a page of its own, in the template page's user space."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=1)
    canvas.transform(*layout.matrix)
    for placed in layout.images:
        canvas.drawImage(placed.image.reportlab_reader(), placed.x, placed.y, placed.width, placed.height, mask="auto")
    for run in layout.runs:
        canvas.setFillColorRGB(*run.color)
        canvas.setFont(run.font.reportlab_name, run.size)
        canvas.drawString(run.x, run.y, run.text, charSpace=run.spacing)
    qr = layout.qr
    if qr is not None:
        if qr.background is not None:
            canvas.setFillColorRGB(*qr.background)
            canvas.rect(qr.x, qr.y, qr.size, qr.size, stroke=0, fill=1)
        canvas.setFillColorRGB(*qr.color)
        path = canvas.beginPath()
        left, bottom, module = qr.x + QR_BORDER * qr.module, qr.y + QR_BORDER * qr.module, qr.module
        for column, row, length in qr_runs(qr.matrix):
            path.rect(left + column * module, bottom + row * module, length * module, module)
        canvas.drawPath(path, stroke=0, fill=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
