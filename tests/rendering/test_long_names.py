"""Long names (up to the snapshot's 255 characters) stay in the name's box, clear of everything else on the page.

Boxes are read back from the drawn PDF: each run's advance widths and its font's ascent and descent
(conftest.drawn_runs). The name's box is the documented one: 80 % of the page width, centred, and
from one size above the name's baseline (55 % of the page height) down 12 % of the page height.
"""

import unicodedata
from dataclasses import replace

import pytest

from tests.rendering.conftest import DATA, LONG_NAME_WORDS, drawn_runs, long_name

pytestmark = pytest.mark.rendering

WIDTH, HEIGHT = 792, 612  # template_pdf(): landscape Letter
NAME_SIZE, NAME_Y = 32, 0.55 * HEIGHT
NAME_BOX = (0.1 * WIDTH, NAME_Y + NAME_SIZE - 0.12 * HEIGHT, 0.9 * WIDTH, NAME_Y + NAME_SIZE)
QR_BOX = (WIDTH - 36 - 72, 36, WIDTH - 36, 36 + 72)  # "qr": true
NAME_COLOR = (0.071, 0.204, 0.337)  # #123456: tells the name's runs from the rest

FONTS = {"latin": "Helvetica", "cjk": "ipa-gothic", "arabic": "dejavu"}


def inside(box, outer) -> bool:
    """Within ``outer``, to a hundredth of a point (the PDF's numbers have three decimals)."""
    left, bottom, right, top = outer
    return left - 0.01 <= box[0] and bottom - 0.01 <= box[1] and box[2] <= right + 0.01 and box[3] <= top + 0.01


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def logical(run_text: str) -> str:
    """What a drawn run reads as, in logical order: Arabic presentation forms back to letters, right to left undone."""
    if any("\ufb50" <= char <= "\ufeff" for char in run_text):
        return "".join(unicodedata.normalize("NFKC", glyph) for glyph in reversed(run_text))
    return run_text


@pytest.mark.parametrize("length", [20, 95, 255])
@pytest.mark.parametrize("script", LONG_NAME_WORDS)
def test_a_long_name_stays_in_its_box_and_off_its_neighbours(render, script, length):
    name = long_name(script, length)
    assert len(name) == length
    content = render(
        replace(DATA, learner_name=name), font=FONTS[script], qr=True, elements={"name": {"color": "#123456"}}
    ).content
    runs = drawn_runs(content)
    lines = sorted({run.y for run in runs if run.color == NAME_COLOR}, reverse=True)
    name_runs = [run for run in runs if run.color == NAME_COLOR]
    neighbours = [run.box for run in runs if run.color != NAME_COLOR] + [QR_BOX]
    assert len(neighbours) >= 7  # the template's title, five elements, the QR code

    for run in name_runs:
        assert inside(run.box, NAME_BOX), (run.text, run.box, NAME_BOX)
        for box in neighbours:
            assert not overlap(run.box, box), (run.text, run.box, box)
    # Every character is drawn once, line after line, at one size.
    drawn = "".join(
        logical("".join(r.text for r in sorted((r for r in name_runs if r.y == y), key=lambda r: r.x))) for y in lines
    )
    assert drawn.replace(" ", "") == name.replace(" ", "")
    assert len({run.size for run in name_runs}) == 1
    if length == 20:
        assert len(lines) == 1
    if length == 255:
        assert len(lines) > 1


@pytest.mark.parametrize("length", [95, 255])
def test_both_pdf_paths_place_a_long_name_alike(render, length):
    data = replace(DATA, learner_name=long_name("latin", length))
    fast, general = render(data, fast=True), render(data, fast=False)
    assert (fast.fast, general.fast) == (True, False)
    assert [(r.text, r.size, round(r.x, 2), round(r.y, 2)) for r in drawn_runs(fast.content)] == [
        (r.text, r.size, round(r.x, 2), round(r.y, 2)) for r in drawn_runs(general.content)
    ]


def test_an_arabic_word_broken_across_lines_gets_its_end_forms_on_each_line(render):
    """Lines are broken before shaping: no line ends on a letter waiting for the next one."""
    word = "المستشفىالجامعيالتخصصيبالمدينةالمنورة" * 7
    content = render(replace(DATA, learner_name=word), font="dejavu", elements={"name": {"color": "#123456"}}).content
    lines = [run.text for run in drawn_runs(content) if run.color == NAME_COLOR]
    assert len(lines) > 1
    for line in lines:  # drawn right to left: the line's first letter is its last glyph, its last letter its first
        first, last = unicodedata.name(line[-1]), unicodedata.name(line[0])
        assert "MEDIAL" not in first and "FINAL" not in first, first
        assert "MEDIAL" not in last and "INITIAL" not in last, last


def test_cjk_breaks_between_characters_and_fills_its_lines(render):
    """Without spaces a CJK name still wraps, and every line but the last is full to within one character."""
    name = long_name("cjk", 255)
    content = render(replace(DATA, learner_name=name), font="ipa-gothic", elements={"name": {"color": "#123456"}})
    runs = [run for run in drawn_runs(content.content) if run.color == NAME_COLOR]
    assert len(runs) > 2
    for run in runs[:-1]:
        assert 0.8 * WIDTH - run.size < run.box[2] - run.box[0] <= 0.8 * WIDTH + 0.01


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_configured_box_height_bounds_the_lines(render, fast):
    """Past min_size the lines get smaller until they fit max_height, measured from one size above y."""
    name = long_name("latin", 255)
    options = {"name": {"x": 100, "y": 300, "align": "left", "max_width": 300, "max_height": 60, "min_size": 12}}
    runs = drawn_runs(render(replace(DATA, learner_name=name), elements=options, fast=fast).content)
    name_runs = [run for run in runs if run.x == 100]
    assert len(name_runs) > 2
    assert name_runs[0].size < 12
    for run in name_runs:
        assert inside(run.box, (100, 300 + 32 - 60, 400, 300 + 32)), run.box
