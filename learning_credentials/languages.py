"""Which language a page or an answer is in, for each kind of reader.

Learners read their pages in their own language (the one the host's adapter gives, the same one
their emails use); everyone else (the employer on a verification page, the public API, the check-a-file
page) reads the language their browser asks for in ``Accept-Language``, among the site's
``settings.LANGUAGES``. A host whose ``LocaleMiddleware`` (or its own, as Open edX's) already chose a
language for the request decides for the public pages; without one our public views choose themselves,
so the verification page follows ``Accept-Language`` on any host.
"""

import functools

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .adapters import get_adapter

# The catalogues shipped in learning_credentials/locale/ (English is the source language).
# `make messages` regenerates exactly these; tests/test_translations.py checks each is complete.
CATALOGUES = ("es", "fr", "de", "ar")


def supported_language(code: str | None) -> str | None:
    """``code`` as one of settings.LANGUAGES (``es-419`` may become ``es``), or None when the site has none of it."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


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
