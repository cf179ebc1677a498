"""Switch a site over from the open-craft plugin (learning-credentials 0.5.x): a dry run unless --apply."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...switch_over.importer import report_lines, switch_over


class Command(BaseCommand):
    help = (
        "Move the open-craft plugin's types, assets, configurations, credentials and files to this project, "
        "keeping every credential's identifiers and PDF. Reads only, and reports, unless --apply. Back up first."
    )
    # Our own system check stops on the plugin's database; this command is the way out of that state.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Make the changes (resumes an interrupted run).")
        parser.add_argument("--report", type=Path, help="Also write the report as JSON to this file.")

    def handle(self, *args, apply=False, report=None, **options):
        result = switch_over(apply=apply)
        self.stdout.write("\n".join(report_lines(result)))
        if report is not None:
            try:
                report.write_text(json.dumps(result.as_dict(), indent=2, default=str) + "\n")
            except OSError as exc:
                raise CommandError(f"Could not write the report to {report}: {exc.strerror}.") from None
        if not result.counts["credentials"]["found"] and result.problems and not result.tables:
            raise CommandError(result.problems[0])
