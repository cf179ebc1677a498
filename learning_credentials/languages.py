"""Languages of credentials: which of the site's languages a learner reads, and which of a configuration's
per-language templates a credential of that language gets (exact code, then its base language, then none)."""

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import get_language_info


def base_language(code: str) -> str:
    """``es`` for ``es-419``; the code itself when it has no region or script."""
    return code.split("-")[0]


def language_match(code: str, available: Iterable[str]) -> str | None:
    """The entry of ``available`` for ``code``: the same code, else its base language, else None (case-insensitive)."""
    by_lower = {language.lower(): language for language in available}
    wanted = (code or "").replace("_", "-").lower()
    return by_lower.get(wanted) or by_lower.get(base_language(wanted)) if wanted else None


def site_language(code: str | None) -> str:
    """The language of ``settings.LANGUAGES`` a learner reading ``code`` gets; LANGUAGE_CODE when none matches."""
    return language_match(code or "", (language for language, _name in settings.LANGUAGES)) or settings.LANGUAGE_CODE


def language_choices() -> list[tuple[str, str]]:
    """The site's languages for a form, as "Spanish (es)"."""
    return [(code, f"{name} ({code})") for code, name in settings.LANGUAGES]


def is_right_to_left(code: str) -> bool:
    """Whether text in ``code`` reads right to left (Django's language information; unknown codes: no)."""
    for candidate in (code, base_language(code)):
        try:
            return bool(get_language_info(candidate)["bidi"])
        except KeyError:
            continue
    return False
