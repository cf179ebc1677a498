"""Generation functions turn a credential's facts into an artifact; see rendering.builtin."""

import hashlib
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Protocol
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import get_language, gettext

from ..problems import shown
from .cache import BoundedCache

# Placeholder -> what it stands for. Text options may use these and nothing else; other parts of
# the app add theirs with register_placeholder and supply the values in CredentialData.extra.
PLACEHOLDERS: dict[str, str] = {
    "name": "the learner's full name at issue time",
    "context_name": "the course or learning path name",
    "context_key": "the course or learning path key",
    "type_name": "the credential type's name",
    "issue_date": "the issue date in the credential's language, e.g. 23 November 2026 or 23 de noviembre de 2026",
    "verify_url": "the public verification page",
    "verify_uuid": "the public verification identifier",
    "verify_code": "the short verification code, e.g. 7KQ2M-XW4PD",
    "score": "the score in percent, when the credential has one",
    "expires": "the expiry date, as the issue date reads, e.g. 23 November 2029; empty when it never expires",
}


def gettext_noop(message: str) -> str:
    """Marks a string for `make messages` (xgettext knows the name) without reading settings: rendering is
    imported and used without Django configured (the render benchmark, the renderer's own tests)."""
    return message


# The fixed text the built-in renderers draw, in English. Rendering never translates: the services
# translate these into the credential's language (services.wording) and hand them in
# (CredentialData.wording, ShareImageData.wording); a key missing there prints the English.
FIXED_TEXTS: dict[str, str] = {
    # Translators: printed on a PDF credential when it has a score; keep {score} as it is.
    "score": gettext_noop("Score: {score}"),
    # Translators: printed at the foot of a PDF credential; keep {verify_url} as it is.
    "verify_url": gettext_noop("Verify at {verify_url}"),
    # Translators: printed at the foot of a PDF credential; keep {verify_code} as it is.
    "verify_code": gettext_noop("Verification code: {verify_code}"),
    # Translators: the description (Subject) in a PDF credential's file properties.
    "subject": gettext_noop("Awarded to %(name)s. Verify it at %(url)s (verification code %(code)s)."),
    # Translators: the foot line of a credential's share image; keep {verify_code} and {verify_url} as they are.
    "share_footer": gettext_noop("Verify: {verify_code} · {verify_url}"),
    # Translators: on a credential's share image after the date; keep {score} as it is.
    "share_score": gettext_noop("Score {score}"),
    # Translators: a stamp across the share image of a revoked credential.
    "stamp_revoked": gettext_noop("REVOKED"),
    # Translators: a stamp across the share image of a credential replaced by a newer one.
    "stamp_superseded": gettext_noop("SUPERSEDED"),
    # Translators: a stamp across the share image of a credential replaced by its renewal.
    "stamp_renewed": gettext_noop("RENEWED"),
    # Translators: a stamp across the share image of a suspended credential.
    "stamp_suspended": gettext_noop("SUSPENDED"),
    # Translators: a stamp across the share image of an expired credential.
    "stamp_expired": gettext_noop("EXPIRED"),
}


def fixed_text(wording: Mapping[str, str], key: str) -> str:
    """A fixed text as the caller translated it, else its English."""
    return wording.get(key) or FIXED_TEXTS[key]


def register_placeholder(name: str, description: str) -> None:
    """Offer ``{name}`` to every text option; its value comes from ``CredentialData.extra[name]``.

    Idempotent, so a module may register at import time; two parts of the app claiming one name
    with different meanings is a programming error and raises ValueError.
    """
    if not name.isidentifier():
        raise ValueError(f"placeholder names are identifiers, not {name!r}")
    if PLACEHOLDERS.get(name, description) != description:
        raise ValueError(f"placeholder {{{name}}} is already registered as {PLACEHOLDERS[name]!r}")
    PLACEHOLDERS[name] = description


# Codes whose words are translated (into the active language) rather than left to the C locale's English.
_NAMED_CODES: dict[str, Callable[[date], str]] = {
    "B": lambda day: str(MONTHS[day.month]),
    "b": lambda day: str(MONTHS_3[day.month]).title(),
    "A": lambda day: str(WEEKDAYS[day.weekday()]),
    "a": lambda day: str(WEEKDAYS_ABBR[day.weekday()]),
}
_CODE = re.compile(r"%(-?)(.)")


def format_date(value: date, date_format: str = "") -> str:
    """``value`` in a site's ``date_format`` (strftime codes; ``%-d`` drops the zero), else in the active language's.

    A site's format (Open edX: its certificates' date format) has its month and weekday names in the
    active language. Without one, a language Django has formats for reads its own way (23 de noviembre
    de 2026, 23. November 2026); English and languages without formats read 23 November 2026.
    Callers that render switch to the credential's language first (translation.override).
    """
    if not date_format:
        language = get_language() or "en"
        if not language.lower().startswith("en") and formats.get_format_modules(language):
            return formats.date_format(value, "DATE_FORMAT", use_l10n=True)
        return f"{value.day} {MONTHS[value.month]} {value.year}"

    def code(match: re.Match) -> str:
        unpadded, letter = match.groups()
        if letter in _NAMED_CODES:
            return _NAMED_CODES[letter](value)
        text = value.strftime(f"%{letter}")
        return (text.lstrip("0") or "0") if unpadded else text

    return _CODE.sub(code, date_format)


def local_date(moment: datetime, time_zone: str | None) -> date:
    """The day ``moment`` falls on in a site's time zone (UTC when it has none)."""
    return moment.astimezone(ZoneInfo(time_zone or "UTC")).date()


@dataclass(frozen=True)
class Attachment:
    """A file a generation function embeds in the artifact (e.g. the signed credential, ``credential.jwt``)."""

    name: str
    content: bytes
    mime_type: str
    description: str = ""


@dataclass(frozen=True)
class CredentialData:
    """The facts a generation function may print; taken from the credential's snapshots."""

    learner_name: str
    context_name: str
    context_key: str
    type_name: str
    issue_date: date
    verify_url: str
    verify_uuid: str
    verify_code: str
    score: Decimal | None = None
    # What the QR code encodes: the short link to the verification page; empty means verify_url.
    qr_url: str = ""
    # Values of placeholders other subsystems registered (e.g. credits); a missing one prints empty.
    extra: Mapping[str, str] = field(default_factory=dict)
    # How {issue_date} reads: the site's format (see format_date); empty for 23 November 2026.
    date_format: str = ""
    # Files to embed, offered by other parts of the app (``signals.credential_attachments``).
    attachments: tuple[Attachment, ...] = ()
    # The last day it is valid, when its configuration gives credentials a validity period.
    expiry_date: date | None = None
    # The credential's language, and what the caller translated into it (rendering never translates):
    # FIXED_TEXTS by key, and the dates as they read in it (see format_date); empty: English, as formatted here.
    language: str = ""
    wording: Mapping[str, str] = field(default_factory=dict)
    issue_date_text: str = ""
    expiry_date_text: str = ""

    def placeholders(self) -> dict[str, str]:
        return {
            **dict.fromkeys(PLACEHOLDERS, ""),
            **self.extra,
            "name": self.learner_name,
            "context_name": self.context_name,
            "context_key": self.context_key,
            "type_name": self.type_name,
            "issue_date": self.issue_date_text or format_date(self.issue_date, self.date_format),
            "verify_url": self.verify_url,
            "verify_uuid": self.verify_uuid,
            "verify_code": self.verify_code,
            "score": "" if self.score is None else f"{self.score.normalize():f}%",
            "expires": ""
            if self.expiry_date is None
            else self.expiry_date_text or format_date(self.expiry_date, self.date_format),
        }


def document_info(data: CredentialData) -> dict[str, str]:
    """The file's metadata (PDF document information): what it is, and where and by which code to verify it,
    so that a file found on its own still says how to check it."""
    return {
        "Title": f"{data.type_name}: {data.context_name}",
        "Subject": fixed_text(data.wording, "subject")
        % {"name": data.learner_name, "url": data.verify_url, "code": data.verify_code},
        "Keywords": f"{data.verify_code}, {data.verify_url}",
        "VerificationURL": data.verify_url,
        "VerificationCode": data.verify_code,
    }


@dataclass(frozen=True)
class Artifact:
    """What a generation function returns: the file's bytes, how to serve them and what made them."""

    content: bytes
    content_type: str
    extension: str
    # Content hash of the template asset the artifact was drawn on, recorded with the credential.
    template_version: str = ""
    # Hex SHA-256 of ``content`` when the generator has it cheaply (the fast path hashes its prepared part
    # once); empty: the caller hashes the content.
    sha256: str = ""


class Asset(Protocol):
    """What ``load_asset(slug)`` returns: identity and version at once, the bytes only when read."""

    slug: str
    kind: str
    content_hash: str

    @property
    def data(self) -> bytes: ...


@dataclass(frozen=True, eq=False)
class AssetFile:
    """An Asset whose bytes are read on first use, so caches keyed on the version skip the read."""

    slug: str
    kind: str
    content_hash: str
    read: Callable[[], bytes] = field(repr=False)

    @cached_property
    def data(self) -> bytes:
        return self.read()

    @classmethod
    def from_bytes(cls, slug: str, data: bytes, kind: str = "") -> "AssetFile":
        return cls(slug=slug, kind=kind, content_hash=hashlib.sha256(data).hexdigest(), read=lambda: data)


# A loader may still return plain bytes (older plugins and simple callers); see as_asset.
AssetLoader = Callable[[str], Asset | bytes]

# File bytes by (slug, content hash, file name), shared by loaders that read from storage; bounded by size.
asset_bytes_cache: BoundedCache[tuple[str, str, str], bytes] = BoundedCache(
    max_entries=16, max_weight=64 * 1024 * 1024, weigh=len
)


def as_asset(slug: str, loaded: Asset | bytes) -> Asset:
    """What a loader returned, as an Asset: plain bytes get their hash as the version."""
    return AssetFile.from_bytes(slug, bytes(loaded)) if isinstance(loaded, bytes | bytearray) else loaded


def check_placeholders(text: str) -> None:
    """Raise ValueError when ``text`` is malformed or uses an unknown placeholder ({{ escapes a brace)."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ValueError(
            gettext(
                "the text '%(text)s' has a brace that opens or closes no placeholder; write {{ or }} for a "
                "literal brace"
            )
            % {"text": shown(text)}
        ) from exc
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValueError(
                gettext("unknown placeholder {%(name)s}; known: %(known)s; write {{ for a literal brace")
                % {"name": shown(name), "known": known}
            )
        if spec or conversion:
            raise ValueError(
                gettext("placeholder {%(name)s} takes no format or conversion; write {%(name)s}")
                % {"name": shown(name)}
            )


def fill_placeholders(text: str, data: CredentialData) -> str:
    return text.format_map(data.placeholders())
