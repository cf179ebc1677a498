"""Generation functions turn a credential's facts into an artifact; see rendering.builtin."""

import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

AssetLoader = Callable[[str], bytes]

# Placeholder -> what it stands for. Text options may use these and nothing else.
PLACEHOLDERS: dict[str, str] = {
    "name": "the learner's full name at issue time",
    "context_name": "the course or learning path name",
    "context_key": "the course or learning path key",
    "type_name": "the credential type's name",
    "issue_date": "the issue date, e.g. 23 November 2026",
    "verify_url": "the public verification page",
    "verify_uuid": "the public verification identifier",
    "verify_code": "the short verification code, e.g. 7KQ2M-XW4PD",
    "score": "the score in percent, when the credential has one",
}


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

    def placeholders(self) -> dict[str, str]:
        return {
            "name": self.learner_name,
            "context_name": self.context_name,
            "context_key": self.context_key,
            "type_name": self.type_name,
            "issue_date": f"{self.issue_date.day} {self.issue_date:%B %Y}",
            "verify_url": self.verify_url,
            "verify_uuid": self.verify_uuid,
            "verify_code": self.verify_code,
            "score": "" if self.score is None else f"{self.score.normalize():f}%",
        }


@dataclass(frozen=True)
class Artifact:
    """What a generation function returns: the file's bytes and how to serve them."""

    content: bytes
    content_type: str
    extension: str


def check_placeholders(text: str) -> None:
    """Raise ValueError when ``text`` is malformed or uses an unknown placeholder ({{ escapes a brace)."""
    try:
        fields = [name for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ValueError(f"malformed text {text!r}: {exc}; write {{{{ for a literal brace") from exc
    for name in fields:
        if name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}}; known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")


def fill_placeholders(text: str, data: CredentialData) -> str:
    return text.format_map(data.placeholders())
