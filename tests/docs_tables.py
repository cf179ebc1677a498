"""Reference tables of the documentation written from the code, so that they cannot drift.

``make docs-tables`` writes them; ``tests/test_docs_consistency.py`` fails when a committed table
differs from what the code gives now. Run under the test settings (every sub-app installed).
"""

import inspect
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL_TABLE = ROOT / "docs" / "reference" / "urls.rst"

_HEADER = """\
URLs
====

.. This page is written by ``make docs-tables`` from the URL patterns; do not edit it by hand
   (``tests/test_docs_consistency.py`` fails when it is out of date).

Every URL ``learning_credentials.urls`` mounts at the site root, with every sub-app installed
(the exams' and Open Badges' URLs exist only while their sub-app is). *Name* is the URL
pattern's name in the ``learning_credentials`` namespace, for ``reverse()``; *What* is the
first line of the view's docstring. Who may call each API operation, and what it answers, is in
:doc:`api`, :doc:`../exams`, :doc:`../credits` and :doc:`../open_badges`.

.. list-table::
   :header-rows: 1
   :widths: 45 20 35

   * - URL
     - Name
     - What
"""


def url_patterns() -> list[tuple[str, str, str]]:
    """(path with ``<parameter>`` placeholders, pattern name, first line of the view's docstring), sorted."""
    from django.urls import URLResolver, get_resolver

    def route(pattern) -> str:
        text = getattr(pattern, "_route", None)
        if text is None:  # a regular expression: its named groups become placeholders
            text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern._regex.lstrip("^").rstrip("$"))
            text = text.replace("\\.", ".").replace(".*", "")
        return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", text)

    def walk(patterns, prefix: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + route(entry.pattern))
                continue
            view = getattr(entry.callback, "view_class", None) or getattr(entry.callback, "cls", None) or entry.callback
            view = inspect.unwrap(view)
            summary = (inspect.getdoc(view) or "").split("\n\n")[0].replace("\n", " ")
            yield "/" + prefix + route(entry.pattern), entry.name, summary

    return sorted(walk(get_resolver("learning_credentials.urls").url_patterns, ""))


def url_table() -> str:
    """The text of docs/reference/urls.rst."""
    rows = [
        f"   * - ``{path}``\n     - ``{name}``\n     - {summary.replace('``', '``')}\n"
        for path, name, summary in url_patterns()
    ]
    return _HEADER + "".join(rows)


if __name__ == "__main__":  # make docs-tables
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    sys.path[:0] = [str(ROOT), str(ROOT / "example")]
    import django

    django.setup()
    URL_TABLE.write_text(url_table(), encoding="utf-8")
    print(f"wrote {URL_TABLE.relative_to(ROOT)}")
