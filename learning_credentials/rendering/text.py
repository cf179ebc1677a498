"""Text before it is drawn: shaping and ordering (Arabic, Hebrew), font choice per glyph, fitting.

Pure functions over strings and fonts. Lines are broken in logical order and only then put in
visual order, as the Unicode bidi algorithm requires.
"""

import math
import re
import unicodedata
from collections.abc import Sequence

from arabic_reshaper import ArabicReshaper
from bidi import get_display

from ..exceptions import GenerationFailed
from .fonts import Font

ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
# Bidi controls and zero-width characters steer ordering and joining; they have no glyph of their own.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
WHITESPACE = re.compile(r"\s+")

# Word ligatures such as ALLAH are missing from most fonts; letter ligatures (lam-alef) are required.
_reshaper = ArabicReshaper({"ARABIC LIGATURE ALLAH": False})


def logical_text(text: str, *, uppercase: bool) -> str:
    """NFC, one space between words, uppercased if asked, Arabic letters in their joined forms."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = WHITESPACE.sub(" ", text).strip()
    if uppercase:
        text = text.upper()
    return _reshaper.reshape(text) if ARABIC.search(text) else text


def visual_line(line: str) -> str:
    """The glyphs of one line in drawing order, left to right."""
    if RTL.search(line):
        line = get_display(line)
    return INVISIBLE.sub("", line)


def font_for(char: str, chain: Sequence[Font], element: str) -> Font:
    """The first font of ``chain`` with a glyph for ``char``: never an empty box."""
    for font in chain:
        if font.covers(char):
            return font
    labels = ", ".join(font.label for font in chain)
    raise GenerationFailed(
        f"No font can print {char!r} (U+{ord(char):04X}) in element '{element}' (tried {labels}); "
        "set a fallback_font that has it."
    )


def glyphs(line: str, chain: Sequence[Font], element: str) -> tuple[list[Font], list[float]]:
    """The font of each character and its advance (1/1000 of the size); a space keeps the font before it."""
    advances = chain[0].measure(line)
    if advances is not None:  # the common case: the element's own font has every glyph
        return [chain[0]] * len(line), advances
    fonts: list[Font] = []
    for char in line:
        current = fonts[-1] if fonts else None
        keep = char == " " and current is not None and current.covers(char)
        fonts.append(current if keep else font_for(char, chain, element))
    return fonts, [font.advance(char) for font, char in zip(fonts, line, strict=True)]


def font_runs(line: str, fonts: list[Font], advances: list[float]) -> list[tuple[Font, str, float]]:
    """(font, text, advance units) for each stretch of ``line`` drawn in one font."""
    if fonts.count(fonts[0]) == len(fonts):
        return [(fonts[0], line, sum(advances))]
    runs: list[tuple[Font, str, float]] = []
    start = 0
    for index in range(1, len(line) + 1):
        if index == len(line) or fonts[index] is not fonts[start]:
            runs.append((fonts[start], line[start:index], sum(advances[start:index])))
            start = index
    return runs


def width(advances: Sequence[float], size: float, spacing: float) -> float:
    return sum(advances) * size / 1000 + spacing * max(len(advances) - 1, 0)


def fit(
    text: str,
    advances: Sequence[float],
    *,
    size: float,
    spacing: float,
    max_width: float | None,
    min_size: float,
) -> tuple[float, list[str]]:
    """(size, lines): the text at ``size`` if it fits, else shrunk down to ``min_size``, else wrapped."""
    if max_width is None or width(advances, size, spacing) <= max_width:
        return size, [text]
    room, units = max_width - spacing * (len(text) - 1), sum(advances)
    shrunk = math.floor(room * 1000 / units * 100) / 100 if room > 0 and units > 0 else 0
    if shrunk >= min_size:
        return shrunk, [text]
    return min_size, _wrap(text, advances, min_size, spacing, max_width)


def _wrap(text: str, advances: Sequence[float], size: float, spacing: float, max_width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line on its own is broken between characters."""

    def fits(start: int, end: int) -> bool:
        return width(advances[start:end], size, spacing) <= max_width

    lines: list[str] = []
    line: tuple[int, int] | None = None
    for word in re.finditer(r"[^ ]+", text):
        start, end = word.span()
        if line is not None and fits(line[0], end):
            line = (line[0], end)
            continue
        if line is not None:
            lines.append(text[slice(*line)])
        while end - start > 1 and not fits(start, end):
            cut = next((k for k in range(end - 1, start, -1) if fits(start, k)), start + 1)
            lines.append(text[start:cut])
            start = cut
        line = (start, end)
    if line is not None:
        lines.append(text[slice(*line)])
    return lines
