"""A credential's language applied before rendering: its PDF options, fixed text and dates.

Rendering is pure and never translates: these build what it prints under
``translation.override(language)`` and hand it in (CredentialData, ShareImageData).
"""

import logging
import string
from datetime import date

from django.utils import translation

from ..languages import is_right_to_left, language_match, site_language
from ..models import CredentialConfiguration
from ..rendering import FIXED_TEXTS, check_placeholders, format_date

log = logging.getLogger(__name__)


def credential_options(*, configuration: CredentialConfiguration, language: str) -> dict:
    """The options a credential in ``language`` is rendered with: the configuration's, with the template of its
    language (exact code, then base language) merged over them when it names one.

    Reads ``configuration.language_templates`` (prefetch it for many credentials: no query per credential).
    """
    templates = {template.language: template for template in configuration.language_templates.all()}
    matched = language_match(language, templates)
    return templates[matched].options() if matched else configuration.options()


def credential_wording(*, language: str) -> dict[str, str]:
    """FIXED_TEXTS in ``language``; a translation that would break its placeholders keeps the English."""
    with translation.override(language or site_language(None)):
        translated = {key: translation.gettext(text) for key, text in FIXED_TEXTS.items()}
    kept = {key: text for key, text in translated.items() if _keeps_placeholders(FIXED_TEXTS[key], text, language)}
    if right_to_left(language):
        kept = {key: _left_to_right_values(text) for key, text in kept.items()}
    return kept


def date_text(value: date, *, language: str, date_format: str = "") -> str:
    """``value`` as it reads in ``language``: the site's format (Open edX's certificate date format) with its month
    names in that language, else the language's own (see rendering.format_date)."""
    with translation.override(language or site_language(None)):
        return format_date(value, date_format)


def right_to_left(language: str) -> bool:
    return is_right_to_left(language or site_language(None))


# A left-to-right mark after a link or code in right-to-left text: its trailing slash or hyphen stays with it
# (bidi otherwise sends a final neutral to the line's far end). Renderers drop the mark; it has no glyph.
_LEFT_TO_RIGHT_VALUES = ("{verify_url}", "{verify_code}", "%(url)s", "%(code)s")


def _left_to_right_values(text: str) -> str:
    for value in _LEFT_TO_RIGHT_VALUES:
        text = text.replace(value, value + "\u200e")
    return text


def _keeps_placeholders(english: str, translated: str, language: str) -> bool:
    """Whether a translation names the same placeholders as its English ({name} or %(name)s) and parses."""
    try:
        if "%(" in english:
            translated % dict.fromkeys(("name", "url", "code"), "")
        else:
            check_placeholders(translated)
            if _fields(translated) != _fields(english):
                raise ValueError("other placeholders")
    except (ValueError, KeyError, TypeError):
        log.warning("The %s translation of %r breaks its placeholders; printing the English", language, english)
        return False
    return True


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
