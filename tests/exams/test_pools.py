"""Question pool files (issue 16): an all-or-nothing, idempotent import naming every error; an exact export."""

import copy
import json
import logging
from collections import Counter
from pathlib import Path

import pytest
from django.db import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from learning_credentials.exams import pools
from learning_credentials.exams.exceptions import PoolImportRefused
from learning_credentials.exams.models import Question, QuestionOption
from learning_credentials.exams.pools import (
    MAX_FILE_BYTES,
    pool_key_parse,
    question_pool_export,
    question_pool_import,
    question_pool_parse,
    question_pool_schema,
)
from learning_credentials.exams.selectors import OPTION_RULES, pool_count
from tests.concurrency import run_together
from tests.logs import activity

from .conftest import CHILD, COURSE, make_pool

pytestmark = pytest.mark.django_db
DEMO_POOL = Path(__file__).resolve().parents[2] / "example" / "certification" / "pool.json"


def question(external_id: str, kind: str = "single", **fields) -> dict:
    options = {
        "single": [{"text": "Paris", "correct": True}, {"text": "Lyon", "correct": False}],
        "multiple": [{"text": "2", "correct": True}, {"text": "3", "correct": True}, {"text": "4", "correct": False}],
        "true_false": [{"text": "True", "correct": False}, {"text": "False", "correct": True}],
    }[kind]
    return {"id": external_id, "lesson": "Lesson 01", "kind": kind, "text": f"Question {external_id}?"} | {
        "options": options,
        **fields,
    }


def document(*questions: dict) -> dict:
    return {"format": "learning-credentials-question-pool", "version": 1, "questions": list(questions)}


def run_import(data, pool=COURSE, **kwargs):
    return question_pool_import(pool_context_key=pool, data=data, source="test", **kwargs)


def refusal(data, pool=COURSE) -> list[str]:
    with pytest.raises(PoolImportRefused) as refused:
        run_import(data, pool)
    return refused.value.errors


def snapshot(pool=COURSE) -> list:
    """Everything an import may change in a pool, with the rows' timestamps."""
    questions = Question.objects.filter(pool_context_key=pool).order_by("pk")
    return [
        (q.pk, q.external_id, q.lesson, q.kind, q.text, q.active, q.modified, list(q.options.values_list("pk", "text")))
        for q in questions
    ]


THREE = document(question("q1"), question("q2", "multiple"), question("q3", "true_false", active=False))


def test_a_valid_file_creates_its_questions_with_their_options_in_order():
    report = run_import(THREE)
    assert (report.created, report.updated, report.unchanged, report.untouched) == (3, 0, 0, 0)
    q2 = Question.objects.get(pool_context_key=COURSE, external_id="q2")
    assert (q2.kind, q2.lesson, q2.text, q2.active) == ("multiple", "Lesson 01", "Question q2?", True)
    assert list(q2.options.values_list("position", "text", "correct")) == [
        (0, "2", True),
        (1, "3", True),
        (2, "4", False),
    ]
    assert Question.objects.get(external_id="q3").active is False
    assert pool_count(pool_context_key=COURSE) == 2  # the inactive one does not count


def test_importing_the_same_file_again_changes_nothing():
    run_import(THREE)
    before = snapshot()
    report = run_import(THREE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert snapshot() == before  # not even a timestamp or an option row


def test_a_known_id_is_updated_and_its_options_replaced():
    run_import(THREE)
    q1 = Question.objects.get(external_id="q1")
    changed = question(
        "q1",
        "true_false",
        lesson="Lesson 02",
        text="Is Paris in France?",
        active=False,
        options=[{"text": "True", "correct": True}, {"text": "False", "correct": False}],
    )
    report = run_import(document(changed, question("q2", "multiple"), question("q3", "true_false", active=False)))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    q1.refresh_from_db()
    assert (q1.kind, q1.lesson, q1.text, q1.active) == ("true_false", "Lesson 02", "Is Paris in France?", False)
    assert list(q1.options.values_list("position", "text", "correct")) == [(0, "True", True), (1, "False", False)]
    assert QuestionOption.objects.filter(question__external_id="q1").count() == 2  # the old ones are gone


def test_questions_missing_from_the_file_and_other_pools_are_left_alone():
    run_import(THREE)
    make_pool(CHILD, 4)
    before = snapshot(), snapshot(CHILD)
    report = run_import(document(question("q4")))
    assert (report.created, report.untouched) == (1, 3)
    assert (snapshot()[:3], snapshot(CHILD)) == before


def test_ids_are_matched_exactly_so_case_and_spaces_make_new_questions():
    run_import(document(question("Q-1")))
    report = run_import(document(question("q-1"), question("Q-1 ")))
    assert (report.created, report.unchanged, report.untouched) == (2, 0, 1)


def test_a_dry_run_reports_and_writes_nothing():
    run_import(THREE)
    before = snapshot()
    report = run_import(document(question("q1", text="New?"), question("q9")), dry_run=True)
    assert (report.created, report.updated, report.unchanged, report.untouched, report.dry_run) == (1, 1, 0, 2, True)
    assert snapshot() == before


def test_export_then_import_round_trips_exactly():
    run_import(THREE)
    exported = question_pool_export(pool_context_key=COURSE)
    assert exported == document(*[{**q, "active": q.get("active", True)} for q in THREE["questions"]])
    Question.objects.all().delete()
    run_import(exported, pool=CHILD)  # into another pool, through the JSON text
    assert json.loads(pools.question_pool_dumps(question_pool_export(pool_context_key=CHILD))) == exported
    assert run_import(exported, pool=CHILD).unchanged == 3


def test_export_keeps_questions_the_import_would_refuse():
    """A question broken by hand in the admin is exported as it is: nothing is lost, and the import names it."""
    (broken,) = make_pool(COURSE, 1)
    broken.options.filter(correct=True).update(correct=False)
    exported = question_pool_export(pool_context_key=COURSE)
    assert [option["correct"] for option in exported["questions"][0]["options"]] == [False, False, False]
    assert refusal(exported) == [
        "question 'q0000' (item 1): options: a single choice question needs exactly 1 correct option; it has 0"
    ]


# --- Errors: every one named with the question and the field; nothing written -----------------------


@pytest.mark.parametrize("kind", list(OPTION_RULES))
def test_every_option_rule_of_every_kind_is_named(kind):
    fewest, most, fewest_correct, most_correct = OPTION_RULES[kind]
    too_few = question("few", kind, options=[{"text": "A", "correct": True}] * (fewest - 1))
    no_correct = question("none", kind, options=[{"text": f"{n}", "correct": False} for n in range(fewest)])
    cases = [too_few, no_correct]
    if most is not None:
        cases.append(question("many", kind, options=[{"text": f"{n}", "correct": n == 0} for n in range(most + 1)]))
    if most_correct is not None:
        cases.append(question("right", kind, options=[{"text": f"{n}", "correct": True} for n in range(2)]))
    errors = refusal(document(*cases))
    label = {"single": "single choice", "multiple": "multiple choice", "true_false": "true or false"}[kind]
    expected_count = "exactly" if most == fewest else "at least"
    assert f"question 'few' (item 1): options: a {label} question needs {expected_count} 2 options; it has 1" in errors
    correct_words = "exactly 1 correct option" if most_correct == fewest_correct else "at least 1 correct option"
    assert f"question 'none' (item 2): options: a {label} question needs {correct_words}; it has 0" in errors
    if most is not None:
        assert f"question 'many' (item 3): options: a {label} question needs exactly 2 options; it has 3" in errors
    if most_correct is not None:
        assert f"options: a {label} question needs exactly 1 correct option; it has 2" in errors[-1]
    assert Question.objects.count() == 0


def test_the_rules_come_from_the_pool_counts_rules(monkeypatch):
    """One source of truth: the importer applies OPTION_RULES, so a changed rule changes the import too."""
    monkeypatch.setitem(OPTION_RULES, Question.Kind.SINGLE, (3, None, 1, 1))
    assert refusal(document(question("q1"))) == [
        "question 'q1' (item 1): options: a single choice question needs at least 3 options; it has 2"
    ]


def test_a_repeated_id_is_named_with_the_first_item():
    errors = refusal(document(question("a"), question("b"), question("a", "true_false")))
    assert errors == ["question 'a' (item 3): id: repeats the id of item 1"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["questions"][0].pop("lesson"), "question 'q1' (item 1): lesson: is missing"),
        (lambda d: d["questions"][0].pop("id"), "question (item 1): id: is missing"),
        (lambda d: d["questions"][0].update(active="yes"), "question 'q1' (item 1): active: must be true or false"),
        (lambda d: d["questions"][0].update(kind="essay"), "kind: must be one of: single, multiple, true_false"),
        (lambda d: d["questions"][0].update(kind=["single"]), "kind: must be one of: single, multiple, true_false"),
        (lambda d: d["questions"][0].update(text=""), "question 'q1' (item 1): text: must not be blank"),
        (lambda d: d["questions"][0].update(id=7), "question (item 1): id: must be text (in double quotes)"),
        (lambda d: d["questions"][0].update(lesson="x" * 256), "lesson: is longer than 255 characters"),
        (lambda d: d["questions"][0].update(text="?" * 4001), "text: is longer than 4000 characters"),
        (lambda d: d["questions"][0].update(lesson="L\n"), "lesson: must be one line, without control characters"),
        (lambda d: d["questions"][0].update(text="a\x07"), "text: must not hold control characters"),
        (lambda d: d["questions"][0].update(text="\ud800?"), "text: contains characters that are not valid Unicode"),
        (lambda d: d["questions"][0].update(answer=1), "question 'q1' (item 1): answer: is not a field of the format"),
        (lambda d: d["questions"][0]["options"][1].pop("correct"), "(item 1): options[2].correct: is missing"),
        (lambda d: d["questions"][0]["options"][0].update(correct=1), "options[1].correct: must be true or false"),
        (lambda d: d["questions"][0]["options"][0].update(text=" "), "options[1].text: must not be blank"),
        (lambda d: d["questions"][0].update(options={}), "(item 1): options: must be a list ([...])"),
        (lambda d: d["questions"][0]["options"].extend([{"text": "x", "correct": False}] * 9), "options: holds more"),
        (lambda d: d["questions"].append("q2"), "question (item 2): must be an object ({...})"),
        (lambda d: d.update(version=2), "version: must be 1"),
        (lambda d: d.update(format="csv"), 'format: must be "learning-credentials-question-pool"'),
        (lambda d: d.pop("questions"), "questions: is missing"),
        (lambda d: d.update(questions=None), "questions: must be a list ([...])"),
    ],
)
def test_each_schema_violation_is_named_in_words(mutate, expected):
    data = document(question("q1"))
    mutate(data)
    errors = refusal(data)
    assert any(expected in error for error in errors), errors
    assert not any("'string'" in error or "is not of type" in error or "{'" in error for error in errors)


def test_every_error_of_a_broken_file_is_listed_and_nothing_is_written():
    run_import(THREE)
    before = snapshot()
    broken = document(
        question("q1", text="Changed?"),  # valid, but the file is refused as a whole
        question("q2", "single", options=[{"text": "A", "correct": True}, {"text": "B", "correct": True}]),
        question("new"),
        question("q4", lesson=""),
        question("q1"),
    )
    errors = refusal(broken)
    assert errors == [
        "question 'q2' (item 2): options: a single choice question needs exactly 1 correct option; it has 2",
        "question 'q4' (item 4): lesson: must not be blank",
        "question 'q1' (item 5): id: repeats the id of item 1",
    ]
    assert snapshot() == before
    assert not Question.objects.filter(external_id="new").exists()


def test_a_file_that_is_not_an_object_is_refused():
    assert refusal([question("q1")]) == ["the file: must be an object ({...})"]


def test_too_many_questions_are_refused_before_any_is_looked_at(monkeypatch):
    most = question_pool_schema()["properties"]["questions"]["maxItems"]
    checked = []
    monkeypatch.setattr(pools, "_content_errors", lambda item: checked.append(item) or [])
    errors = refusal(document(*[question(f"q{n}") for n in range(most + 1)]))
    assert errors == [f"questions: at most {most} questions are allowed; the file has {most + 1}."]
    assert checked == []


def test_a_malformed_pool_key_is_refused_in_words():
    errors = refusal(THREE, pool="not a key")
    assert errors == ["pool course: 'not a key' is not a course key (such as course-v1:Org+Course+Run)."]
    assert refusal(THREE, pool="path-v1:OpenedX+DemoX+2026+path") == [
        "pool course: 'path-v1:OpenedX+DemoX+2026+path' is not a course key (such as course-v1:Org+Course+Run)."
    ]
    assert pool_key_parse(" course-v1:DemoX+CS101+2026 ") == COURSE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xff\xfe{}", "The file is not UTF-8 text."),
        (
            b'{"format": ',
            (
                "The file is not valid JSON. Line 1, column 12: the text ends where a value was expected (is "
                "something unclosed?)."
            ),
        ),
        (b'{"version": 1, "version": 2}', "The file repeats the field 'version' in one object."),
        (b'{"version": NaN}', "The file is not valid JSON: it holds a value that cannot be read."),
        (b"[" * 100_000, "The file is not valid JSON: it holds a value that cannot be read."),
        (b" " * (MAX_FILE_BYTES + 1), "The file is larger than 5 MB."),
    ],
)
def test_a_file_that_cannot_be_read_as_json_is_refused_in_words(raw, expected):
    with pytest.raises(PoolImportRefused) as refused:
        question_pool_parse(raw)
    assert refused.value.errors == [expected]


def test_a_byte_order_mark_is_accepted():
    assert question_pool_parse(b"\xef\xbb\xbf" + json.dumps(THREE).encode()) == THREE


def test_each_import_writes_one_structured_log_line(caplog):
    caplog.set_level(logging.INFO, logger="learning_credentials.activity")
    run_import(THREE)
    run_import(THREE, dry_run=True)
    with pytest.raises(PoolImportRefused):
        run_import(document(question("q1"), question("q1")))
    lines = [{k: v for k, v in line.items() if k != "duration_ms"} for line in activity(caplog, "question_pool_import")]
    assert lines == [
        {
            "action": "question_pool_import",
            "context": str(COURSE),
            "outcome": "imported",
            "created": 3,
            "updated": 0,
            "unchanged": 0,
            "untouched": 0,
            "source": "test",
        },
        {
            "action": "question_pool_import",
            "context": str(COURSE),
            "outcome": "dry_run",
            "created": 0,
            "updated": 0,
            "unchanged": 3,
            "untouched": 0,
            "source": "test",
        },
        {"action": "question_pool_import", "context": str(COURSE), "outcome": "refused", "errors": 1, "source": "test"},
    ]


# --- All or nothing in the database (runs on SQLite, PostgreSQL and MariaDB alike) ------------------


@pytest.mark.django_db(transaction=True)
def test_a_database_refusal_at_the_last_write_undoes_the_whole_import(monkeypatch):
    """The new questions and the updates written before the options fail are rolled back with them."""
    run_import(THREE)
    before = snapshot()

    def refused(*args, **kwargs):
        raise IntegrityError("refused by the database")

    monkeypatch.setattr(QuestionOption.objects, "bulk_create", refused)
    errors = refusal(document(question("q1", text="Changed?"), question("q9")))
    assert errors == ["Another change to this pool happened at the same time; nothing was imported. Try again."]
    assert snapshot() == before
    assert not Question.objects.filter(external_id="q9").exists()


@pytest.mark.django_db(transaction=True)
def test_imports_racing_into_one_pool_leave_each_question_once_and_whole():
    data = json.loads(DEMO_POOL.read_text())

    def attempt():
        try:
            return run_import(data).created
        except PoolImportRefused as exc:
            return exc.errors

    outcomes = run_together(attempt, workers=3)
    assert 150 in outcomes  # one import created everything; the others found it or were refused whole
    assert all(outcome in (0, 150) or isinstance(outcome, list) for outcome in outcomes), outcomes
    assert Question.objects.filter(pool_context_key=COURSE).count() == 150
    assert pool_count(pool_context_key=COURSE) == 150
    assert QuestionOption.objects.count() == sum(len(q["options"]) for q in data["questions"])


# --- The format's files --------------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema_and_every_keyword_has_words():
    """A keyword added to the schema without words for it would show staff a bare keyword name."""
    schema = question_pool_schema()
    Draft202012Validator.check_schema(schema)
    annotations = {"$schema", "$id", "$ref", "title", "description", "default", "items", "required"}

    def keywords(node):
        for key, value in node.items():
            if key in ("properties", "$defs"):  # names of fields and definitions, not keywords
                for sub in value.values():
                    yield from keywords(sub)
            elif key not in annotations:
                yield key, value
            if key == "items":
                yield from keywords(value)

    found = list(keywords(schema))
    assert {keyword for keyword, _ in found} >= {"type", "const", "enum", "maxLength", "maxItems", "pattern", "not"}
    unworded = [(k, v) for k, v in found if k != "additionalProperties" and f"({k})" in pools._schema_words(k, v)]
    assert unworded == []


def test_the_demo_pool_imports_into_150_valid_questions_over_30_lessons():
    data = json.loads(DEMO_POOL.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(question_pool_schema()).iter_errors(data)) == []
    report = run_import(data)
    assert report.created == 150
    assert pool_count(pool_context_key=COURSE) == 150
    lessons = Counter(Question.objects.filter(pool_context_key=COURSE).values_list("lesson", flat=True))
    assert sorted(lessons.values()) == [5] * 30
    assert set(Question.objects.values_list("kind", flat=True)) == set(Question.Kind.values)
    assert question_pool_export(pool_context_key=COURSE) == data


# --- Property: whatever the file holds, a report or a refusal in words; never another exception -------

edgy_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "\x00", "\ud800", "a\nb", "x" * 300, "?" * 4001, "😀", "id", "q1", "single"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | edgy_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(edgy_text, children, max_size=3),
    max_leaves=8,
)
KEYS = ("format", "version", "questions", "id", "lesson", "kind", "text", "active", "options", "correct")


def _broken(draw, data) -> None:
    """Walk down somewhere and delete, set or add a field, or grow or shrink a list, with any JSON value."""
    node = data
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        child = node[draw(st.sampled_from(sorted(node)))] if isinstance(node, dict) else draw(st.sampled_from(node))
        if not isinstance(child, dict | list):
            break
        node = child
    if isinstance(node, dict):
        key = draw(st.sampled_from(KEYS) | edgy_text)
        if key in node and draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(json_values)
    elif isinstance(node, list):
        action = draw(st.sampled_from(["append", "duplicate", "drop"]))
        if action == "append":
            node.append(draw(json_values))
        elif action == "duplicate" and node:
            node.append(copy.deepcopy(node[0]))
        elif node:
            node.pop()


def _edited(draw, data) -> None:
    """What an author does: new text in a field, an option's flag or a question's switch flipped."""
    item = draw(st.sampled_from(data["questions"]))
    if not isinstance(item, dict):
        return
    field = draw(st.sampled_from(["id", "lesson", "text", "active", "correct"]))
    if field == "active":
        item["active"] = not item.get("active", True)
    elif field == "correct" and isinstance(item.get("options"), list) and item["options"]:
        option = draw(st.sampled_from(item["options"]))
        if isinstance(option, dict):
            option["correct"] = not option.get("correct")
    elif field != "correct":
        item[field] = draw(st.text(min_size=1, max_size=30))


@st.composite
def mutated_documents(draw):
    data = copy.deepcopy(document(question("q1"), question("q2", "multiple"), question("q3", "true_false")))
    for _ in range(draw(st.integers(0, 3))):
        if isinstance(data.get("questions"), list) and data["questions"] and draw(st.booleans()):
            _edited(draw, data)
        else:
            _broken(draw, data)
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutated_documents())
def test_mutated_documents_get_a_report_or_a_refusal_in_words(data):
    before = snapshot()
    raw = json.dumps(data).encode()  # lone surrogates travel as escapes, as in a file
    try:
        report = run_import(question_pool_parse(raw))
    except PoolImportRefused as refused:
        assert refused.errors
        assert all(isinstance(error, str) and error.strip() for error in refused.errors)
        assert snapshot() == before
    else:  # accepted: the pool now holds exactly what the file says
        assert report.created + report.updated + report.unchanged == len(data["questions"])
        exported = {item["id"]: item for item in question_pool_export(pool_context_key=COURSE)["questions"]}
        assert [exported[item["id"]] for item in data["questions"]] == [
            {**item, "active": item.get("active", True)} for item in data["questions"]
        ]
