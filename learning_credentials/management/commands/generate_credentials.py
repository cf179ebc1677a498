"""Run credential configurations from the command line: queued, in-process, or as a dry run."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ...exceptions import LearningCredentialsError
from ...models import CredentialConfiguration, CredentialEvent
from ...services.configuration import configuration_run, configuration_run_queue
from ...services.run_preview import configuration_preview

SOURCE = CredentialEvent.Source.COMMAND
HEADER = ("configuration", "eligible", "held", "issued", "renewed", "failed", "retried", "result")


class Command(BaseCommand):
    help = "Issue credentials for configurations (--configuration ID, repeatable) or every enabled one (--all)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--configuration", type=int, action="append", dest="ids", help="Configuration id.")
        target.add_argument("--all", action="store_true", help="Every enabled configuration.")
        parser.add_argument("--sync", action="store_true", help="Run in this process instead of queueing tasks.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what a run would do (who would be issued or renewed, why the others are not); change nothing.",
        )

    def handle(self, *args, ids=None, all=False, sync=False, dry_run=False, **options):
        configurations = CredentialConfiguration.objects.select_related("credential_type").order_by("pk")
        found = list(configurations.filter(enabled=True) if all else configurations.filter(pk__in=ids))
        missing = set(ids or ()) - {configuration.pk for configuration in found}
        if missing:
            raise CommandError(f"No credential configuration with id {', '.join(map(str, sorted(missing)))}.")
        rows = []
        for configuration in found:
            try:
                if dry_run:
                    rows.append(self._dry_run(configuration))
                elif sync:
                    rows.append(self._sync(configuration))
                else:
                    task_id = configuration_run_queue(configuration=configuration, source=SOURCE)
                    rows.append((configuration, "", "", "", "", "", "", f"queued, task {task_id}"))
            except LearningCredentialsError as exc:
                rows.append((configuration, "", "", "", "", "", "", f"error: {exc.message}"))
        self._table(rows)
        if any(str(row[-1]).startswith("error") for row in rows):
            raise CommandError("Some configurations could not run; see the table above.")

    def _dry_run(self, configuration):
        """The admin's Generate now preview: who would be issued or renewed, the counts, and why the others not."""
        preview = configuration_preview(
            configuration=configuration, on_plan=lambda plan: self._list(configuration, plan)
        )
        if preview.error:
            return (configuration, "", "", "", "", "", "", f"error: {preview.error}")
        self.stdout.write(f"{configuration}: {preview.summary()}")
        for _code, words, learners in preview.reason_lines():
            self.stdout.write(f"  not eligible: {words} ({learners})")
        if preview.warning():
            self.stdout.write(f"  warning: {preview.warning()}")
        counts = (preview.eligible, preview.already_held, preview.to_issue, preview.to_renew, 0, "")
        return (configuration, *counts, "dry run")

    def _list(self, configuration, plan) -> None:
        names = dict(
            get_user_model().objects.filter(pk__in=[*plan.to_issue, *plan.to_renew]).values_list("pk", "username")
        )
        for user_id in plan.to_issue:
            self.stdout.write(
                f"would issue '{configuration.credential_type.slug}' to user {user_id} ({names.get(user_id)})"
            )
        for user_id in plan.to_renew:
            self.stdout.write(
                f"would renew '{configuration.credential_type.slug}' of user {user_id} ({names.get(user_id)})"
            )

    def _sync(self, configuration):
        with tqdm(desc=str(configuration)[:48], unit="learner", file=self.stderr) as bar:
            run = configuration_run(
                configuration_id=configuration.pk,
                source=SOURCE,
                inline=True,
                on_chunk=lambda c: bar.update(c["learners"]),
            )
        if run is None:
            return (configuration, "", "", "", "", "", "", "skipped: issuance is disabled")
        result = f"error: {run.error}" if run.error else f"done in {run.duration.total_seconds():.1f}s"
        counts = (run.eligible, run.already_held, run.issued, run.renewed, run.failed, run.retried)
        return (configuration, *counts, result)

    def _table(self, rows) -> None:
        table = [HEADER, *[tuple(map(str, row)) for row in rows]]
        widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
        for row in table:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
