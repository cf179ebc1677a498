"""What a configuration's context must offer before it is saved: the host knows it, and grades what it requires.

Reads through the host adapter; the model's clean() (every form) asks, services and imports do not.
"""

from django.utils.translation import gettext, ngettext

from .adapters import get_adapter
from .adapters.base import ContextLookup, is_learning_path
from .exceptions import ConfigurationError
from .registry import function_options, resolve_options


def context_known(context_key) -> bool:
    """Whether the host has this course or learning path: its adapter's ``context_exists``, or else whether
    it names the context (names list only the contexts a host knows)."""
    adapter = get_adapter()
    if isinstance(adapter, ContextLookup):
        return adapter.context_exists(context_key)
    return context_key in adapter.get_context_names([context_key])


def missing_grade_categories(*, context_key, retrieve, options: dict) -> dict[str, list[str]]:
    """Categories a grade criterion requires that a course of the context does not grade, by course key.

    For a learning path, each of its steps; a step the host does not know is skipped (the run says so).
    """
    if "required_grades" not in function_options(retrieve):
        return {}
    required = set(resolve_options(retrieve, options).get("required_grades") or {})
    if not required:
        return {}
    adapter = get_adapter()
    courses = adapter.get_learning_path_steps(context_key) if is_learning_path(context_key) else [context_key]
    missing = {}
    for course_key in courses:
        try:
            graded = set(adapter.get_grading_policy(course_key).weights)
        except ConfigurationError:
            continue
        if required - graded:
            missing[str(course_key)] = sorted(required - graded)
    return missing


def grade_categories_message(missing: dict[str, list[str]]) -> str:
    """The refusal in words: which course lacks which categories."""
    parts = [
        ngettext(
            "%(course)s has no grade category %(categories)s",
            "%(course)s has no grade categories %(categories)s",
            len(categories),
        )
        % {"course": course, "categories": ", ".join(f"'{category}'" for category in categories)}
        for course, categories in missing.items()
    ]
    return gettext(
        "required_grades names a category the course's grading policy lacks: %(problems)s. "
        "Use the category names of the course's grading policy."
    ) % {"problems": "; ".join(parts)}
