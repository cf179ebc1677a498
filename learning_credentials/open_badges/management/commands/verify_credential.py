"""``manage.py verify_credential FILE``: the API's verifier for a file (``-``: standard input), offline.

Exit status: 0 valid, 1 invalid or incomplete, 2 unreadable input.
"""

import json
import sys
from dataclasses import dataclass

from django.core.management.base import BaseCommand

from ....exceptions import CredentialUnreadable, LearningCredentialsError, PayloadTooLarge
from ...verification import MAX_BYTES, credential_verify

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2


@dataclass(frozen=True)
class Printed:
    """What the command prints, and its exit status."""

    text: str
    status: int


def file_verify(*, data: bytes, name: str, as_json: bool = False) -> Printed:
    """The result of verifying a file's bytes as the command prints it.

    ``name`` is the file's, for the words of a refusal (and for telling other kinds of file apart,
    e.g. a PDF that carries its credential, once they are read).
    """
    if len(data) > MAX_BYTES:
        return refused(PayloadTooLarge(f"It is larger than {MAX_BYTES // 1024} KB."), name=name, as_json=as_json)
    try:
        verification = credential_verify(data=data)
    except CredentialUnreadable as exc:
        return refused(exc, name=name, as_json=as_json)
    status = EXIT_VALID if verification.verdict == "valid" else EXIT_NOT_VALID
    if as_json:
        return Printed(json.dumps(verification.as_json(), indent=2, ensure_ascii=False), status)
    lines = [f"verdict: {verification.verdict} ({verification.format})"]
    lines += [f"{check.result:<12}{check.name}: {check.reason}" for check in verification.checks]
    return Printed("\n".join(lines), status)


def refused(error: LearningCredentialsError, *, name: str, as_json: bool) -> Printed:
    """Input that cannot be verified: in words, or as the API's error body."""
    if as_json:
        return Printed(json.dumps({"detail": error.message, "code": error.code}, indent=2), EXIT_UNREADABLE)
    return Printed(f"{name}: {error.message}", EXIT_UNREADABLE)


class Command(BaseCommand):
    help = (
        "Verify an Open Badges 3.0 credential (JSON-LD with its proof, or a VC-JWT) as the verify API does, "
        "fetching nothing: prints the verdict and each check. Exit status 0 valid, 1 invalid or incomplete, "
        "2 unreadable input."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="The credential's file; - reads standard input.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the API's JSON answer.")

    def handle(self, *args, file: str, as_json: bool = False, **options):
        try:
            data = self._read(file, options.get("stdin") or sys.stdin)
        except OSError as exc:
            error = CredentialUnreadable(f"It cannot be read ({exc.strerror or 'unknown error'}).")
            printed = refused(error, name=file, as_json=as_json)
        else:
            printed = file_verify(data=data, name=file, as_json=as_json)
        refusal = printed.status == EXIT_UNREADABLE and not as_json
        (self.stderr if refusal else self.stdout).write(printed.text)
        if printed.status:
            raise SystemExit(printed.status)

    @staticmethod
    def _read(file: str, stdin) -> bytes:
        """At most one byte more than MAX_BYTES, so that a larger file is known to be one."""
        if file == "-":
            data = getattr(stdin, "buffer", stdin).read(MAX_BYTES + 1)
            return data.encode("utf-8") if isinstance(data, str) else data
        with open(file, "rb") as stream:
            return stream.read(MAX_BYTES + 1)
