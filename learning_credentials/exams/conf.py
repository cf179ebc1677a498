"""The exams' settings: ``LEARNING_CREDENTIALS["EXAMS"]`` merged over DEFAULTS, read at call time.

Only keys with defined behaviour exist; an unknown key or a value of the wrong kind is refused
when the app starts (ImproperlyConfigured), so a typo never silently falls back to a default.
"""

from dataclasses import dataclass
from string import Formatter

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    # Questions of a certification exam (a child course may set fewer in its certification settings).
    "EXAM_SIZE": 50,
    # The pass mark, in percent: an attempt passes iff its integer score is strictly above it, and a
    # graded score at or below it revokes the certificate (seed 004: > 50 passes, <= 50 revokes).
    "PASS_MARK": 50,
    # Fewest valid active questions a pool needs before certification is available from it.
    "MIN_POOL_SIZE": 50,
    # Seconds since the last answer after which an attempt in progress is discarded (one sitting).
    "IDLE_TIMEOUT_SECONDS": 900,
    # After a failed attempt: list the questions answered wrongly, and (off) their correct answers.
    "SHOW_WRONG_QUESTIONS_ON_FAIL": True,
    "SHOW_CORRECT_ANSWERS_ON_FAIL": False,
    # Most exam starts per learner, course and day; None: no limit (seed 004's V1). For operators who
    # see learners start exams only to harvest the questions.
    "MAX_STARTS_PER_DAY": None,
    # Enrollment modes that give premium access to a course whose premium includes certification
    # (Open edX: its paid modes; in the sandbox a learner enrolled "verified" has premium access).
    "PREMIUM_MODES": ["verified", "professional", "no-id-professional", "credit", "executive-education", "masters"],
    # Shared secret with which the host's commerce system signs payment webhook deliveries (the refund
    # webhook's scheme); None or "": the payment webhook is off and answers 503.
    "PAYMENT_WEBHOOK_SECRET": None,
    # The host's checkout page for a course's certification, when its adapter has no certification_checkout_url:
    # a URL template with {context_key} and {return_url}, both URL-encoded when filled in; None: no "Pay" button.
    "CHECKOUT_URL": None,
}

CHECKOUT_PLACEHOLDERS = frozenset({"context_key", "return_url"})


@dataclass(frozen=True)
class ExamSettings:
    exam_size: int
    pass_mark: int
    min_pool_size: int
    idle_timeout_seconds: int
    show_wrong_questions_on_fail: bool
    show_correct_answers_on_fail: bool
    max_starts_per_day: int | None
    premium_modes: tuple[str, ...]
    payment_webhook_secret: str | None
    checkout_url: str | None


def _checked(name: str, value, *, kind: type, minimum: int | None = None, optional: bool = False):
    if value is None and optional:
        return None
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < (minimum or 0)):
        raise ImproperlyConfigured(
            f"LEARNING_CREDENTIALS['EXAMS']['{name}'] must be a whole number of at least {minimum}."
        )
    if kind is bool and not isinstance(value, bool):
        raise ImproperlyConfigured(f"LEARNING_CREDENTIALS['EXAMS']['{name}'] must be True or False.")
    return value


def _modes(value) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(mode, str) and mode for mode in value):
        raise ImproperlyConfigured("LEARNING_CREDENTIALS['EXAMS']['PREMIUM_MODES'] must be a list of mode names.")
    return tuple(value)


def _secret(value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ImproperlyConfigured("LEARNING_CREDENTIALS['EXAMS']['PAYMENT_WEBHOOK_SECRET'] must be a string or None.")
    return value or None


def _checkout_url(value) -> str | None:
    """None, or a URL template whose placeholders are exactly {context_key} and {return_url}, plain."""
    if value is None or value == "":
        return None
    problem = "LEARNING_CREDENTIALS['EXAMS']['CHECKOUT_URL'] must be None or a URL template"
    if not isinstance(value, str) or not value.startswith(("https://", "http://", "/")):
        raise ImproperlyConfigured(f"{problem} starting with https://, http:// or /.")
    try:
        fields = [
            (name, spec, conversion) for _text, name, spec, conversion in Formatter().parse(value) if name is not None
        ]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{problem}; {exc} (write a literal brace twice: {{{{ or }}}}).") from None
    if {name for name, _spec, _conversion in fields} != CHECKOUT_PLACEHOLDERS or any(
        spec or conversion for _name, spec, conversion in fields
    ):
        found = ", ".join(
            "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            for name, spec, conversion in fields
        )
        raise ImproperlyConfigured(
            f"{problem} with the placeholders {{context_key}} and {{return_url}}, plain and no other; "
            f"it has: {found or 'none'}."
        )
    return value


def exam_settings() -> ExamSettings:
    """The exams' settings now; ImproperlyConfigured for an unknown key or an impossible value."""
    overrides = getattr(settings, "LEARNING_CREDENTIALS", {}).get("EXAMS")
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, dict):
        raise ImproperlyConfigured("LEARNING_CREDENTIALS['EXAMS'] must be a dictionary.")
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(
            f"LEARNING_CREDENTIALS['EXAMS'] has unknown keys: {', '.join(unknown)}; known: {', '.join(DEFAULTS)}."
        )
    merged = {**DEFAULTS, **overrides}
    values = ExamSettings(
        exam_size=_checked("EXAM_SIZE", merged["EXAM_SIZE"], kind=int, minimum=1),
        pass_mark=_checked("PASS_MARK", merged["PASS_MARK"], kind=int, minimum=0),
        min_pool_size=_checked("MIN_POOL_SIZE", merged["MIN_POOL_SIZE"], kind=int, minimum=1),
        idle_timeout_seconds=_checked("IDLE_TIMEOUT_SECONDS", merged["IDLE_TIMEOUT_SECONDS"], kind=int, minimum=1),
        show_wrong_questions_on_fail=_checked(
            "SHOW_WRONG_QUESTIONS_ON_FAIL", merged["SHOW_WRONG_QUESTIONS_ON_FAIL"], kind=bool
        ),
        show_correct_answers_on_fail=_checked(
            "SHOW_CORRECT_ANSWERS_ON_FAIL", merged["SHOW_CORRECT_ANSWERS_ON_FAIL"], kind=bool
        ),
        max_starts_per_day=_checked(
            "MAX_STARTS_PER_DAY", merged["MAX_STARTS_PER_DAY"], kind=int, minimum=1, optional=True
        ),
        premium_modes=_modes(merged["PREMIUM_MODES"]),
        payment_webhook_secret=_secret(merged["PAYMENT_WEBHOOK_SECRET"]),
        checkout_url=_checkout_url(merged["CHECKOUT_URL"]),
    )
    if values.pass_mark >= 100:
        raise ImproperlyConfigured("LEARNING_CREDENTIALS['EXAMS']['PASS_MARK'] must be below 100: nobody could pass.")
    return values
