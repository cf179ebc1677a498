"""Fonts: the 12 built-in PDF text fonts and TrueType-outline fonts, each prepared once per process.

A font answers two questions for layout: does it have a glyph for a character (its cmap, or
WinAnsi for the built-in fonts), and how wide is that glyph. Both PDF paths draw with the same
answers, so they place every glyph at the same spot.
"""

import abc
import functools
import hashlib
import io
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..exceptions import GenerationFailed
from . import Asset
from .cache import BoundedCache

STANDARD_FONTS = (
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
)

# Tried in order after the configured fallback font, when installed: Debian's fonts-dejavu-core
# (Latin, Greek, Cyrillic, Arabic, Hebrew, ...), fonts-ipafont-gothic (CJK) and reportlab's own
# Vera, which is always there. A character none of them has is an error, never an empty box.
SYSTEM_FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
)

# Characters the fast path prepares in every font that has them: Latin (with Vietnamese),
# Greek, Cyrillic and common punctuation. Text outside this set takes the general path.
PREPARED_REPERTOIRE = frozenset(
    chr(code)
    for first, last in (
        (0x20, 0x7E),
        (0xA0, 0x24F),
        (0x370, 0x3FF),
        (0x400, 0x52F),
        (0x1E00, 0x1EFF),
        (0x2010, 0x2027),
        (0x2030, 0x203A),
        (0x20AC, 0x20AC),
    )
    for code in range(first, last + 1)
)

CFF_MESSAGE = (
    "is a CFF (OpenType/PostScript-outline) font; only TrueType-outline fonts (.ttf) can be embedded. "
    "Use a TrueType build of the font, e.g. IPA Gothic instead of Noto Sans CJK."
)


class Font(abc.ABC):
    """A font as layout sees it; ``key`` identifies it across assets, caches and PDF resources."""

    key: str
    label: str
    reportlab_name: str

    @abc.abstractmethod
    def covers(self, char: str) -> bool: ...

    @abc.abstractmethod
    def advance(self, char: str) -> float:
        """Advance width of ``char`` in 1/1000 of the font size."""

    @abc.abstractmethod
    def measure(self, text: str) -> list[float] | None:
        """The advance of each character when the font has them all, else None (one pass, no per-char calls)."""

    @functools.cached_property
    def prepared(self) -> frozenset[str]:
        """The characters of PREPARED_REPERTOIRE this font has."""
        return frozenset(char for char in PREPARED_REPERTOIRE if self.covers(char))


class StandardFont(Font):
    """One of the built-in PDF fonts: not embedded, WinAnsi (cp1252) characters only."""

    def __init__(self, name: str):
        self.key = self.label = self.reportlab_name = name
        self._widths = pdfmetrics.getFont(name).widths

    def covers(self, char: str) -> bool:
        try:
            return char >= " " and len(char.encode("cp1252")) == 1
        except UnicodeEncodeError:
            return False

    def advance(self, char: str) -> float:
        return self._widths[char.encode("cp1252")[0]]

    def measure(self, text: str) -> list[float] | None:
        try:
            codes = text.encode("cp1252")
        except UnicodeEncodeError:
            return None
        return [self._widths[code] for code in codes] if min(codes, default=32) >= 32 else None


class FontUnreadable(ValueError):
    """A font file that its parser cannot read, or whose glyphs cannot be embedded."""


def truetype_parse(data: bytes, name: str, *, check_glyphs: bool = True) -> TTFont:
    """``data`` parsed by reportlab as ``name``; FontUnreadable on any failure of the parser.

    ``check_glyphs`` subsets every mapped glyph once (0.4 s for a CJK font), so a file damaged past
    its tables fails here, naming the font, instead of later in a PDF that draws one of its glyphs.
    """
    try:
        font = TTFont(name, io.BytesIO(data))
        if check_glyphs:
            font.face.makeSubset(sorted(font.face.charToGlyph))
    except Exception as exc:  # a parser given arbitrary bytes raises TTFError, struct.error, IndexError, ...
        raise FontUnreadable("it is damaged or not a TrueType font") from exc
    return font


class TrueTypeFont(Font):
    """A TrueType-outline font: glyphs from its cmap, widths from hmtx; registered with reportlab once."""

    def __init__(self, data: bytes, *, version: str, label: str, check_glyphs: bool = True):
        self.key = f"ttf:{version}"
        self.label = label
        if data[:4] == b"OTTO":
            raise GenerationFailed(f"The font '{label}' {CFF_MESSAGE}")
        # Per label too: a system font and an asset with the same file are cached (and evicted) apart.
        self.reportlab_name = f"lc-{label}-{version[:12]}"
        try:
            self._reportlab = truetype_parse(data, self.reportlab_name, check_glyphs=check_glyphs)
        except FontUnreadable as exc:
            raise GenerationFailed(f"The font '{label}' cannot be read: {exc}.") from exc
        self.face = self._reportlab.face
        self._glyphs = self.face.charToGlyph
        self._widths = self.face.charWidths
        pdfmetrics.registerFont(self._reportlab)

    def covers(self, char: str) -> bool:
        return self._glyphs.get(ord(char), 0) != 0

    def advance(self, char: str) -> float:
        return self._widths.get(ord(char), self.face.defaultWidth)

    def measure(self, text: str) -> list[float] | None:
        codes = [ord(char) for char in text]
        if not all(map(self._glyphs.get, codes)):
            return None
        default = self.face.defaultWidth
        return [self._widths.get(code, default) for code in codes]

    def unregister(self) -> None:
        self._reportlab.unregister()


_truetype_fonts: BoundedCache[str, TrueTypeFont] = BoundedCache(max_entries=16, on_evict=TrueTypeFont.unregister)


@functools.cache
def standard_font(name: str) -> StandardFont:
    return StandardFont(name)


def truetype_font(asset: Asset) -> TrueTypeFont:
    """The font of ``asset``, parsed once per content hash."""
    if asset.kind and asset.kind != "font":
        raise GenerationFailed(f"The asset '{asset.slug}' is of kind '{asset.kind}', not a font.")
    return _truetype_fonts.get(
        asset.content_hash, lambda: TrueTypeFont(asset.data, version=asset.content_hash, label=asset.slug)
    )


@functools.cache
def system_fallback_fonts() -> tuple[TrueTypeFont, ...]:
    """The installed SYSTEM_FALLBACK_FONTS, parsed once per process (never evicted)."""
    fonts = []
    for path in SYSTEM_FALLBACK_FONTS:
        if path.is_file():
            data = path.read_bytes()
            version = hashlib.sha256(data).hexdigest()
            fonts.append(TrueTypeFont(data, version=version, label=path.name, check_glyphs=False))
    return tuple(fonts)
