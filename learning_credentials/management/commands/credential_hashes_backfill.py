"""Record the SHA-256 of credential files issued before hashes were recorded at issue (resumable)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ...models import Credential
from ...services.artifacts import artifact_hashes_backfill


class Command(BaseCommand):
    help = (
        "Read every stored credential file that has no recorded SHA-256 and record it, so that 'Check a file' can "
        "tell whether a PDF someone holds is the one issued. Safe to run again: hashed files are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=200, help="Files per database update (default 200).")

    def handle(self, *args, batch=200, **options):
        total = Credential.objects.filter(artifact_sha256="").exclude(artifact="").count()
        with tqdm(total=total, desc="credential files", unit="file", file=self.stderr) as bar:
            counts = artifact_hashes_backfill(batch=max(1, batch), progress=bar.update)
        message = f"{counts['hashed']} files hashed"
        if counts["missing"]:
            message += f"; {counts['missing']} files are missing from the storage (see the log), left without a hash"
        self.stdout.write(message)
