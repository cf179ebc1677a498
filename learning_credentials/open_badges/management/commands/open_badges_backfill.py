"""Give credentials issued before the Open Badges sub-app was installed their status entries (resumable)."""

from django.core.management.base import BaseCommand

from ...status import status_backfill


class Command(BaseCommand):
    help = (
        "Allocate revocation and suspension status list entries to every credential that has none, and set the "
        "revocation bit of the invalidated ones. Safe to run again: what has entries is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="Credentials per transaction (default 500).")

    def handle(self, *args, batch=500, **options):
        counts = status_backfill(batch=max(1, batch))
        self.stdout.write(
            f"{counts['credentials']} credentials given status entries, {counts['revoked']} of them marked revoked"
        )
