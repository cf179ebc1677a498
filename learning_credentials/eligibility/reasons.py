"""The reason codes of the built-in retrieval functions, and their words in the reader's language.

Codes are stable (a preview, the API and third-party code may compare them); words are not.
"""

from django.utils.translation import gettext

from . import Reason

# A learner enrolled only in a mode that does not earn the credential (e.g. audit): the preview finds these.
ENROLLMENT_MODE = "enrollment_mode"
COMPLETION_BELOW = "completion_below"  # required
CATEGORY_BELOW = "category_below"  # category, required
TOTAL_BELOW = "total_below"  # required
ASSESSMENTS_NOT_PERFECT = "assessments_not_perfect"
NO_GRADED_ASSESSMENTS = "no_graded_assessments"
STEP_NOT_PASSED = "step_not_passed"  # step
PATH_WITHOUT_STEPS = "path_without_steps"
# A verdict of not eligible without reasons (a third-party function that gives none).
NO_REASON_GIVEN = "no_reason_given"


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def reason_text(reason: Reason) -> str:
    """The reason in words, e.g. "Exam grade below 70%"; an unknown code reads as itself."""
    kwargs = {name: _number(value) for name, value in reason.params}
    texts = {
        ENROLLMENT_MODE: lambda: gettext("Not enrolled in a mode that earns this credential"),
        COMPLETION_BELOW: lambda: gettext("Completion below %(required)s%%") % kwargs,
        CATEGORY_BELOW: lambda: gettext("%(category)s grade below %(required)s%%") % kwargs,
        TOTAL_BELOW: lambda: gettext("Grade below the required total of %(required)s%%") % kwargs,
        ASSESSMENTS_NOT_PERFECT: lambda: gettext("Not every graded assessment at 100%"),
        NO_GRADED_ASSESSMENTS: lambda: gettext("No graded assessments"),
        STEP_NOT_PASSED: lambda: gettext("Learning path step %(step)s not passed") % kwargs,
        PATH_WITHOUT_STEPS: lambda: gettext("The learning path has no steps"),
        NO_REASON_GIVEN: lambda: gettext("Not eligible (no reason given)"),
    }
    text = texts.get(reason.code)
    return text() if text else reason.code
