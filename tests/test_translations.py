"""The shipped catalogues are complete, correct, compiled and up to date with the source (issue #23, point 7).

GNU gettext's own tools judge the catalogues (`make sysdeps` installs them): msgfmt --check for
placeholders and the header, --statistics for what is missing or fuzzy. A string added to the code
without `make messages` fails test_catalogue_is_up_to_date_with_the_source.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from learning_credentials.languages import CATALOGUES

PACKAGE = Path(__file__).resolve().parents[1] / "learning_credentials"
MAKE_MESSAGES = "Run `make messages`, translate what it marks, and commit the .po and .mo files."

pytestmark = pytest.mark.rendering  # no database


def catalogue(language: str) -> Path:
    return PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"


def gettext_tool(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run(arguments, capture_output=True, text=True, check=False)


def msgids(po: Path, tmp_path: Path) -> set:
    """Every message of a catalogue, translated or not: msgen copies each msgid to its msgstr, msgfmt compiles that."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    english, compiled = tmp_path / f"{po.parent.parent.name}-en.po", tmp_path / f"{po.parent.parent.name}-en.mo"
    for command in (("msgen", "-o", english, po), ("msgfmt", "--use-fuzzy", "-o", compiled, english)):
        result = gettext_tool(*command)
        assert result.returncode == 0, result.stderr
    with compiled.open("rb") as file:
        return {key for key in gettext.GNUTranslations(file)._catalog if key != ""}


def shown(keys) -> str:
    """A few messages, readable: a plural's msgid, a context's message without its separator."""
    texts = sorted({(key[0] if isinstance(key, tuple) else key).replace("\x04", " | ") for key in keys})
    return "; ".join(repr(text) for text in texts[:8]) + (" ..." if len(texts) > 8 else "")


@pytest.mark.parametrize("language", CATALOGUES)
def test_catalogue_has_no_missing_or_fuzzy_entry(language):
    po = catalogue(language)
    statistics = gettext_tool("msgfmt", "--statistics", "-o", os.devnull, po).stderr
    problems = []
    for kind, option in (("untranslated", "--untranslated"), ("fuzzy", "--only-fuzzy")):
        selected = gettext_tool("msgattrib", option, "--no-wrap", po).stdout
        entries = re.findall(r'^msgid "(.+)"$', selected, flags=re.MULTILINE)
        if entries:
            problems.append(f"{len(entries)} {kind}, e.g. {'; '.join(entries[:5])}")
    assert not problems, f"The {language} catalogue is incomplete ({statistics.strip()}): {' / '.join(problems)}"


@pytest.mark.parametrize("language", CATALOGUES)
def test_catalogue_passes_msgfmt_check(language):
    """Placeholders agree with the msgid's (python-format, python-brace-format), plural forms and header are sound."""
    result = gettext_tool("msgfmt", "--check", "-o", os.devnull, catalogue(language))
    assert result.returncode == 0, f"msgfmt --check refuses the {language} catalogue:\n{result.stderr}"


@pytest.mark.parametrize("language", CATALOGUES)
def test_committed_mo_matches_the_po(language, tmp_path):
    """Django reads the compiled catalogue only: it must be the .po's, compiled."""
    po = catalogue(language)
    committed = po.with_suffix(".mo")
    assert committed.is_file(), f"{committed.relative_to(PACKAGE.parent)} is missing. {MAKE_MESSAGES}"
    fresh = tmp_path / "django.mo"
    result = gettext_tool("msgfmt", "-o", fresh, po)
    assert result.returncode == 0, result.stderr
    with committed.open("rb") as old, fresh.open("rb") as new:
        old_catalog, new_catalog = gettext.GNUTranslations(old)._catalog, gettext.GNUTranslations(new)._catalog
    differing = {key for key in old_catalog.keys() | new_catalog.keys() if old_catalog.get(key) != new_catalog.get(key)}
    assert not differing, f"The {language} .mo is not the .po compiled, e.g. {shown(differing)}. {MAKE_MESSAGES}"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The package's source extracted afresh, as `make messages` does, into a copy of the package.

    ``-P``: the copy's own modules (selectors.py) must not shadow the standard library's.
    """
    copy = tmp_path_factory.mktemp("extracted") / "learning_credentials"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    languages = [argument for language in CATALOGUES for argument in ("-l", language)]
    result = subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "--no-obsolete", "--add-location=file", *languages],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return copy


@pytest.mark.parametrize("language", CATALOGUES)
def test_catalogue_is_up_to_date_with_the_source(language, extracted, tmp_path):
    source = msgids(extracted / "locale" / language / "LC_MESSAGES" / "django.po", tmp_path / "source")
    committed = msgids(catalogue(language), tmp_path / "committed")
    new, gone = source - committed, committed - source
    assert not (new or gone), (
        f"The {language} catalogue does not match the source: {len(new)} string(s) not in it"
        f"{' (' + shown(new) + ')' if new else ''}, {len(gone)} no longer in the code"
        f"{' (' + shown(gone) + ')' if gone else ''}. {MAKE_MESSAGES}"
    )
