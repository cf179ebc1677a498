"""Text before it is drawn: shaping and ordering (Arabic, Hebrew), font choice per glyph, fitting.

Pure functions over strings and fonts. Lines are broken in logical order and only then shaped and
put in visual order, line by line, as the Unicode bidi algorithm requires: an Arabic word broken
across lines gets its end forms on both lines.
"""

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

from arabic_reshaper import ArabicReshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics

from ..exceptions import GenerationFailed
from .fonts import Font

ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
# Bidi controls and zero-width characters steer ordering and joining; they have no glyph of their own.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
WHITESPACE = re.compile(r"\s+")
# Ideographs, kana and Hangul break between characters (UAX #14 classes ID, H2, H3), except before
# the marks that may not start a line in Japanese or after the brackets that may not end one.
CJK = re.compile(
    "[\u2e80-\u2fff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff]"
)
# Small kana, the long vowel mark, the middle dot, closing punctuation and iteration marks.
NO_BREAK_BEFORE = frozenset(
    "\u30fc\u30fb\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085\u3087\u308e\u3095\u3096\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3"
    "\u30e3\u30e5\u30e7\u30ee\u30f5\u30f6\u3001\u3002\uff0c\uff0e\uff09\u300d\u300f\u3015\u3011\u3005\u309d\u309e\u30fd\u30fe"
)
NO_BREAK_AFTER = frozenset("\uff08\u300c\u300e\u3014\u3010")  # opening brackets
# A box too small for the text at any legible size gets it at this size rather than overflowing further.
SMALLEST_SIZE = 1.0

# Word ligatures such as ALLAH are missing from most fonts; letter ligatures (lam-alef) are required.
_reshaper = ArabicReshaper({"ARABIC LIGATURE ALLAH": False})


def logical_text(text: str, *, uppercase: bool) -> str:
    """NFC, one space between words, uppercased if asked: the text that lines are broken in."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = WHITESPACE.sub(" ", text).strip()
    return text.upper() if uppercase else text


def visual_line(line: str) -> str:
    """The glyphs of one line in drawing order, left to right: Arabic letters joined, right to left reordered."""
    if ARABIC.search(line):
        line = _reshaper.reshape(line)
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


T = TypeVar("T")
# (start, end) of a slice of the logical text -> its advance units and glyph count as drawn.
Measure = Callable[[int, int], tuple[float, int]]


def fit(
    text: str,
    advances: Sequence[float],
    *,
    size: float,
    spacing: float,
    max_width: float | None,
    min_size: float,
    line_height: float = 1.2,
    max_depth: float | None = None,
    descent: Callable[[], float] = lambda: 0.0,
    measure: Measure | None = None,
) -> tuple[float, list[str]]:
    """(size, lines): the text at ``size`` if it fits, else shrunk down to ``min_size``, else wrapped.

    ``advances`` are those of the one line as drawn. Wrapped lines go down from the first baseline;
    with ``max_depth`` (room below that baseline, descenders of the last line included, in points)
    they are set smaller than ``min_size`` until they fit. ``measure`` sizes slices of ``text`` as
    they would be drawn; without it ``advances`` are taken to be one per character of ``text``.
    """
    if max_width is None or width(advances, size, spacing) <= max_width:
        return size, [text]
    room, units = max_width - spacing * (len(advances) - 1), sum(advances)
    shrunk = math.floor(room * 1000 / units * 100) / 100 if room > 0 and units > 0 else 0
    if shrunk >= min_size:
        return shrunk, [text]
    if measure is None:
        measure = _prefix_measure(advances)
    spans = break_spans(text)

    def lines_at(size: float) -> list[str]:
        def fits(start: int, end: int) -> bool:
            units, count = measure(start, end)
            return units * size / 1000 + spacing * max(count - 1, 0) <= max_width

        return wrap(text, spans, fits)

    lines = lines_at(min_size)
    if max_depth is None:
        return min_size, lines
    below = descent() / 1000

    def inside(size: float, lines: list[str]) -> bool:
        return ((len(lines) - 1) * line_height + below) * size <= max_depth

    if inside(min_size, lines) or min_size <= SMALLEST_SIZE:
        return min_size, lines
    best = largest(
        round(SMALLEST_SIZE * 100),
        math.ceil(min_size * 100) - 1,
        lambda hundredths: (hundredths / 100, lines_at(hundredths / 100)),
        lambda block: inside(*block),
    )
    return best or (SMALLEST_SIZE, lines_at(SMALLEST_SIZE))


def largest(low: int, high: int, attempt: Callable[[int], T], good: Callable[[T], bool]) -> T | None:
    """``attempt(n)`` for the largest n from ``low`` to ``high`` whose result is good, by bisection.

    For text sizes: lines only get fewer and shorter as the size goes down, so every size below
    one that fits fits too.
    """
    best = None
    while low <= high:
        middle = (low + high) // 2
        result = attempt(middle)
        if good(result):
            best, low = result, middle + 1
        else:
            high = middle - 1
    return best


def max_descent(fonts: Sequence[Font]) -> float:
    """How far below the baseline the deepest of ``fonts`` reaches, in 1/1000 of the size."""
    return max(abs(pdfmetrics.getFont(font.reportlab_name).face.descent) for font in set(fonts))


def drawn_measure(text: str, chain: Sequence[Font], element: str) -> Measure:
    """Slices of ``text`` measured as visual_line would draw them (joined, reordered), each measured once."""
    measured: dict[tuple[int, int], tuple[float, int]] = {}

    def measure(start: int, end: int) -> tuple[float, int]:
        if (start, end) not in measured:
            advances = glyphs(visual_line(text[start:end]), chain, element)[1]
            measured[start, end] = (sum(advances), len(advances))
        return measured[start, end]

    return measure


def _prefix_measure(advances: Sequence[float]) -> Measure:
    """Slices measured from running sums: for text drawn as it is written, one glyph per character."""
    sums = [0.0]
    for advance in advances:
        sums.append(sums[-1] + advance)
    return lambda start, end: (sums[end] - sums[start], end - start)


def break_spans(text: str) -> list[tuple[int, int]]:
    """The stretches of ``text`` between line break opportunities: spaces (dropped at a break) and CJK characters."""
    spans: list[tuple[int, int]] = []
    start = None
    previous = " "
    for index, char in enumerate(text):
        if char == " ":
            if start is not None:
                spans.append((start, index))
                start = None
        elif start is None:
            start = index
        elif (
            (CJK.match(char) or CJK.match(previous)) and char not in NO_BREAK_BEFORE and previous not in NO_BREAK_AFTER
        ):
            spans.append((start, index))
            start = index
        previous = char
    if start is not None:
        spans.append((start, len(text)))
    return spans


def wrap(text: str, spans: Sequence[tuple[int, int]], fits: Callable[[int, int], bool]) -> list[str]:
    """Greedy line breaking at ``spans`` boundaries; a span wider than a line is broken between characters."""
    lines: list[str] = []
    line: tuple[int, int] | None = None
    for start, end in spans:
        if line is not None and fits(line[0], end):
            line = (line[0], end)
            continue
        if line is not None:
            lines.append(text[slice(*line)])
        while end - start > 1 and not fits(start, end):
            low, high = start + 1, end - 1  # the longest head that fits, at least one character
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if fits(start, middle) else (low, middle - 1)
            lines.append(text[start:low])
            start = low
        line = (start, end)
    if line is not None:
        lines.append(text[slice(*line)])
    return lines
