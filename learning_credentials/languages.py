"""Languages: which one a page or an answer is in for each kind of reader, and which one a credential is in.

Learners read their pages in their own language (the one the host's adapter gives, the same one their
emails and credentials use); everyone else (the employer on a verification page, the public API, the
check-a-file page) reads the language their browser asks for in ``Accept-Language``, among the site's
``settings.LANGUAGES``. A host whose ``LocaleMiddleware`` (or its own, as Open edX's) already chose a
language for the request decides for the public pages; without one our public views choose themselves,
so the verification page follows ``Accept-Language`` on any host.

A credential is issued in its learner's language as one of the site's languages, and gets the
configuration's template for that language (exact code, then its base language, then the default).
"""

import functools
from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_info

from .adapters import get_adapter

# The catalogues shipped in learning_credentials/locale/ (English is the source language).
# `make messages` regenerates exactly these; tests/test_translations.py checks each is complete.
CATALOGUES = ("es", "fr", "de", "ar")


def base_language(code: str) -> str:
    """``es`` for ``es-419``; the code itself when it has no region or script."""
    return code.split("-")[0]


def language_match(code: str, available: Iterable[str]) -> str | None:
    """The entry of ``available`` for ``code``: the same code, else its base language, else None (case-insensitive)."""
    by_lower = {language.lower(): language for language in available}
    wanted = (code or "").replace("_", "-").lower()
    return by_lower.get(wanted) or by_lower.get(base_language(wanted)) if wanted else None


def supported_language(code: str | None) -> str | None:
    """``code`` as one of settings.LANGUAGES (``es-419`` may become ``es``), or None when the site has none of it."""
    return language_match(code or "", (language for language, _name in settings.LANGUAGES))


def site_language(code: str | None) -> str:
    """The language of ``settings.LANGUAGES`` a learner reading ``code`` gets; LANGUAGE_CODE when none matches."""
    return supported_language(code) or settings.LANGUAGE_CODE


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


def request_language(request) -> str:
    """The language of a public answer: the host middleware's choice, else the browser's among settings.LANGUAGES."""
    if hasattr(request, "LANGUAGE_CODE"):  # set by Django's LocaleMiddleware (and Open edX's)
        return translation.get_language() or settings.LANGUAGE_CODE
    return translation.get_language_from_request(request)


def learner_language(request) -> str:
    """The signed-in learner's own language, as the host keeps it (the one their emails use)."""
    user = request.user
    if user.is_authenticated:
        learner = get_adapter().get_learners([user.pk]).get(user.pk)
        language = supported_language(learner.language if learner else None)
        if language:
            return language
    return request_language(request)


def _in_language(choose, *, varies: bool):
    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            language = choose(request)
            with translation.override(language):
                response = view(request, *args, **kwargs)
            response["Content-Language"] = language
            if varies:  # a shared cache must not hand one reader's language to another
                patch_vary_headers(response, ("Accept-Language",))
            return response

        return wrapped

    return decorator


# A public page or answer in the reader's language (Accept-Language); it varies on that header.
in_request_language = _in_language(request_language, varies=True)
# A learner page in the learner's own language, whatever their browser asks for.
in_learner_language = _in_language(learner_language, varies=False)
