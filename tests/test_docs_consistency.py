"""The documentation's reference tables agree with the code, so that they cannot drift.

Generated: the URL reference (tests/docs_tables.py, ``make docs-tables``). Checked against their
source: the settings table (DEFAULTS), the CI tables of the README and the quickstart (.ci/run), the
system packages (the Makefile's SYSDEPS), the API's error table (ERROR_STATUSES) and the PDF options
table (what generate_pdf_credential declares).
"""

import json
import re
import shlex
from pathlib import Path

import pytest

from learning_credentials import conf
from learning_credentials.exceptions import LearningCredentialsError
from learning_credentials.registry import function_options
from learning_credentials.rendering.builtin import generate_pdf_credential
from learning_credentials.rest_api.v1.views import ERROR_STATUSES
from tests.docs_tables import URL_TABLE, url_patterns, url_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Keys of LEARNING_CREDENTIALS that the sub-apps read and validate themselves (not in conf.DEFAULTS).
SUB_APP_SETTINGS = {"EXAMS": {}, "OPEN_BADGES": {}}
# The exams sub-app lists its own refusals on its page, in tables after this sentence.
EXAMS_ERROR_TABLE = "Refusals use the API's error format"
# Django REST framework's own refusals, in the same format (rest_api/v1/views.py error_body).
DRF_CODES = {
    "invalid": 400,
    "not_authenticated": 401,
    "authentication_failed": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "throttled": 429,
}


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _list_table(text: str, after: str) -> list[list[str]]:
    """The rows of the first reStructuredText list-table after ``after``, each a list of its cells' text."""
    start = text.index(after)
    lines = text[text.index(".. list-table::", start) :].splitlines()[1:]
    rows: list[list[str]] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("* - "):
            rows.append([stripped[4:]])
        elif stripped.startswith("- ") and rows:
            rows[-1].append(stripped[2:])
        elif stripped and not stripped.startswith(":") and rows:
            if not line.startswith(" "):
                break  # the text after the table
            rows[-1][-1] += " " + stripped
        elif not stripped and rows and len(rows[-1]) == 1:
            break
    return rows[1:]  # without the header row


def _literals(cell: str) -> list[str]:
    return re.findall(r"``(.+?)``", cell)


def test_the_url_reference_is_generated_from_the_url_patterns():
    assert _read(URL_TABLE) == url_table(), "docs/reference/urls.rst is out of date: run `make docs-tables`"


def test_every_url_says_what_it_does():
    assert [path for path, _name, summary in url_patterns() if not summary] == []


def test_the_api_overview_names_only_urls_that_exist():
    paths = {path for path, _name, _summary in url_patterns()}
    rows = _list_table(_read(DOCS / "reference/api.rst"), "Overview")
    documented = [_literals(row[0])[0].split("?")[0].split(" ", 1) for row in rows]  # without a query
    assert documented, "the API overview table was not found"
    assert [f"{method} {path}" for method, path in documented if path not in paths] == []
    assert {method for method, _path in documented} <= {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_the_settings_table_lists_every_setting_with_its_default():
    rows = _list_table(_read(DOCS / "reference/settings.rst"), "Each key missing from the dict")
    documented = {_literals(row[0])[0]: _literals(row[1])[0] for row in rows}
    expected = {**conf.DEFAULTS, **SUB_APP_SETTINGS}
    assert sorted(documented) == sorted(expected)
    wrong = {
        key: (text, expected[key])
        for key, text in documented.items()
        # Our own docs' literals, some with arithmetic (10 * 1024 * 1024), evaluated without builtins.
        if eval(text, {"__builtins__": {}}, {"None": None, "True": True, "False": False}) != expected[key]
    }
    assert wrong == {}, "documented default (text) differs from conf.DEFAULTS"


def _ci_stages() -> list[tuple[str, list[str]]]:
    """(stage name, its commands) in the order .ci/run runs them, without the services' start."""
    stages: list[tuple[str, list[str]]] = []
    for line in _read(ROOT / ".ci/run").splitlines():
        if match := re.match(r'stage "([^"]+)" "[^"]*"$', line):
            stages.append((match[1], []))
        elif stages and line and not line.startswith(("done_stage", "#", " ")) and line != "ensure_services":
            stages[-1][1].append(line)
    return [stage for stage in stages if stage[0] != "services"]


def _readme_ci_rows() -> list[tuple[str, str]]:
    text = _read(ROOT / "README.md")
    section = text[text.index("### What runs where") :]
    table = section[section.index("| ") :].split("\n\n")[0]
    rows = [line.split("|")[1:3] for line in table.splitlines()]
    return [(name.strip(), what.strip()) for name, what in rows[2:]]  # without the header and its rule


def _quickstart_ci_rows() -> list[tuple[str, str]]:
    rows = _list_table(_read(DOCS / "quickstart.rst"), "What CI runs")
    return [(row[0], row[1]) for row in rows]


def _markers(command: str) -> list[str]:
    """The pytest marker expressions a command passes (``-m "..."`` inside PYTEST_ARGS)."""
    found = []
    for word in shlex.split(command):
        if word.startswith("PYTEST_ARGS="):
            args = shlex.split(word.removeprefix("PYTEST_ARGS="))
            found += [args[i + 1] for i, arg in enumerate(args) if arg == "-m"]
    return found


@pytest.mark.parametrize("rows", [_readme_ci_rows, _quickstart_ci_rows], ids=["README", "quickstart"])
def test_the_ci_tables_follow_ci_run(rows):
    documented = rows()
    stages = _ci_stages()
    assert [name for name, _what in documented] == [name for name, _commands in stages]
    for (name, what), (_name, commands) in zip(documented, stages, strict=True):
        for command in commands:
            if command.startswith("make "):
                assert command in what, f"stage {name}: the table does not say it runs `{command}`"
            for marker in _markers(command):
                assert f'-m "{marker}"' in what, f"stage {name}: the table does not name the markers {marker!r}"
            if benchmark := re.search(r"benchmarks/(\w+\.py)", command):
                assert benchmark[1] in what, f"stage {name}: the table does not name {benchmark[1]}"


def _sysdeps() -> set[str]:
    line = next(line for line in _read(ROOT / "Makefile").splitlines() if line.startswith("SYSDEPS :="))
    # npm is checked as a command: Debian's nodejs brings none, its npm package or another nodejs build does.
    return {*line.split(":=", 1)[1].split(), "npm"}


@pytest.mark.parametrize(
    ("path", "start", "end", "quote"),
    [
        ("README.md", "`make sysdeps` (run by `make test`, idempotent)", "The worker", "`"),
        ("docs/quickstart.rst", "``make sysdeps`` (run by ``make test``; idempotent)", "Run as root", "``"),
    ],
    ids=["README", "quickstart"],
)
def test_the_system_packages_follow_the_makefile(path, start, end, quote):
    text = _read(ROOT / path)
    sentence = text[text.index(start) : text.index(end, text.index(start))]
    sentence = re.sub(r"\([^)]*\)", "", sentence)  # the parentheses say what a package is for
    named = set(re.findall(rf"{re.escape(quote)}([^`]+?){re.escape(quote)}", sentence)) - {"make sysdeps"}
    assert named == _sysdeps()


def _error_classes() -> list[type[LearningCredentialsError]]:
    found, todo = [], [LearningCredentialsError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_the_api_error_table_gives_each_code_its_status():
    rows = [
        *_list_table(_read(DOCS / "reference/api.rst"), "HTTP statuses of the app's errors"),
        *(
            row
            for part in _read(DOCS / "exams.rst").split(EXAMS_ERROR_TABLE)[1:]
            for row in _list_table(EXAMS_ERROR_TABLE + part, EXAMS_ERROR_TABLE)
        ),
    ]
    documented = {code: int(row[1]) for row in rows for code in _literals(row[0])}
    statuses = {code: {status} for code, status in DRF_CODES.items()}
    for cls in _error_classes():
        status = next((http for kind, http in ERROR_STATUSES if issubclass(cls, kind)), 500)
        statuses.setdefault(cls.code, set()).add(status)
    assert {code: statuses.get(code) for code in documented if documented[code] not in statuses.get(code, ())} == {}
    # Every error the API maps to a status, but the grouping bases (TooManyRequests) that are never raised themselves.
    leaves = [cls for cls in _error_classes() if not cls.__subclasses__()]
    mapped = {cls.code for kind, _http in ERROR_STATUSES for cls in leaves if issubclass(cls, kind)}
    assert sorted(mapped - set(documented)) == [], "error codes the API answers with that the table does not list"


def test_the_pdf_options_table_lists_what_the_function_declares():
    rows = _list_table(_read(DOCS / "reference/pdf_options.rst"), "Coordinates are points")
    documented = {_literals(row[0])[0]: row[2] for row in rows}
    declared = function_options(generate_pdf_credential)
    assert sorted(documented) == sorted([*declared, "share_image"])
    for name, option in declared.items():
        default = "required" if option.required else f"``{_json_literal(option.default)}``"
        assert documented[name] == default, f"{name}: documented default {documented[name]}, declared {default}"


def _json_literal(value) -> str:
    return json.dumps(value)
