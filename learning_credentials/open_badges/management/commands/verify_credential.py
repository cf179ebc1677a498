"""``manage.py verify_credential FILE``: the API's verifier, or a PDF's check, for a file (``-``: stdin), offline.

Exit status: 0 valid, 1 invalid or incomplete, 2 unreadable input.
"""

import json
import sys
from dataclasses import dataclass

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ....exceptions import CredentialUnreadable, LearningCredentialsError, PayloadTooLarge
from ...file_check import MAX_FILE_BYTES, file_check

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2


@dataclass(frozen=True)
class Printed:
    """What the command prints, and its exit status."""

    text: str
    status: int


def file_verify(*, data: bytes, name: str, as_json: bool = False) -> Printed:
    """The result of checking a file's bytes as the command prints it: a PDF by its embedded credential and its
    hash (as the "Check a file" page does), a .json or .jwt by the verifier; ``name`` tells them apart and
    names the file in a refusal."""
    try:
        result = file_check(data=data, name=name)
    except (CredentialUnreadable, PayloadTooLarge) as exc:
        return refused(exc, name=name, as_json=as_json)
    status = EXIT_VALID if result.verdict == "valid" else EXIT_NOT_VALID
    if as_json:
        return Printed(json.dumps(result.as_json(), indent=2, ensure_ascii=False), status)
    lines = [f"verdict: {result.verdict} ({result.kind})", result.sentence]
    lines += [f"{label}: {value}" for _name, label, value in result.facts]
    lines += result.notes
    lines += [f"{check.result:<12}{check.name}: {check.reason}" for check in result.checks]
    return Printed("\n".join(lines), status)


def refused(error: LearningCredentialsError, *, name: str, as_json: bool) -> Printed:
    """Input that cannot be verified: in words, or as the API's error body."""
    if as_json:
        return Printed(json.dumps({"detail": error.message, "code": error.code}, indent=2), EXIT_UNREADABLE)
    return Printed(f"{name}: {error.message}", EXIT_UNREADABLE)


def _unreadable_words(error: OSError) -> str:
    """Why the file cannot be read, as a sentence of ours (never the system's English words)."""
    if isinstance(error, FileNotFoundError):
        return _("There is no such file.")
    if isinstance(error, PermissionError):
        return _("It cannot be read: permission to read it is denied.")
    if isinstance(error, IsADirectoryError):
        return _("It is a folder, not a file.")
    return _("It cannot be read.")


class Command(BaseCommand):
    help = (
        "Verify an Open Badges 3.0 credential (JSON-LD with its proof, or a VC-JWT) as the verify API does, or a "
        "credential PDF by the credential it embeds and whether it is the file issued, fetching nothing: prints the "
        "verdict and each check. Exit status 0 valid, 1 invalid or incomplete, 2 unreadable input."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="The credential's file; - reads standard input.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the API's JSON answer.")

    def handle(self, *args, file: str, as_json: bool = False, **options):
        try:
            data = self._read(file, options.get("stdin") or sys.stdin)
        except OSError as exc:
            error = CredentialUnreadable(_unreadable_words(exc))
            printed = refused(error, name=file, as_json=as_json)
        else:
            printed = file_verify(data=data, name=file, as_json=as_json)
        refusal = printed.status == EXIT_UNREADABLE and not as_json
        (self.stderr if refusal else self.stdout).write(printed.text)
        if printed.status:
            raise SystemExit(printed.status)

    @staticmethod
    def _read(file: str, stdin) -> bytes:
        """At most one byte more than MAX_FILE_BYTES, so that a larger file is known to be one."""
        if file == "-":
            data = getattr(stdin, "buffer", stdin).read(MAX_FILE_BYTES + 1)
            return data.encode("utf-8") if isinstance(data, str) else data
        with open(file, "rb") as stream:
            return stream.read(MAX_FILE_BYTES + 1)
