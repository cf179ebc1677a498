"""A credential PDF's metadata and embedded files, written the same way by both PDF paths.

Embedded files follow PDF 2.0 / PDF/A-3 associated files: each file specification is listed in
the catalog's ``/Names /EmbeddedFiles`` name tree (what viewers show as attachments) and in its
``/AF`` array with ``/AFRelationship /Data``. Metadata goes into the document information
dictionary: Title, Subject and Keywords that viewers and search tools show, and the verification
URL and code under keys of their own for programs.
"""

import re
from collections.abc import Iterable

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, NameObject, TextStringObject

from . import Attachment

PRODUCER = "learning-credentials"
# Name characters written as #xx: delimiters, whitespace, '#' and anything outside printable ASCII.
_NAME_ESCAPE = re.compile(rb"[^!-~]|[#%()/<>\[\]{}]")


def pdf_name(value: str) -> bytes:
    """A PDF name object (``/application#2Fjwt``)."""
    return b"/" + _NAME_ESCAPE.sub(lambda match: b"#%02X" % match.group()[0], value.encode())


def pdf_text(value: str) -> bytes:
    """A PDF text string: a literal when it is plain ASCII, else UTF-16BE with its byte order mark."""
    if value.isascii() and value.isprintable():
        return b"(" + value.encode().replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _tree_key(attachment: Attachment) -> bytes:
    """A name tree is ordered by its keys' bytes as written (PDFDocEncoding or UTF-16BE with its mark)."""
    name = attachment.name
    return name.encode() if name.isascii() and name.isprintable() else b"\xfe\xff" + name.encode("utf-16-be")


def info_dictionary(info: dict[str, str]) -> bytes:
    entries = b"".join(pdf_name(key) + pdf_text(value) for key, value in info.items())
    return b"<</Producer" + pdf_text(PRODUCER) + entries + b">>"


def attachment_objects(attachments: Iterable[Attachment], first: int) -> tuple[list[tuple[int, bytes]], bytes]:
    """The objects (number, body) of the files numbered from ``first`` on, and the catalog entries naming them."""
    objects: list[tuple[int, bytes]] = []
    names, specs = [], []
    for number, attachment in zip(range(first, 1 << 30, 2), sorted(attachments, key=_tree_key), strict=False):
        size = len(attachment.content)
        objects.append(
            (
                number,
                b"<</Type/EmbeddedFile/Subtype%s/Length %d/Params<</Size %d>>>>\nstream\n%s\nendstream"
                % (pdf_name(attachment.mime_type), size, size, attachment.content),
            )
        )
        name = pdf_text(attachment.name)
        objects.append(
            (
                number + 1,
                b"<</Type/Filespec/F%s/UF%s/Desc%s/AFRelationship/Data/EF<</F %d 0 R/UF %d 0 R>>>>"
                % (name, name, pdf_text(attachment.description), number, number),
            )
        )
        names.append(b"%s %d 0 R" % (name, number + 1))
        specs.append(b"%d 0 R" % (number + 1))
    if not objects:
        return [], b""
    return objects, b"/Names<</EmbeddedFiles<</Names[%s]>>>>/AF[%s]" % (b" ".join(names), b" ".join(specs))


def pypdf_embed(writer: PdfWriter, info: dict[str, str], attachments: Iterable[Attachment]) -> None:
    """The same metadata and files through pypdf, for the general path."""
    writer.add_metadata({"/Producer": PRODUCER, **{f"/{key}": value for key, value in info.items()}})
    specs = ArrayObject()
    for attachment in sorted(attachments, key=_tree_key):
        embedded = writer.add_attachment(attachment.name, attachment.content)
        embedded.subtype = NameObject(f"/{attachment.mime_type}")
        embedded.alternative_name = TextStringObject(attachment.name)
        embedded.description = TextStringObject(attachment.description)
        embedded.associated_file_relationship = NameObject("/Data")
        specs.append(embedded.pdf_object.indirect_reference)
    if specs:
        writer.root_object[NameObject("/AF")] = specs
