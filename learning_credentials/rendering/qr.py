"""The verification QR code: one segno call, shared by both PDF paths and the benchmark's baseline."""

import functools
import re
from collections.abc import Sequence
from itertools import chain, compress

import segno

# A fixed mask skips segno's evaluation of all 8 masks (about 4x faster); benchmarks/render.py
# checks with zbarimg that every code it makes still decodes.
QR_SETTINGS = {"error": "m", "mask": 0, "boost_error": False}
# Light modules around the code, in modules (the specification asks for 4; scanners read 2 well).
QR_BORDER = 2

_DARK = re.compile(b"\x01+")


def qr_matrix(url: str) -> Sequence[bytearray]:
    """Rows of modules, top row first, 1 for dark."""
    return segno.make_qr(url, **QR_SETTINGS).matrix


def qr_runs(matrix: Sequence[bytearray]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (column, row counted from the bottom, length)."""
    bottom = len(matrix) - 1
    return [
        (match.start(), bottom - row, match.end() - match.start())
        for row, modules in enumerate(matrix)
        for match in _DARK.finditer(modules)
    ]


@functools.lru_cache(maxsize=4)
def _module_squares(size: int) -> list[bytes]:
    """``re`` operators of every module of a code ``size`` modules a side, row by row from the top."""
    return [b"%d %d 1 1 re\n" % (column, size - 1 - row) for row in range(size) for column in range(size)]


def qr_path(matrix: Sequence[bytearray]) -> bytes:
    """A square per dark module, in module units: picked by itertools.compress, no Python loop per module.

    One path filled once: abutting squares merge into the same shapes as qr_runs draws.
    """
    return b"".join(compress(_module_squares(len(matrix)), chain.from_iterable(matrix)))
