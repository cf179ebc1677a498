"""Import a course's certification question pool from a JSON file: all or nothing, every error listed."""

import sys

from django.core.management.base import BaseCommand, CommandError

from ....models import CredentialEvent
from ...exceptions import PoolImportRefused
from ...pools import MAX_FILE_BYTES, pool_key_parse, question_pool_import, question_pool_parse
from ...selectors import pool_count

SOURCE = CredentialEvent.Source.COMMAND


class Command(BaseCommand):
    help = (
        "Import the question pool of a course from a JSON file (learning-credentials-question-pool format). "
        "Questions are matched by id: new ones are created, known ones updated; those not in the file stay as "
        "they are. Nothing is imported when the file has any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--context", required=True, help="The pool course's key, e.g. course-v1:Org+Course+Run.")
        parser.add_argument("file", help="The pool file (JSON); - reads standard input.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and say what would change.")

    def handle(self, *args, context: str, file: str, dry_run: bool = False, **options):
        try:
            key = pool_key_parse(context)
            data = question_pool_parse(self._read(file))
            report = question_pool_import(pool_context_key=key, data=data, source=SOURCE, dry_run=dry_run)
        except PoolImportRefused as exc:
            listed = "\n".join(f"  - {error}" for error in exc.errors)
            raise CommandError(f"{file}: nothing was imported; {len(exc.errors)} error(s):\n{listed}") from None
        self.stdout.write(report.summary())
        if not dry_run:
            valid = pool_count(pool_context_key=key)
            self.stdout.write(f"Valid active questions in the pool (what exams draw from): {valid}.")

    def _read(self, file: str) -> bytes:
        """The file's bytes, one more than the limit at most: question_pool_parse refuses a larger file."""
        try:
            if file == "-":
                return sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            with open(file, "rb") as handle:
                return handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror or exc}).") from None
