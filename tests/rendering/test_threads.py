"""Rendering from several threads at once (on-demand's thread pool, a threaded web server): every PDF whole.

The per-process caches share parsed templates and fonts between threads; reportlab's TrueType
subsetting reads a font through one shared file position, so two threads embedding the same font
at once would read each other's glyphs.
"""

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from learning_credentials.rendering.builtin import render_pdf

from .conftest import DATA, page_text

NAMES = ["Zoë Ångström", "Ιωάννης Παπαδόπουλος", "Дмитрий Иванов", "Łukasz Żółć", "Yuki 山田", "山田太郎"]
THREADS, ROUNDS = 8, 40


@pytest.fixture(autouse=True)
def _frequent_thread_switches():
    """Python switches threads every 5 ms by default; every few microseconds, races show in every run."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


def test_threads_rendering_together_each_get_their_own_whole_pdf(assets):
    def render(number: int) -> tuple[str, bytes]:
        name = f"{NAMES[number % len(NAMES)]} {number}"
        rendered = render_pdf(
            data=replace(DATA, learner_name=name),
            options={"template": "tpl", "font": "dejavu", "fallback_font": "ipa-gothic"},
            load_asset=assets,
            allow_fast=number % 2 == 0,
        )
        return name, rendered.content

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(render, range(THREADS * ROUNDS)))
    for name, content in results:
        assert name in " ".join(page_text(content))  # runs of another font extract as lines of their own
