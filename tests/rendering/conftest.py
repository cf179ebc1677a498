"""Helpers for the rendering tests: fonts, templates, an in-memory asset loader and independent PDF checks.

Every PDF a test renders through ``render`` is checked with ``qpdf --check``. Drawn text is read
back from the content streams with the fonts' ToUnicode maps (``drawn_runs``), QR codes are read
by zbarimg from pages rasterised by pdftoppm: none of these checks uses our own code.
"""

import io
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from learning_credentials.rendering import AssetFile, CredentialData
from learning_credentials.rendering.builtin import RenderedPdf, render_pdf
from tests.factories import template_pdf

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
IPA_GOTHIC = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")

for path in (DEJAVU, DEJAVU_SERIF, IPA_GOTHIC):
    assert path.is_file(), f"{path} is missing: run `make sysdeps` (fonts-dejavu-core, fonts-ipafont-gothic)"
for tool in ("qpdf", "pdftoppm", "zbarimg"):
    assert shutil.which(tool), f"{tool} is missing: run `make sysdeps` (qpdf, poppler-utils, zbar-tools)"

DATA = CredentialData(
    learner_name="Zoë Ångström",
    context_name="Introduction to Computing",
    context_key="course-v1:DemoX+CS101+2026",
    type_name="Certificate of Completion",
    issue_date=date(2026, 11, 23),
    verify_url="https://lms.example.com/learning_credentials/verify/5f0c9e2a-51b7-4c1e-9d3f-0a8b7c6d5e4f/",
    verify_uuid="5f0c9e2a-51b7-4c1e-9d3f-0a8b7c6d5e4f",
    verify_code="7KQ2M-XW4PD",
    score=Decimal("92.50"),
)

# Words to make long names of, in three scripts: spaces, none (CJK) and right to left with joining (Arabic).
LONG_NAME_WORDS = {
    "latin": "Maximiliana Wilhelmina Konstantinopolous-Papadimitriou van der Berg Ångström Łukasiewicz Núñez",
    "cjk": "山田太郎佐藤花子鈴木一郎高橋美咲田中健太渡辺直美伊藤翔太中村さくらミキ",
    "arabic": "محمد عبد الله بن أحمد الفلاني عبد الرحمن بن خالد القحطاني",
}


def long_name(script: str, length: int) -> str:
    """``length`` characters of the script's words, repeated; never ending in a space."""
    words = LONG_NAME_WORDS[script]
    name = ((words + " ") * (length // len(words) + 2))[:length]
    return name if not name.endswith(" ") else name[:-1] + words[0]


def image_bytes(color: tuple, size: tuple[int, int] = (200, 100), fmt: str = "PNG", mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` and holds no pixels: a few dozen bytes for any size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


def gradient(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    """A picture with detail (a resampled copy differs from a cropped one), cheap to make at any size."""
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (ramp, Image.radial_gradient("L").resize(size), ramp.point(lambda v: 255 - v)))
    if mode != "RGB":
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, fmt, **({"compress_level": 1} if fmt == "PNG" else {}))
    return out.getvalue()


def rich_template() -> bytes:
    """Two pages like a designer's file: vector art, an embedded JPEG and embedded TrueType text.

    Page 1 is landscape A4 titled FIRST PAGE; page 2 is portrait A4 titled SECOND PAGE.
    """
    if "lc-test-serif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("lc-test-serif", str(DEJAVU_SERIF)))
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for title, size in (("FIRST PAGE", landscape(A4)), ("SECOND PAGE", A4)):
        canvas.setPageSize(size)
        canvas.setStrokeColorRGB(0.1, 0.3, 0.6)
        canvas.setLineWidth(8)
        canvas.rect(20, 20, size[0] - 40, size[1] - 40)
        canvas.drawImage(ImageReader(io.BytesIO(image_bytes((20, 160, 90), fmt="JPEG", mode="RGB"))), 40, 40, 80, 40)
        canvas.setFont("lc-test-serif", 36)
        canvas.drawCentredString(size[0] / 2, size[1] - 90, title)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def rotated_template(rotation: int = 90) -> bytes:
    """A portrait page shown rotated, so it looks landscape."""
    writer = PdfWriter(clone_from=io.BytesIO(template_pdf()))
    page = writer.pages[0]
    page.mediabox.upper_right = (float(page.mediabox.height), float(page.mediabox.width))
    page.rotate(rotation)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class Assets:
    """An in-memory loader (what asset_load is to the database) that counts file reads."""

    files: dict[str, AssetFile] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)

    def add(self, slug: str, data: bytes, kind: str) -> None:
        template = AssetFile.from_bytes(slug, data, kind)

        def read() -> bytes:
            self.reads[slug] = self.reads.get(slug, 0) + 1
            return data

        self.files[slug] = AssetFile(slug=slug, kind=kind, content_hash=template.content_hash, read=read)

    def __call__(self, slug: str) -> AssetFile:
        from learning_credentials.exceptions import AssetMissing

        if slug not in self.files:
            raise AssetMissing(f"There is no credential asset with the slug '{slug}'.")
        file = self.files[slug]
        return AssetFile(slug=file.slug, kind=file.kind, content_hash=file.content_hash, read=file.read)


@pytest.fixture
def assets() -> Assets:
    loader = Assets()
    loader.add("tpl", template_pdf(), "pdf_template")
    loader.add("rich", rich_template(), "pdf_template")
    loader.add("dejavu", DEJAVU.read_bytes(), "font")
    loader.add("dejavu-serif", DEJAVU_SERIF.read_bytes(), "font")
    loader.add("ipa-gothic", IPA_GOTHIC.read_bytes(), "font")
    loader.add("logo", image_bytes((200, 30, 30, 255)), "image")
    loader.add("photo", image_bytes((30, 30, 200), (100, 100), "JPEG", "RGB"), "image")
    return loader


def qpdf_check(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "checked.pdf"
    path.write_bytes(content)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def render(assets, tmp_path) -> Callable[..., RenderedPdf]:
    """Render with ``options`` over the defaults below; every PDF is checked with qpdf."""

    def render(data: CredentialData = DATA, *, fast: bool = True, **options) -> RenderedPdf:
        rendered = render_pdf(data=data, options={"template": "tpl", **options}, load_asset=assets, allow_fast=fast)
        qpdf_check(rendered.content, tmp_path)
        return rendered

    return render


def page_text(content: bytes) -> list[str]:
    """Lines of text pypdf extracts from the first page, stripped."""
    return [line.strip() for line in PdfReader(io.BytesIO(content)).pages[0].extract_text().splitlines()]


@dataclass(frozen=True)
class Run:
    text: str
    font: str
    size: float
    x: float
    y: float
    spacing: float
    color: tuple[float, ...]
    # (left, bottom, right, top) in points: advance widths, and the font's ascent and descent.
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


def _metrics(font) -> tuple[Callable[[bytes], list[float]], float, float]:
    """(advance widths of a string's glyph codes, ascent, descent) in 1/1000 of the size, from the PDF's font.

    The 14 standard fonts carry no metrics in the PDF; theirs are Adobe's AFM files (as reportlab ships them).
    """
    if font["/Subtype"] == "/Type0":
        descendant = font["/DescendantFonts"][0].get_object()
        widths: dict[int, float] = {}
        entries = list(descendant.get("/W", []))
        index = 0
        while index < len(entries):
            first, following = int(entries[index]), entries[index + 1]
            if isinstance(following, list):
                widths.update({first + k: float(w) for k, w in enumerate(following)})
                index += 2
            else:
                widths.update(dict.fromkeys(range(first, int(following) + 1), float(entries[index + 2])))
                index += 3
        default = float(descendant.get("/DW", 1000))
        descriptor = descendant["/FontDescriptor"].get_object()

        def advances(raw: bytes) -> list[float]:
            return [widths.get(int.from_bytes(raw[i : i + 2], "big"), default) for i in range(0, len(raw), 2)]

        return advances, float(descriptor["/Ascent"]), float(descriptor["/Descent"])
    if "/Widths" in font:
        first, table = int(font["/FirstChar"]), [float(w) for w in font["/Widths"]]
        descriptor = font["/FontDescriptor"].get_object()
        return (
            lambda raw: [table[code - first] for code in raw],
            float(descriptor["/Ascent"]),
            float(descriptor["/Descent"]),
        )
    standard = pdfmetrics.getFont(str(font["/BaseFont"])[1:])
    return lambda raw: [standard.widths[code] for code in raw], standard.face.ascent, standard.face.descent


def _to_unicode(font) -> Callable[[bytes], str]:
    """Decode a string operand with the font's ToUnicode CMap (bfchar and bfrange), or as Latin-1."""
    if "/ToUnicode" not in font:
        return lambda raw: raw.decode("latin-1")
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, start in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for offset in range(int(last, 16) - int(first, 16) + 1):
                mapping[int(first, 16) + offset] = chr(int(start, 16) + offset)
    width = 2 if font["/Subtype"] == "/Type0" else 1

    def decode(raw: bytes) -> str:
        codes = [int.from_bytes(raw[i : i + width], "big") for i in range(0, len(raw), width)]
        assert all(code in mapping for code in codes), f"glyph codes without a character (empty boxes): {codes}"
        return "".join(mapping[code] for code in codes)

    return decode


_TOKEN = re.compile(
    rb"<(?P<hex>[0-9A-Fa-f\s]*)>|\((?P<literal>(?:\\.|[^\\)])*)\)|(?P<name>/[^\s/\[\]()<>{}%]+)"
    rb"|(?P<number>[-+]?(?:\d+\.?\d*|\.\d+))|(?P<operator>[A-Za-z'\"*]+)",
    re.S,
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(raw: bytes) -> bytes:
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit() else _ESCAPES.get(m[1], m[1]),
        raw,
        flags=re.S,
    )


_OPERAND = {
    "name": bytes.decode,
    "number": float,
    "literal": _literal,
    "hex": lambda value: bytes.fromhex(value.decode()),
}


def _operations(data: bytes):
    """(operands, operator) of a simple content stream; our own reading, not pypdf's."""
    operands: list = []
    for token in _TOKEN.finditer(data):
        kind, value = token.lastgroup, token[token.lastgroup]
        if kind == "operator":
            yield operands, value
            operands = []
        else:
            operands.append(_OPERAND[kind](value))


def drawn_runs(content: bytes) -> list[Run]:
    """Every Tj of the page and its forms, in drawing order, with font, size, Tm position, Tc and fill colour."""
    page = PdfReader(io.BytesIO(content)).pages[0]
    runs: list[Run] = []

    def walk(data: bytes, resources) -> None:
        fonts = resources.get("/Font", {})
        xobjects = resources.get("/XObject", {})
        font, size, spacing, color, position = None, 0.0, 0.0, (0.0,), (0.0, 0.0)
        for operands, operator in _operations(data):
            if operator == b"Tf":
                font, size = fonts[operands[0]].get_object(), operands[1]
            elif operator == b"Tc":
                spacing = operands[0]
            elif operator == b"rg":
                color = tuple(round(v, 3) for v in operands)
            elif operator == b"Tm":
                position = (operands[4], operands[5])
            elif operator == b"Tj":
                advances, ascent, descent = _metrics(font)
                widths = advances(operands[0])
                right = position[0] + sum(widths) * size / 1000 + spacing * max(len(widths) - 1, 0)
                box = (position[0], position[1] + descent * size / 1000, right, position[1] + ascent * size / 1000)
                runs.append(
                    Run(_to_unicode(font)(operands[0]), str(font["/BaseFont"]), size, *position, spacing, color, box)
                )
            elif operator == b"Do":
                form = xobjects[operands[0]].get_object()
                if form["/Subtype"] == "/Form":
                    walk(form.get_data(), form.get("/Resources", {}))

    walk(page.get_contents().get_data(), page["/Resources"])
    return runs


def run_of(content: bytes, text: str) -> Run:
    matches = [run for run in drawn_runs(content) if run.text == text]
    assert len(matches) == 1, f"{text!r} drawn {len(matches)} times in {[r.text for r in drawn_runs(content)]}"
    return matches[0]


def rasterise(content: bytes, tmp_path: Path, *, dpi: int = 150, name: str = "page") -> Image.Image:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(tmp_path / name)], check=True)
    return Image.open(tmp_path / f"{name}.png").convert("RGB")


def decode_qr(image: Image.Image, tmp_path: Path) -> list[str]:
    """What zbarimg reads in ``image`` (Debian's zbar, independent of segno)."""
    path = tmp_path / "qr.png"
    image.save(path)
    result = subprocess.run(["zbarimg", "-q", "--raw", str(path)], capture_output=True, text=True, check=False)
    return result.stdout.split()
