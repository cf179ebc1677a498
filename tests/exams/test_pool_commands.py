"""``import_question_pool`` and ``export_question_pool``: counts on success, every error on stderr, a non-zero exit."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from learning_credentials.exams.models import Question
from learning_credentials.exams.pools import MAX_FILE_BYTES

from .conftest import COURSE
from .test_pools import THREE, document, question

pytestmark = pytest.mark.django_db
KEY = str(COURSE)


def pool_file(tmp_path: Path, data, name: str = "pool.json") -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(path)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    return str(error.value)


def test_import_creates_and_reports_the_counts(tmp_path):
    out = run("import_question_pool", "--context", KEY, pool_file(tmp_path, THREE))
    assert f"Imported into the pool of {KEY}: 3 created, 0 updated, 0 unchanged;" in out
    assert "Valid active questions in the pool (what exams draw from): 2." in out
    assert sorted(Question.objects.values_list("external_id", flat=True)) == ["q1", "q2", "q3"]
    out = run("import_question_pool", "--context", KEY, pool_file(tmp_path, THREE))
    assert "0 created, 0 updated, 3 unchanged" in out


def test_a_dry_run_checks_and_writes_nothing(tmp_path):
    out = run("import_question_pool", "--context", KEY, "--dry-run", pool_file(tmp_path, THREE))
    assert f"Checked against the pool of {KEY} (nothing written): 3 to create, 0 to update, 0 unchanged" in out
    assert Question.objects.count() == 0


def test_every_error_is_listed_and_nothing_imported(tmp_path):
    broken = document(question("a", lesson=""), question("b", "true_false", options=[]), question("a"))
    message = refused("import_question_pool", "--context", KEY, path := pool_file(tmp_path, broken))
    assert message == (
        f"{path}: nothing was imported; 4 error(s):\n"
        "  - question 'a' (item 1): lesson: must not be blank\n"
        "  - question 'b' (item 2): options: a true or false question needs exactly 2 options; it has 0\n"
        "  - question 'b' (item 2): options: a true or false question needs exactly 1 correct option; it has 0\n"
        "  - question 'a' (item 3): id: repeats the id of item 1"
    )
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "The file is not valid JSON. Line 1, column 2: expected a field name in double quotes."),
        (b"\x89PNG\r\n\x1a\n", "The file is not UTF-8 text."),
        (b" " * (MAX_FILE_BYTES + 10), "The file is larger than 5 MB."),
    ],
)
def test_a_file_that_is_not_a_pool_gets_a_clear_message(tmp_path, content, expected):
    assert expected in refused("import_question_pool", "--context", KEY, pool_file(tmp_path, content))


def test_a_missing_file_and_a_bad_key_get_a_clear_message(tmp_path):
    missing = str(tmp_path / "nowhere.json")
    assert refused("import_question_pool", "--context", KEY, missing) == (
        f"{missing}: cannot be read (No such file or directory)."
    )
    assert "pool course: 'course-v1:nope' is not a course key" in refused(
        "import_question_pool", "--context", "course-v1:nope", pool_file(tmp_path, THREE)
    )
    assert "is not a course key" in refused("export_question_pool", "--context", "nope")


def test_export_writes_the_pool_to_stdout_or_a_file_and_imports_back(tmp_path):
    run("import_question_pool", "--context", KEY, pool_file(tmp_path, THREE))
    printed = run("export_question_pool", "--context", KEY)
    target = tmp_path / "out.json"
    assert run("export_question_pool", "--context", KEY, str(target)) == ""
    assert target.read_text(encoding="utf-8") == printed
    assert [item["id"] for item in json.loads(printed)["questions"]] == ["q1", "q2", "q3"]
    assert "0 created, 0 updated, 3 unchanged" in run("import_question_pool", "--context", KEY, str(target))


def test_the_commands_exit_non_zero_with_errors_on_stderr(tmp_path):
    """As an operator runs it: a real process, its exit status and its two streams (refused before any query)."""
    example = Path(__file__).resolve().parents[2] / "example"
    broken = pool_file(tmp_path, document({**question("a"), "kind": "essay"}))
    result = subprocess.run(
        [sys.executable, "manage.py", "import_question_pool", "--context", KEY, broken],
        cwd=example,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "question 'a' (item 1): kind: must be one of: single, multiple, true_false" in result.stderr
    assert "Traceback" not in result.stderr
