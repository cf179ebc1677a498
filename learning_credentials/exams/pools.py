"""Question pools as JSON files: the import (all or nothing, idempotent by external id) and the export.

The format is ``schemas/question_pool.schema.json`` (shipped in the package). The schema checks the
shape; the kinds' option rules come from ``selectors.OPTION_RULES``, the rules the pool count
applies, so a file that imports is a file whose active questions all count. Export and import sit
together because they are one format: a question is unchanged by an import exactly when its export
equals the incoming item.
"""

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from ..observability import elapsed_ms, log_activity
from ..problems import json_problem
from .exceptions import PoolImportRefused
from .models import Question, QuestionOption, reference_key
from .selectors import OPTION_RULES

FORMAT = "learning-credentials-question-pool"
VERSION = 1
SCHEMA_FILE = "schemas/question_pool.schema.json"
# A pool of 5,000 long questions fits in well under this; anything larger is refused before it is parsed.
MAX_FILE_BYTES = 5 * 1024 * 1024

_TYPE_WORDS = {
    "object": "must be an object ({...})",
    "array": "must be a list ([...])",
    "string": "must be text (in double quotes)",
    "boolean": "must be true or false",
    "integer": "must be a whole number",
}
# What each kind of text in the schema's $defs refuses with its "not" pattern.
_CONTROL_WORDS = {
    "line": "must be one line, without control characters",
    "paragraph": "must not hold control characters (line breaks and tabs are fine)",
}


@dataclass(frozen=True)
class PoolImportReport:
    """What an import did (or, in a dry run, would do) to the pool."""

    pool_context_key: CourseKey
    created: int
    updated: int
    unchanged: int
    # Questions of the pool that the file does not mention: an import never changes or removes them.
    untouched: int
    dry_run: bool = False

    def summary(self) -> str:
        """The report in words, for staff (the admin's message, the command's output)."""
        counts = (
            f"{self.created} to create, {self.updated} to update, {self.unchanged} unchanged"
            if self.dry_run
            else f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )
        lead = "Checked against" if self.dry_run else "Imported into"
        return (
            f"{lead} the pool of {self.pool_context_key}{' (nothing written)' if self.dry_run else ''}: {counts}; "
            f"{self.untouched} question(s) of the pool not in the file left as they were."
        )


@cache
def question_pool_schema() -> dict[str, Any]:
    """The JSON Schema of the pool format, as shipped in the package."""
    return json.loads(files("learning_credentials.exams").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def pool_key_parse(raw: Any) -> CourseKey:
    """The pool course from its key; PoolImportRefused unless it is a course key (course-v1:...)."""
    if isinstance(raw, CourseKey):
        return raw
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        if not text or len(text) > 255 or "\x00" in text:
            raise InvalidKeyError(CourseKey, text)
        return CourseKey.from_string(text)
    except InvalidKeyError:
        shown = "".join(char for char in text[:80] if char.isprintable())
        raise PoolImportRefused(
            errors=[f"pool course: '{shown}' is not a course key (such as course-v1:Org+Course+Run)."]
        ) from None


def question_pool_parse(raw: bytes) -> Any:
    """The JSON document of a pool file; PoolImportRefused when it is too large, not UTF-8 or not JSON."""
    if len(raw) > MAX_FILE_BYTES:
        raise PoolImportRefused(errors=[f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."])
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark from a Windows editor is not an error
    except UnicodeDecodeError:
        raise PoolImportRefused(errors=["The file is not UTF-8 text."]) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise PoolImportRefused(errors=[f"The file is not valid JSON. {json_problem(exc)}"]) from None
    except _DuplicateKey as exc:
        raise PoolImportRefused(errors=[f"The file repeats the field '{exc.key}' in one object."]) from None
    except (ValueError, RecursionError):  # NaN, Infinity, a number too long, nesting too deep
        raise PoolImportRefused(errors=["The file is not valid JSON: it holds a value that cannot be read."]) from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        self.key = "".join(char for char in key[:60] if char.isprintable())
        super().__init__(key)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects without a repeated field: Python would silently keep the last one."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _no_constant(name: str):
    raise ValueError(name)


def question_pool_import(
    *, pool_context_key: CourseKey | str, data: Any, source: str, dry_run: bool = False
) -> PoolImportReport:
    """Bring a course's pool in line with a pool document, all or nothing; PoolImportRefused names every error.

    Questions are matched by external id: a new id is created, a known one is updated (text,
    lesson, kind, active, and its options replaced) only when something differs, so importing the
    same file again changes nothing. Questions of the pool missing from the file are left as they
    are; a question is retired with ``"active": false``. Attempts keep their own snapshot of the
    questions they drew, so an update changes no attempt. With ``dry_run``, nothing is written.
    """
    started = time.monotonic()
    try:
        key = pool_key_parse(pool_context_key)
        incoming = _validated(data)
        try:
            with transaction.atomic():
                report = _apply(key, incoming, dry_run=dry_run)
        except (IntegrityError, OperationalError):
            # Another import of this pool created one of these ids first, or a lock wait gave up.
            raise PoolImportRefused(
                errors=["Another change to this pool happened at the same time; nothing was imported. Try again."]
            ) from None
    except PoolImportRefused as exc:
        log_activity(
            "question_pool_import",
            context=str(pool_context_key)[:255],
            outcome="refused",
            errors=len(exc.errors),
            source=source,
            duration_ms=elapsed_ms(started),
        )
        raise
    log_activity(
        "question_pool_import",
        context=key,
        outcome="dry_run" if dry_run else "imported",
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        untouched=report.untouched,
        source=source,
        duration_ms=elapsed_ms(started),
    )
    return report


def question_pool_export(*, pool_context_key: CourseKey | str) -> dict[str, Any]:
    """Every question of a course's pool in the import format, in the order they were created.

    Importing the result into the same pool changes nothing. Questions that break their kind's
    option rules (edited by hand in the admin) are exported as they are; an import names them.
    """
    key = pool_key_parse(pool_context_key)
    questions = Question.objects.filter(pool_context_key=key).prefetch_related("options").order_by("pk")
    return {"format": FORMAT, "version": VERSION, "questions": [_document(question) for question in questions]}


def question_pool_dumps(document: dict[str, Any]) -> str:
    """A pool document as the export writes it: indented UTF-8 JSON, readable in a diff, ending in a newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _document(question: Question) -> dict[str, Any]:
    """One question as the format writes it (options in their order)."""
    return {
        "id": question.external_id,
        "lesson": question.lesson,
        "kind": question.kind,
        "text": question.text,
        "active": question.active,
        "options": [
            {"text": option.text, "correct": option.correct}
            for option in sorted(question.options.all(), key=lambda option: option.position)
        ],
    }


# --- Validation: every error of the file, in words, before anything is written -------------------


def _validated(data: Any) -> list[dict[str, Any]]:
    """The questions of a valid document (``active`` filled in); PoolImportRefused with every error otherwise."""
    schema = question_pool_schema()
    most = schema["properties"]["questions"]["maxItems"]
    if isinstance(data, dict) and isinstance(data.get("questions"), list) and len(data["questions"]) > most:
        # Refused before each question is looked at: a huge file costs no more than a count.
        raise PoolImportRefused(
            errors=[f"questions: at most {most} questions are allowed; the file has {len(data['questions'])}."]
        )
    errors: dict[tuple[int | None, str, str], None] = {}  # a set that keeps the order found
    questions = data.get("questions") if isinstance(data, dict) else None
    questions = questions if isinstance(questions, list) else []
    for error in Draft202012Validator(schema).iter_errors(data):
        errors.update(dict.fromkeys(_described(error)))
    first_item: dict[str, int] = {}
    for index, question in enumerate(questions):
        if not isinstance(question, dict):
            continue
        errors.update(dict.fromkeys((index, field, message) for field, message in _content_errors(question)))
        external_id = question.get("id")
        if isinstance(external_id, str):
            if external_id in first_item:
                errors[(index, "id", f"repeats the id of item {first_item[external_id] + 1}")] = None
            else:
                first_item[external_id] = index
    if errors:
        # By item and field; one field's errors in the order found (the option count before the correct count).
        ordered = sorted(errors, key=lambda error: (-1 if error[0] is None else error[0], error[1]))
        raise PoolImportRefused(errors=[_worded(*error, questions) for error in ordered])
    return [{**question, "active": question.get("active", True)} for question in questions]


def _worded(index: int | None, field: str, message: str, questions: list) -> str:
    if index is None:
        return f"{field}: {message}" if field else f"the file: {message}"
    external_id = questions[index].get("id") if isinstance(questions[index], dict) else None
    shown = f"question '{external_id[:80]}'" if isinstance(external_id, str) and _printable(external_id) else "question"
    return f"{shown} (item {index + 1}): {field}: {message}" if field else f"{shown} (item {index + 1}): {message}"


def _printable(text: str) -> bool:
    return text.isprintable() and not text.isspace() and _utf8(text)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, written as an escape such as \ud800
        return False
    return True


def _field(path: Iterable) -> str:
    """``options[2].text`` from a path inside a question; list positions count from 1, as people count."""
    words = ""
    for part in path:
        words += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if words else str(part))
    return words


def _described(error: SchemaError) -> list[tuple[int | None, str, str]]:
    """A schema error as (item index or None, field, words): never the validator's Python reprs."""
    path = list(error.absolute_path)
    if path[:1] == ["questions"] and len(path) >= 2 and isinstance(path[1], int):
        index, inner = path[1], path[2:]
    else:
        index, inner = None, path
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        return [
            (index, _field([*inner, name]), "is missing")
            for name in expected
            if isinstance(instance, dict) and name not in instance
        ]
    if keyword == "additionalProperties":
        known = error.schema.get("properties", {})
        return [
            (index, _field([*inner, _shown(name)]), "is not a field of the format (a typo?)")
            for name in instance
            if name not in known
        ]
    return [(index, _field(inner), _schema_words(keyword, expected))]


def _shown(name: str) -> str:
    return "".join(char for char in name[:60] if char.isprintable()) or "?"


def _schema_words(keyword: str, expected: Any) -> str:
    if keyword == "type":
        return _TYPE_WORDS.get(expected) or f"does not match the format ({keyword})"
    if keyword == "const":
        return f"must be {json.dumps(expected)}"
    if keyword == "enum":
        return f"must be one of: {', '.join(map(str, expected))}"
    if keyword == "maxLength":
        return f"is longer than {expected} characters"
    if keyword == "maxItems":
        return f"holds more than {expected} entries"
    if keyword == "pattern":  # the one pattern of the schema: some visible character
        return "must not be blank"
    if keyword == "not":
        definitions = question_pool_schema()["$defs"]
        kind = next((name for name, sub in definitions.items() if sub.get("not") == expected), "")
        return _CONTROL_WORDS.get(kind) or f"does not match the format ({keyword})"
    return f"does not match the format ({keyword})"


def _content_errors(question: dict[str, Any]) -> list[tuple[str, str]]:
    """What the schema cannot say: text that is not valid Unicode, and the kind's option rules (OPTION_RULES)."""
    found = [
        (name, "contains characters that are not valid Unicode text")
        for name in ("id", "lesson", "text")
        if isinstance(question.get(name), str) and not _utf8(question[name])
    ]
    options = question.get("options")
    if not isinstance(options, list):
        return found
    found += [
        (f"options[{number}].text", "contains characters that are not valid Unicode text")
        for number, option in enumerate(options, 1)
        if isinstance(option, dict) and isinstance(option.get("text"), str) and not _utf8(option["text"])
    ]
    kind = question.get("kind")
    rules = OPTION_RULES.get(kind) if isinstance(kind, str) else None  # the schema names any other kind
    if rules is None:
        return found
    fewest, most, fewest_correct, most_correct = rules
    label = f"a {Question.Kind(kind).label.lower()} question"
    total = len(options)
    correct = sum(1 for option in options if isinstance(option, dict) and option.get("correct") is True)
    if total < fewest or (most is not None and total > most):
        found.append(("options", f"{label} needs {_between(fewest, most, 'option')}; it has {total}"))
    if correct < fewest_correct or (most_correct is not None and correct > most_correct):
        found.append(
            ("options", f"{label} needs {_between(fewest_correct, most_correct, 'correct option')}; it has {correct}")
        )
    return found


def _between(fewest: int, most: int | None, noun: str) -> str:
    def counted(n: int) -> str:
        return f"{n} {noun}" if n == 1 else f"{n} {noun.replace('option', 'options')}"

    if most is None:
        return f"at least {counted(fewest)}"
    if most == fewest:
        return f"exactly {counted(fewest)}"
    return f"between {fewest} and {counted(most)}"


# --- Writing: one transaction ------------------------------------------------------------------------


def _apply(key: CourseKey, incoming: list[dict[str, Any]], *, dry_run: bool) -> PoolImportReport:
    by_key = {reference_key(question["id"]): question for question in incoming}
    existing = {
        question.external_key: question
        for question in Question.objects.select_for_update()
        .filter(pool_context_key=key, external_key__in=list(by_key))
        .prefetch_related("options")
    }
    new = [question for external_key, question in by_key.items() if external_key not in existing]
    changed = [
        (existing[external_key], question)
        for external_key, question in by_key.items()
        # A validated item has exactly the fields of an exported one.
        if external_key in existing and _document(existing[external_key]) != question
    ]
    untouched = Question.objects.filter(pool_context_key=key).exclude(external_key__in=list(by_key)).count()
    report = PoolImportReport(
        pool_context_key=key,
        created=len(new),
        updated=len(changed),
        unchanged=len(existing) - len(changed),
        untouched=untouched,
        dry_run=dry_run,
    )
    if not dry_run:
        _write(key, new, changed)
    return report


def _write(key: CourseKey, new: list[dict[str, Any]], changed: list[tuple[Question, dict[str, Any]]]) -> None:
    created = Question.objects.bulk_create(
        Question(
            pool_context_key=key,
            external_id=question["id"],
            external_key=reference_key(question["id"]),  # bulk_create skips save(), which sets it
            lesson=question["lesson"],
            kind=question["kind"],
            text=question["text"],
            active=question["active"],
        )
        for question in new
    )
    if created and created[0].pk is None:  # databases that return no ids from a bulk insert
        ids = dict(
            Question.objects.filter(
                pool_context_key=key, external_key__in=[question.external_key for question in created]
            ).values_list("external_key", "pk")
        )
        for question in created:
            question.pk = ids[question.external_key]
    for question, document in changed:
        question.lesson, question.kind = document["lesson"], document["kind"]
        question.text, question.active = document["text"], document["active"]
        question.save(update_fields=["lesson", "kind", "text", "active", "modified"])
    QuestionOption.objects.filter(question__in=[question for question, _document in changed]).delete()
    QuestionOption.objects.bulk_create(
        QuestionOption(question=question, position=position, text=option["text"], correct=option["correct"])
        for question, document in [*zip(created, new, strict=True), *changed]
        for position, option in enumerate(document["options"])
    )
