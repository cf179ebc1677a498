"""Export a configuration's or a context's credentials to a file: a CSV, or a ZIP of their PDFs."""

import os
import tempfile

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ...exceptions import LearningCredentialsError
from ...identifiers import parse_context_key
from ...models import CredentialConfiguration, CredentialExport
from ...selectors import credentials_for_export
from ...services.exports import credentials_export_write, export_scope_check


class Command(BaseCommand):
    help = (
        "Write the credentials of one configuration (--configuration ID) or of every configuration of a course or "
        "learning path (--context KEY) to --output: a CSV (learner name, username, email, status, public state, "
        "verification code and link, score, issue and expiry dates, and the installed sub-apps' columns) or a ZIP of "
        "the PDFs of the available ones. The file holds learners' personal data: it is the operator's to keep safe "
        "and delete."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--configuration", type=int, help="Id of a credential configuration.")
        scope.add_argument("--context", help="A course key (course-v1:...) or learning path key (path-v1:...).")
        parser.add_argument("--format", choices=CredentialExport.Format.values, default="csv", help="Default: csv.")
        parser.add_argument("--output", required=True, help="File to write; replaced only once the export is done.")

    def handle(self, *args, configuration=None, context=None, format="csv", output="", **options):
        scope = {"configuration": None, "context_key": None}
        if configuration is not None:
            scope["configuration"] = CredentialConfiguration.objects.filter(pk=configuration).first()
            if scope["configuration"] is None:
                raise CommandError(f"There is no credential configuration with id {configuration}.")
        else:
            try:
                scope["context_key"] = parse_context_key(context)
                export_scope_check(context_key=scope["context_key"])
            except LearningCredentialsError as exc:  # a malformed key, or one no configuration is for
                raise CommandError(exc.message) from None
        if not output.strip():
            raise CommandError("Give --output the file to write.")
        if os.path.isdir(output):
            raise CommandError(f"{output} is a folder: give --output a file name in it.")
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            raise CommandError(f"The folder {folder} does not exist.")
        total = credentials_for_export(**scope, format=format).count()
        # Written next to the output and moved into place at the end: a failed export leaves no half file.
        handle, partial = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=f".{format}")
        try:
            with (
                os.fdopen(handle, "w+b") as file,
                tqdm(total=total, desc="Exporting", unit=" credentials", file=self.stderr) as bar,
            ):
                result = credentials_export_write(format=format, out=file, progress=bar.update, **scope)
            os.replace(partial, output)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        message = f"{result.written} credentials exported to {output}"
        if result.missing_files:
            message += f"; {result.missing_files} PDFs are missing from the storage (see the log), left out"
        self.stdout.write(message)
