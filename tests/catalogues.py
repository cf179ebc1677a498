"""A tiny catalogue of the test's own, found first through LOCALE_PATHS: a test can show that a wrapped
string comes out translated, with its context and plural forms, and that nothing changes its case."""

import subprocess
from pathlib import Path

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: {language}\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def install_catalogue(directory: Path, settings, language: str, entries: list[tuple]) -> None:
    """Write and compile ``entries`` for ``language`` under ``directory`` and put it first in LOCALE_PATHS.

    Each entry is ``(context, msgid, msgstr)`` or ``(context, (singular, plural), (one, other))``;
    ``context`` is None for none. Django's test signals drop the cached catalogues when the setting changes.
    """
    lines = [HEADER.format(language=language)]
    for context, msgid, msgstr in entries:
        if context is not None:
            lines.append(f"msgctxt {_quoted(context)}\n")
        if isinstance(msgid, tuple):
            lines.append(f"msgid {_quoted(msgid[0])}\nmsgid_plural {_quoted(msgid[1])}\n")
            lines.extend(f"msgstr[{index}] {_quoted(form)}\n" for index, form in enumerate(msgstr))
        else:
            lines.append(f"msgid {_quoted(msgid)}\nmsgstr {_quoted(msgstr)}\n")
        lines.append("\n")
    messages = directory / "locale" / language / "LC_MESSAGES"
    messages.mkdir(parents=True, exist_ok=True)
    (messages / "django.po").write_text("".join(lines), encoding="utf-8")
    subprocess.run(["msgfmt", "-o", messages / "django.mo", messages / "django.po"], check=True)
    settings.LOCALE_PATHS = [directory / "locale", *settings.LOCALE_PATHS]
