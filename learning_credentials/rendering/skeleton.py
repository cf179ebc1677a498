"""The fast path: a PDF prepared once, to which each credential adds one small content stream.

A Skeleton is a complete PDF built once per (template page, fonts, images): the template page
as a Form XObject, each font embedded once as a subset of the prepared characters (Type0 /
CIDFontType2, Identity-H, with widths and a ToUnicode CMap so text stays extractable) and the
image XObjects. Its page's /Contents is an empty stream. Per credential, render() appends an
incremental update (ISO 32000-1, 7.5.6) that replaces that stream with the credential's
compressed drawing: no parsing, no copying of the template, no font subsetting.
"""

import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from . import Attachment
from .cache import BoundedCache
from .embedding import PRODUCER, attachment_objects, info_dictionary
from .fonts import PREPARED_REPERTOIRE, Font, StandardFont, TrueTypeFont
from .images import PreparedImage
from .layout import Layout, PlacedQR
from .qr import QR_BORDER, qr_path
from .templates import PDF_HEADER, TEMPLATE_FORM, PreparedTemplate, add_contents, stream

_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s+(\d+)\s*%%EOF\s*$", re.S)


def num(value: float) -> bytes:
    """A PDF number: at most 3 decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return b"0" if text in ("-0", "") else text.encode()


def color_op(color: tuple[float, float, float]) -> bytes:
    return b"%s %s %s rg" % tuple(num(c) for c in color)


@dataclass(frozen=True)
class FontResource:
    """A font in the skeleton: its resource name, the characters it can draw and their encoding."""

    name: bytes
    chars: frozenset[str]
    encode: Any  # str -> hex string of the character codes


def prepared_sets(primaries: tuple[Font, ...], fallbacks: tuple[Font, ...]) -> dict[Font, frozenset[str]]:
    """Which prepared characters each font draws: a primary font its own, a fallback font the rest.

    Mirrors text.font_for: a character goes to the element's font when it has it, else to the
    first fallback font that has it. Fonts are told apart by key (one file may be both).
    """
    fonts = {font.key: font for font in (*fallbacks, *primaries)}
    sets: dict[str, set[str]] = {font.key: set(font.prepared) for font in primaries}
    for char in PREPARED_REPERTOIRE:
        if all(font.covers(char) for font in primaries):
            continue
        fallback = next((font for font in fallbacks if font.covers(char)), None)
        if fallback is not None:
            # A space after a fallback glyph stays in the fallback font (text.glyphs).
            sets.setdefault(fallback.key, {" "} & fallback.prepared).add(char)
    return {fonts[key]: frozenset(chars) for key, chars in sets.items() if chars}


class Skeleton:
    """A prepared PDF; render() turns a Layout into a complete credential PDF."""

    def __init__(
        self,
        template: PreparedTemplate,
        page_number: int,
        fonts: dict[Font, frozenset[str]],
        images: tuple[PreparedImage, ...],
    ):
        writer = PdfWriter()
        writer.pdf_header = PDF_HEADER
        writer.add_metadata({"/Producer": PRODUCER})
        page = template.page_with_form(writer, page_number)
        resources = page["/Resources"]
        self.fonts: dict[str, FontResource] = {}
        font_dict = DictionaryObject()
        for number, (font, chars) in enumerate(fonts.items(), start=1):
            name = f"/F{number}"
            font_dict[NameObject(name)], encode = _font_object(writer, font, chars)
            self.fonts[font.key] = FontResource(name.encode(), chars, encode)
        resources[NameObject("/Font")] = font_dict
        self.images: dict[str, bytes] = {}
        for number, image in enumerate(images, start=1):
            name = f"/Im{number}"
            resources["/XObject"][NameObject(name)] = _image_object(writer, image)
            self.images[image.key] = name.encode()
        self._content_id = add_contents(writer, page, b"").idnum
        out = io.BytesIO()
        writer.write(out)
        self.head = out.getvalue()
        trailer = _TRAILER.search(self.head)
        refs = dict(re.findall(rb"/(Root|Info)\s+(\d+) 0 R", trailer.group(1)))
        self._root_id, self._info_id = int(refs[b"Root"]), int(refs[b"Info"])
        self._size = int(re.search(rb"/Size\s+(\d+)", trailer.group(1)).group(1))
        self._prev = int(trailer.group(2))
        catalog = io.BytesIO()
        writer.root_object.write_to_stream(catalog)
        self._catalog = catalog.getvalue().strip()[2:-2]  # its entries, to write it again with the attachments
        self._document_id = hashlib.md5(self.head, usedforsecurity=False).hexdigest().encode()
        self._head_sha256 = hashlib.sha256(self.head)  # every PDF starts with the head: hashed once
        self._template_op = b"q %s Do Q\n" % TEMPLATE_FORM.encode()

    def can_draw(self, layout: Layout) -> bool:
        """Whether every run's font is prepared here with all of the run's characters."""
        for run in layout.runs:
            resource = self.fonts.get(run.font.key)
            if resource is None or not resource.chars.issuperset(run.text):
                return False
        return True

    def render(self, layout: Layout, *, info: dict[str, str], attachments: tuple[Attachment, ...] = ()) -> bytes:
        """The skeleton plus an incremental update: this layout's content stream, the document's information
        dictionary and, with attachments, their files and the catalog naming them."""
        data = zlib.compress(self._content(layout), 1)
        objects = [
            (self._content_id, b"<</Length %d/Filter/FlateDecode>>\nstream\n%s\nendstream" % (len(data), data)),
            (self._info_id, info_dictionary(info)),
        ]
        files, catalog_entries = attachment_objects(attachments, self._size)
        if files:
            objects += [*files, (self._root_id, b"<<%s%s>>" % (self._catalog, catalog_entries))]
        offset = len(self.head)
        parts, offsets = [self.head], {}
        for number, body in objects:
            offsets[number] = offset
            part = b"%d 0 obj\n%s\nendobj\n" % (number, body)
            parts.append(part)
            offset += len(part)
        instance_id = hashlib.md5(data, usedforsecurity=False).hexdigest().encode()
        parts.append(
            b"xref\n%strailer\n<</Size %d/Root %d 0 R/Info %d 0 R/Prev %d/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF\n"
            % (
                _xref_sections(offsets),
                max(self._size, max(offsets) + 1),
                self._root_id,
                self._info_id,
                self._prev,
                self._document_id,
                instance_id,
                offset,
            )
        )
        return b"".join(parts)

    def sha256(self, rendered: bytes) -> str:
        """Hex SHA-256 of a PDF ``render`` made: the head's hash state, continued over the update alone."""
        digest = self._head_sha256.copy()
        digest.update(memoryview(rendered)[len(self.head) :])
        return digest.hexdigest()

    def _content(self, layout: Layout) -> bytes:
        ops = [self._template_op, b"q %s %s %s %s %s %s cm\n" % tuple(num(v) for v in layout.matrix)]
        for placed in layout.images:
            ops.append(
                b"q %s 0 0 %s %s %s cm %s Do Q\n"
                % (num(placed.width), num(placed.height), num(placed.x), num(placed.y), self.images[placed.image.key])
            )
        color = None
        for run in layout.runs:
            if run.color != color:
                color = run.color
                ops.append(color_op(color) + b"\n")
            resource = self.fonts[run.font.key]
            ops.append(
                b"BT %s %s Tf %s Tc 1 0 0 1 %s %s Tm <%s> Tj ET\n"
                % (
                    resource.name,
                    num(run.size),
                    num(run.spacing),
                    num(run.x),
                    num(run.y),
                    resource.encode(run.text).encode(),
                )
            )
        if layout.qr is not None:
            ops.append(_qr_ops(layout.qr))
        ops.append(b"Q\n")
        return b"".join(ops)


def _xref_sections(offsets: dict[int, int]) -> bytes:
    """Cross-reference subsections for the given objects: one per run of consecutive numbers."""
    sections, run = [], []
    for number in sorted(offsets):
        if run and number != run[-1] + 1:
            sections.append(run)
            run = []
        run.append(number)
    sections.append(run)
    return b"".join(
        b"%d %d\n" % (run[0], len(run)) + b"".join(b"%010d 00000 n \n" % offsets[number] for number in run)
        for run in sections
    )


def _qr_ops(qr: PlacedQR) -> bytes:
    """The QR code as filled rectangles, in module units under one scaling matrix."""
    ops = [b"q\n"]
    if qr.background is not None:
        ops.append(
            b"%s %s %s %s %s re f\n" % (color_op(qr.background), num(qr.x), num(qr.y), num(qr.size), num(qr.size))
        )
    origin = QR_BORDER * qr.module
    ops.append(
        b"%s %s 0 0 %s %s %s cm\n"
        % (color_op(qr.color), num(qr.module), num(qr.module), num(qr.x + origin), num(qr.y + origin))
    )
    ops.append(qr_path(qr.matrix))
    ops.append(b"f Q\n")
    return b"".join(ops)


def _font_object(writer: PdfWriter, font: Font, chars: frozenset[str]) -> tuple[IndirectObject, Any]:
    if isinstance(font, StandardFont):
        obj = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject(f"/{font.key}"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        return writer._add_object(obj), lambda text: text.encode("cp1252").hex()
    return _truetype_object(writer, font, chars)


def _truetype_object(writer: PdfWriter, font: TrueTypeFont, chars: frozenset[str]) -> tuple[IndirectObject, Any]:
    """A Type0 font over a subset of ``chars``; character codes are the subset's glyph ids."""
    face = font.face
    glyph_of = face.charToGlyph
    representative: dict[int, int] = {}  # original glyph -> first code point drawn with it
    for code in sorted(ord(char) for char in chars):
        representative.setdefault(glyph_of[code], code)
    codes = list(representative.values())
    # makeSubset numbers glyphs in the order given, after .notdef: codes[i] becomes glyph i + 1.
    subset = face.makeSubset(codes)
    new_gid = {glyph: index for index, glyph in enumerate(representative, start=1)}
    hex_of = {ord(char): f"{new_gid[glyph_of[ord(char)]]:04X}" for char in chars}
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(f"{font.key}{sorted(chars)}".encode()).digest()[:6])
    base_font = NameObject(f"/{tag}+{face.name.decode('latin-1')}")
    font_file = writer._add_object(stream({"/Length1": NumberObject(len(subset))}, subset))
    flags = (face.flags & ~32) | 4  # symbolic: glyphs are addressed by id, not by a standard encoding
    descriptor = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/FontDescriptor"),
                NameObject("/FontName"): base_font,
                NameObject("/Flags"): NumberObject(flags),
                NameObject("/FontBBox"): ArrayObject(FloatObject(v) for v in face.bbox),
                NameObject("/ItalicAngle"): FloatObject(face.italicAngle),
                NameObject("/Ascent"): FloatObject(face.ascent),
                NameObject("/Descent"): FloatObject(face.descent),
                NameObject("/CapHeight"): FloatObject(face.capHeight),
                NameObject("/StemV"): FloatObject(face.stemV),
                NameObject("/FontFile2"): font_file,
            }
        )
    )
    widths = ArrayObject(FloatObject(round(face.charWidths[code], 3)) for code in codes)
    descendant = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/CIDFontType2"),
                NameObject("/BaseFont"): base_font,
                NameObject("/CIDSystemInfo"): DictionaryObject(
                    {
                        NameObject("/Registry"): TextStringObject("Adobe"),
                        NameObject("/Ordering"): TextStringObject("Identity"),
                        NameObject("/Supplement"): NumberObject(0),
                    }
                ),
                NameObject("/FontDescriptor"): descriptor,
                NameObject("/DW"): FloatObject(round(face.defaultWidth, 3)),
                NameObject("/W"): ArrayObject([NumberObject(1), widths]),
                NameObject("/CIDToGIDMap"): NameObject("/Identity"),
            }
        )
    )
    to_unicode = writer._add_object(stream({}, _to_unicode_cmap(codes)))
    obj = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): base_font,
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([descendant]),
            NameObject("/ToUnicode"): to_unicode,
        }
    )
    return writer._add_object(obj), lambda text: text.translate(hex_of)


def _to_unicode_cmap(codes: list[int]) -> bytes:
    """Glyph id i + 1 -> codes[i], so text extraction returns what was written."""
    entries = [f"<{gid:04X}> <{chr(code).encode('utf-16-be').hex().upper()}>" for gid, code in enumerate(codes, 1)]
    blocks = [
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar"
        for chunk in (entries[i : i + 100] for i in range(0, len(entries), 100))
    ]
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode()


def _image_object(writer: PdfWriter, image: PreparedImage) -> IndirectObject:
    entries: dict[str, Any] = {
        "/Type": NameObject("/XObject"),
        "/Subtype": NameObject("/Image"),
        "/Width": NumberObject(image.width),
        "/Height": NumberObject(image.height),
        "/ColorSpace": NameObject(image.color_space),
        "/BitsPerComponent": NumberObject(8),
        "/Filter": NameObject(image.filter),
    }
    if image.alpha is not None:
        mask = {k: entries[k] for k in ("/Type", "/Subtype", "/Width", "/Height", "/BitsPerComponent")}
        mask.update({"/ColorSpace": NameObject("/DeviceGray"), "/Filter": NameObject("/FlateDecode")})
        entries["/SMask"] = writer._add_object(stream(mask, image.alpha, compress=False))
    return writer._add_object(stream(entries, image.data, compress=False))


_skeletons: BoundedCache[tuple, Skeleton] = BoundedCache(
    max_entries=16, max_weight=256 * 1024 * 1024, weigh=lambda skeleton: len(skeleton.head)
)


def skeleton_for(
    template: PreparedTemplate,
    page_number: int,
    primaries: tuple[Font, ...],
    fallbacks: tuple[Font, ...],
    images: tuple[PreparedImage, ...],
) -> Skeleton:
    """The skeleton of this combination, built once per process."""
    key = (
        template.slug,
        template.version,
        page_number,
        tuple(font.key for font in primaries),
        tuple(font.key for font in fallbacks),
        tuple(image.key for image in images),
    )
    return _skeletons.get(key, lambda: Skeleton(template, page_number, prepared_sets(primaries, fallbacks), images))
