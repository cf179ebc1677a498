"""One way to turn validation problems into sentences people can act on.

Forms, admin actions, uploads, management commands and API errors word their refusals here,
so none shows Python's own words: no reprs, type names, exception texts or ``['...']``.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext

MAX_SHOWN = 60


class JSONProblem(ValueError):
    """Text that is not JSON; the message says where and what, in words (``json_problem``)."""


def shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """A value quoted back to its author: printable characters only, cut after ``limit``."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = "".join(char if char.isprintable() else " " for char in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def names(items: Iterable[Any]) -> str:
    """Names listed for a sentence: 'a', 'b', 'c' (sorted), or 'none'."""
    listed = sorted(str(item) for item in items)
    return ", ".join(f"'{shown(item)}'" for item in listed) if listed else gettext("none")


def json_kind(value: Any) -> str:
    """What a JSON value is, with its article: 'a string', 'a list', 'null', ..."""
    if value is None:
        return gettext("null")
    if isinstance(value, bool):
        return gettext("a boolean (true or false)")
    if isinstance(value, int | float):
        return gettext("a number")
    if isinstance(value, str):
        return gettext("a string")
    if isinstance(value, list | tuple):
        return gettext("a list")
    if isinstance(value, dict):
        return gettext("an object")
    return gettext("a value of another kind")


def expected_kinds(types: type | tuple[type, ...]) -> str:
    """The JSON kinds an option accepts, in words: 'a number or null'."""
    words = {
        dict: gettext("an object"),
        list: gettext("a list"),
        str: gettext("a string"),
        int: gettext("a whole number"),
        float: gettext("a number"),
        bool: gettext("a boolean (true or false)"),
        type(None): gettext("null"),
    }
    listed = [words.get(kind, gettext("a value")) for kind in (types if isinstance(types, tuple) else (types,))]
    if len(listed) == 1:
        return listed[0]
    return gettext("%(first)s or %(last)s") % {"first": ", ".join(listed[:-1]), "last": listed[-1]}


def _container_at(text: str, position: int) -> str | None:
    """The innermost JSON container open at ``position``: '{', '[' or None (outside strings)."""
    stack, in_string, escaped = [], False, False
    for char in text[:position]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else None


def json_problem(exc: json.JSONDecodeError) -> str:
    """Python's JSON error as a sentence: 'Line 3, column 14: expected a comma or a closing brace.'"""
    container = _container_at(exc.doc, exc.pos)
    after_comma = exc.doc[: exc.pos].rstrip().endswith(",")
    if after_comma and exc.doc[exc.pos : exc.pos + 1] in ("}", "]"):
        what = gettext("a comma before a closing brace or bracket is one too many")
    elif exc.msg == "Expecting ',' delimiter":
        what = (
            gettext("expected a comma or a closing bracket ]")
            if container == "["
            else gettext("expected a comma or a closing brace }")
        )
    elif exc.msg == "Expecting value" and exc.pos >= len(exc.doc.rstrip()):
        what = gettext("the text ends where a value was expected (is something unclosed?)")
    else:
        what = {
            "Expecting value": gettext(
                "expected a value: a string in double quotes, a number, true, false, null, an object or a list"
            ),
            "Expecting ':' delimiter": gettext("expected a colon after the field name"),
            "Expecting property name enclosed in double quotes": gettext("expected a field name in double quotes"),
            "Unterminated string starting at": gettext("this string is not closed with a double quote"),
            "Invalid control character at": gettext("a string holds a line break or tab; write it as \\n or \\t"),
            "Invalid \\escape": gettext("a string holds a backslash that starts no escape; write \\\\ for one"),
            "Invalid \\uXXXX escape": gettext("a \\u escape needs four hexadecimal digits"),
            "Extra data": gettext("more text follows the end of the JSON value"),
        }.get(exc.msg, gettext("this is not valid JSON"))
    return gettext("Line %(line)d, column %(column)d: %(problem)s.") % {
        "line": exc.lineno,
        "column": exc.colno,
        "problem": what,
    }


def json_parse(text: str, **kwargs: Any) -> Any:
    """``json.loads`` whose every refusal is a JSONProblem with a sentence (line and column when known)."""
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        raise JSONProblem(json_problem(exc)) from None
    except RecursionError:
        raise JSONProblem(gettext("The JSON is nested too deeply to be read.")) from None
    except (ValueError, TypeError):  # NaN or Infinity refused by a hook, a number too long
        raise JSONProblem(
            gettext("The JSON holds a value that cannot be read (NaN, Infinity or a huge number).")
        ) from None


def option_sentence(name: str, problem: str) -> str:
    """A validator's own words about option ``name``, as a sentence that names the option once."""
    problem = problem.strip().rstrip(".")
    if not problem:
        return gettext("%(name)s is not valid.") % {"name": name}
    if problem.startswith(name):
        return problem + "."
    return gettext("%(name)s: %(problem)s.") % {"name": name, "problem": problem}


def form_sentences(form) -> list[str]:
    """A bound form's errors as sentences, each field named by its label (never its key), non-field ones bare."""
    sentences = []
    for name, messages in form.errors.items():
        field = form.fields.get(name)
        for message in messages:
            if field is None:
                sentences.append(str(message))
            else:
                label = field.label or name.replace("_", " ")
                sentences.append(gettext("%(field)s: %(problem)s") % {"field": label, "problem": message})
    return sentences
