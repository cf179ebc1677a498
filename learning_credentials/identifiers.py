"""Public identifiers: verification codes and strict parsing of identifiers from URLs.

Parsing happens before any query, so malformed input (any length, NUL bytes, 4-byte
characters) never reaches a database that would reject it with a 500.
"""

import re
import secrets
import uuid

from django.utils.translation import gettext
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import LearningContextKey

from .exceptions import InvalidContextKey
from .problems import shown

# Crockford base32: no I, L, O, U, so codes survive being read aloud or typed from paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_TRANSLATION = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-]+")
_UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
MAX_CODE_INPUT = 64


def generate_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalize_code(raw: str) -> str | None:
    """Return the canonical form of a typed code, or None when it cannot be one.

    Case-insensitive; spaces and hyphens are ignored; I/L read as 1 and O as 0.
    """
    if not isinstance(raw, str) or len(raw) > MAX_CODE_INPUT:
        return None
    code = _SEPARATORS.sub("", raw).upper().translate(_CODE_TRANSLATION)
    if not code or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def format_code(code: str) -> str:
    """Group a code for display: ABCDE-FGHJK."""
    half = (len(code) + 1) // 2
    return f"{code[:half]}-{code[half:]}"


def parse_uuid(raw: str) -> uuid.UUID | None:
    """Return the UUID in ``raw`` or None; accepts only the 32 hex digits, hyphenated or not."""
    if not isinstance(raw, str) or not _UUID_PATTERN.fullmatch(raw):
        return None
    return uuid.UUID(raw)


def parse_context_key(raw: str) -> LearningContextKey:
    """Parse a course or learning-path key; InvalidContextKey (HTTP 400) when it is not one."""
    refused = InvalidContextKey(
        gettext("'%(key)s' is not a course key (course-v1:...) or a learning path key (path-v1:...).")
        % {"key": shown(raw if isinstance(raw, str) else "", limit=80)}
    )
    if not isinstance(raw, str) or not raw or len(raw) > 255 or "\x00" in raw:
        raise refused
    try:
        return LearningContextKey.from_string(raw)
    except InvalidKeyError:
        pass
    # A key typed into a query string unencoded (?context_key=course-v1:Org+Course+Run) arrives with its "+" read
    # as spaces; keys never hold spaces, so reading them back as "+" is unambiguous (edx-platform does the same).
    if " " in raw:
        try:
            return LearningContextKey.from_string(raw.replace(" ", "+"))
        except InvalidKeyError:
            pass
    raise refused
