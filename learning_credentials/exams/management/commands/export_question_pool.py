"""Export a course's certification question pool as JSON, in the format the import reads."""

from django.core.management.base import BaseCommand, CommandError

from ...exceptions import PoolImportRefused
from ...pools import pool_key_parse, question_pool_dumps, question_pool_export


class Command(BaseCommand):
    help = (
        "Write the question pool of a course as JSON (learning-credentials-question-pool format) to FILE, "
        "or to standard output without FILE. Importing it back changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--context", required=True, help="The pool course's key, e.g. course-v1:Org+Course+Run.")
        parser.add_argument("file", nargs="?", help="Where to write the pool; standard output when left out.")

    def handle(self, *args, context: str, file: str | None = None, **options):
        try:
            key = pool_key_parse(context)
        except PoolImportRefused as exc:
            raise CommandError(exc.message) from None
        document = question_pool_export(pool_context_key=key)
        text = question_pool_dumps(document)
        if file is None:
            self.stdout.write(text, ending="")
        else:
            try:
                with open(file, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"{file}: cannot be written ({exc.strerror or exc}).") from None
        self.stderr.write(f"Exported {len(document['questions'])} question(s) of the pool of {key}.")
