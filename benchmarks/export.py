"""Bulk export of N credentials (a CSV, then a ZIP of their PDFs) against the naive way, in the same run.

Set-up (``harness.Bench``, without a worker): a database of its own, N learners on the sandbox LMS,
the demo's certificate configuration awarding 1.50 SHRM PDCs and 1.50 HRCI credits, so the
credits sub-app's "credits earned" column is filled. One real PDF is made by the project's own
renderer (``credential_issue_or_get`` then ``credential_generate``); N credentials are inserted in
bulk, each with its own copy of that PDF in the storage (FileSystemStorage in a temporary
MEDIA_ROOT): 95% valid, 4% revoked (their CSV rows only), 1% suspended, each with its credits.

Ours: the staff path, ``credential_export_run`` (what the Celery task runs) for a CSV and then for a
ZIP: batches of EXPORT_BATCH_SIZE, streamed into a temporary file, then saved to the storage. The
peak RSS is reset (``/proc/self/clear_refs``) before each side, and the RSS is read as the export
passes 1,000 credentials (half of N when N is smaller) and at its end: flat memory means the two are about the same.

The naive way, on ``--baseline`` credentials (default: min(N, 2000)): a CSV built in memory with a
loop that reads each row's learner, identity and credits on its own (one query or more per row),
and a ZIP built in memory (``BytesIO``, ZIP_DEFLATED, each PDF read whole).

    .venv/bin/python benchmarks/export.py                      # 10,000 credentials (and a 2,000 baseline)
    .venv/bin/python benchmarks/export.py --n 300 --baseline 100   # smoke (CI)
"""

import argparse
import io
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

COURSE = "course-v1:BenchX+EXPORT+2026"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def rss_mb(field: str = "VmRSS") -> float:
    """Resident set size now (VmRSS) or at its peak since the last reset (VmHWM), in MB."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) / 1024


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def code(number: int) -> str:
    digits = ""
    for _ in range(10):
        number, digit = divmod(number, 32)
        digits = ALPHABET[digit] + digits
    return digits


def seed(bench: harness.Bench, n: int):
    """N credentials with a copy each of one real PDF, and their credits; returns the configuration."""
    from django.utils import timezone

    from learning_credentials.credits.services import credits_award_for_credentials
    from learning_credentials.models import Credential, InvalidationReason
    from learning_credentials.services import credential_generate, credential_issue_or_get
    from learning_credentials.services.artifacts import artifact_name

    ids = bench.seed_learners(course_key=COURSE, course_name="Export benchmark", count=n + 1, prefix="exp")
    configuration = bench.configuration(course_key=COURSE, slug="bench-export", credits=True)
    # The real PDF, of another configuration of the same certificate (an export of one configuration).
    model = bench.configuration(course_key=COURSE, slug="bench-export-model", credits=True)
    started = time.monotonic()
    first, _ = credential_issue_or_get(user_id=ids[0], configuration=model, source="command", queue=False)
    first = credential_generate(credential_id=first.pk, source="command")
    pdf = (bench.media / first.artifact).read_bytes()
    print(f"one PDF rendered by the project's renderer: {len(pdf):,} bytes in {time.monotonic() - started:.2f}s")

    started, now = time.monotonic(), timezone.now()
    names = {}
    rows = []
    for index, user_id in enumerate(ids[1:]):
        credential = Credential(
            user_id=user_id,
            configuration=configuration,
            verification_code=code(index + 1),
            learner_name=f"{harness.FIRST[index % len(harness.FIRST)]} {harness.LAST[index % len(harness.LAST)]}",
            context_name="Export benchmark",
            type_name=configuration.credential_type.name,
            score=80 + index % 20,
            status="available",
            attempts=1,
        )
        credential.created = now - timedelta(seconds=n - index)
        if index % 25 == 3:
            credential.status, credential.active = "invalidated", None
            credential.invalidation_reason, credential.invalidated_at = InvalidationReason.REFUNDED, now
        elif index % 100 == 7:
            credential.suspended_at = now
        credential.artifact = artifact_name(credential_id=credential.pk, attempt=1, extension="pdf")
        names[credential.pk] = credential.artifact
        rows.append(credential)
    Credential.objects.bulk_create(rows, batch_size=1000)
    credits_award_for_credentials(credentials=[c for c in rows if c.status == "available"])
    for name in names.values():
        path = bench.media / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
    print(f"{n:,} credentials and {n:,} PDF copies ({n * len(pdf) / 1e6:.0f} MB) in {time.monotonic() - started:.1f}s")
    return configuration


def ours(configuration, format: str, n: int) -> dict:
    """The staff path (the task's service) with RSS read at 1,000 credentials and at the end."""
    import learning_credentials.services.exports as exports
    from learning_credentials.models import CredentialExport
    from learning_credentials.services.artifacts import artifact_storage

    rss: dict[str, float] = {}
    write = exports.credentials_export_write

    def measured(**kwargs):
        passed, told = 0, kwargs.pop("progress")

        def progress(count: int) -> None:
            nonlocal passed
            passed += count
            if passed >= min(1000, n // 2) and "1k" not in rss:
                rss["1k"] = rss_mb()
            told(count)

        return write(progress=progress, **kwargs)

    export = CredentialExport.objects.create(configuration=configuration, format=format)
    exports.credentials_export_write = measured
    reset_peak()
    rss["start"] = rss_mb()
    database = harness.cpu_snapshot(None)["database"]
    cpu, started = time.process_time(), time.monotonic()
    try:
        export = exports.credential_export_run(export_id=export.pk)
    finally:
        exports.credentials_export_write = write
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    rss["end"], peak = rss_mb(), rss_mb("VmHWM")
    database = harness.cpu_snapshot(None)["database"] - database
    assert export.status == "ready", (export.status, export.error)
    size = artifact_storage().size(export.file)
    check = check_csv(export.file, n) if format == "csv" else check_zip(export.file, export.total)
    print(
        f"ours {format}: {export.done:,} credentials in {seconds:.2f}s ({cpu:.2f} s CPU here, {database:.2f} s "
        f"database), {size / 1e6:.1f} MB; RSS {rss['start']:.1f} MB before, {rss['1k']:.1f} MB at 1,000, "
        f"{rss['end']:.1f} MB at the end, "
        f"peak {peak:.1f} MB; {check}"
    )
    return {"seconds": seconds, "cpu": cpu, "db_cpu": database, "peak": peak, **{f"rss_{k}": v for k, v in rss.items()}}


def check_csv(name: str, n: int) -> str:
    import csv

    from learning_credentials.services.artifacts import artifact_storage

    with artifact_storage().open(name, "rb") as file:
        rows = list(csv.reader(io.TextIOWrapper(file, encoding="utf-8-sig", newline="")))
    header, body = rows[0], rows[1:]
    credits = sum(1 for row in body if row[header.index("credits earned")])
    assert len(body) == n, len(body)
    return f"checked: {len(body):,} rows, {len(header)} columns, {credits:,} with credits"


def check_zip(name: str, expected: int) -> str:
    from learning_credentials.services.artifacts import artifact_storage

    with artifact_storage().open(name, "rb") as file, zipfile.ZipFile(file) as archive:
        infos = archive.infolist()
        assert len(infos) == expected and all(info.compress_type == zipfile.ZIP_STORED for info in infos)
        assert archive.read(infos[0]).startswith(b"%PDF-") and archive.read(infos[-1]).startswith(b"%PDF-")
    return f"checked: {len(infos):,} PDFs, stored"


def naive(configuration, count: int) -> dict:
    """The common way: a loop that reads each row's data on its own, and files held in memory."""
    import csv

    from learning_credentials.adapters import get_adapter
    from learning_credentials.credits.selectors import credits_text_by_credential
    from learning_credentials.models import Credential
    from learning_credentials.selectors import credential_public_status, public_code, verify_url
    from learning_credentials.services.artifacts import artifact_storage

    figures = {}
    credentials = Credential.objects.filter(configuration=configuration).order_by("created")
    reset_peak()
    cpu, started = time.process_time(), time.monotonic()
    text = io.StringIO()
    writer = csv.writer(text)
    for credential in credentials[:count]:
        learner = get_adapter().get_learners([credential.user_id]).get(credential.user_id)
        writer.writerow(
            [
                credential.learner_name,
                learner.username,
                learner.email,
                credential.status,
                credential_public_status(credential).status,
                public_code(credential),
                verify_url(credential),
                credential.score,
                credential.created.date(),
                credits_text_by_credential(credentials=[credential]).get(credential.pk, ""),
            ]
        )
    content = text.getvalue().encode()
    figures["csv"] = (time.monotonic() - started, time.process_time() - cpu, rss_mb("VmHWM"), len(content))
    del text, content
    reset_peak()
    cpu, started = time.process_time(), time.monotonic()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for credential in credentials.filter(status="available")[:count]:
            with artifact_storage().open(credential.artifact, "rb") as file:
                archive.writestr(f"{credential.verification_code}-{credential.learner_name}.pdf", file.read())
    figures["zip"] = (time.monotonic() - started, time.process_time() - cpu, rss_mb("VmHWM"), buffer.tell())
    for kind, (seconds, used, peak, size) in figures.items():
        print(
            f"naive {kind} on {count:,}: {seconds:.2f}s ({used:.2f} s CPU), {size / 1e6:.1f} MB, peak RSS {peak:.1f} MB"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000, help="credentials (default 10000)")
    parser.add_argument("--baseline", type=int, help="credentials of the naive way (default min(N, 2000))")
    harness.add_arguments(parser)
    args = parser.parse_args()
    baseline = min(args.baseline or 2000, args.n)
    with harness.Bench("export", args) as bench:
        configuration = seed(bench, args.n)
        csv_figures = ours(configuration, "csv", args.n)
        zip_figures = ours(configuration, "zip", args.n)
        slow = naive(configuration, baseline)
        csv_per_ms = 1000 * csv_figures["seconds"] / args.n
        zip_per_ms = 1000 * zip_figures["seconds"] / args.n
        naive_csv_ms, naive_zip_ms = (1000 * slow[kind][0] / baseline for kind in ("csv", "zip"))
        print(
            f"per credential: ours csv {csv_per_ms:.3f} ms, zip {zip_per_ms:.3f} ms; "
            f"naive csv {naive_csv_ms:.3f} ms, zip {naive_zip_ms:.3f} ms (on {baseline:,})"
        )
        print(f"load average after: {harness.load_average()}")
        seconds = csv_figures["seconds"] + zip_figures["seconds"]
        peak = max(csv_figures["peak"], zip_figures["peak"])
        print(
            f"RESULT name=export credentials={args.n} seconds={seconds:.2f} peak_rss_mb={peak:.1f} "
            f"csv_seconds={csv_figures['seconds']:.2f} zip_seconds={zip_figures['seconds']:.2f} "
            f"cpu_seconds={csv_figures['cpu'] + zip_figures['cpu']:.2f} "
            f"db_cpu_seconds={csv_figures['db_cpu'] + zip_figures['db_cpu']:.2f} "
            f"rss_start_mb={min(csv_figures['rss_start'], zip_figures['rss_start']):.1f} "
            f"rss_1k_mb={max(csv_figures['rss_1k'], zip_figures['rss_1k']):.1f} "
            f"rss_end_mb={max(csv_figures['rss_end'], zip_figures['rss_end']):.1f} "
            f"baseline_n={baseline} baseline_csv_speedup={naive_csv_ms / csv_per_ms:.1f} "
            f"baseline_zip_speedup={naive_zip_ms / zip_per_ms:.1f} "
            f"baseline_csv_peak_rss_mb={slow['csv'][2]:.1f} baseline_zip_peak_rss_mb={slow['zip'][2]:.1f}"
        )


if __name__ == "__main__":
    main()
