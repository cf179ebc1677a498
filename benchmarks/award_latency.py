"""Award latency: from ``notify_progress`` to the learner's credential AVAILABLE, through a real worker.

A Celery worker (``--concurrency 2`` prefork) runs on Redis and the database. For each of
``--events`` learners who completed the course, one after another (``--pause`` 50 ms between
them, so that the previous email is usually sent), the clock starts just before
``learning_credentials.api.notify_progress`` (what a host calls when a learner's progress
changes) and stops when another database connection, polling every 2 ms, reads the learner's
credential as AVAILABLE: checked, issued with its audit rows, PDF rendered and stored
(FileSystemStorage in a temporary MEDIA_ROOT); the learner's email is sent by the worker
afterwards (locmem backend). A few warm-up events first (each pool process's first task loads
the template and fonts) are reported apart.

Afterwards SQL on a fresh connection counts the AVAILABLE credentials and their stored PDFs.

    .venv/bin/python benchmarks/award_latency.py                 # 200 events
    .venv/bin/python benchmarks/award_latency.py --events 20     # smoke
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

COURSE = "course-v1:BenchX+EVENTS+2026"
POLL_SECONDS = 0.002


def award(observer, notify, user_id: int, configuration_id: int, timeout: float) -> float:
    """Milliseconds from the call to the credential read as AVAILABLE on the observer's connection."""
    query = "SELECT status FROM learning_credentials_credential WHERE user_id = %s AND configuration_id = %s"
    started = time.perf_counter()
    notify(user_id)
    while True:
        rows = observer.query(query, (user_id, configuration_id))
        elapsed = time.perf_counter() - started
        if rows and rows[0][0] == "available":
            return elapsed * 1000
        if rows and rows[0][0] == "error":
            raise RuntimeError(f"the credential of user {user_id} went to ERROR")
        if elapsed > timeout:
            raise RuntimeError(f"user {user_id}: no AVAILABLE credential after {timeout:.0f}s, {rows}")
        time.sleep(POLL_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200, help="progress events, one learner each (default 200)")
    parser.add_argument("--warmup", type=int, default=4, help="events before the measured ones (default 4)")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between events (default 0.05)")
    parser.add_argument("--timeout", type=float, default=60, help="fail when one award takes longer than this")
    harness.add_arguments(parser)
    args = parser.parse_args()

    with harness.Bench("latency", args) as bench:
        from learning_credentials.api import notify_progress

        ids = bench.seed_learners(
            course_key=COURSE, course_name="Award Latency", count=args.warmup + args.events, prefix="event"
        )
        configuration = bench.configuration(course_key=COURSE, slug="bench-latency")
        bench.start_worker()

        def notify(user_id: int) -> None:
            if not notify_progress(user_id=user_id, context_key=COURSE):
                raise RuntimeError("notify_progress queued nothing")

        observer = bench.observer()
        try:
            warmup = [
                award(observer, notify, user_id, configuration.pk, args.timeout) for user_id in ids[: args.warmup]
            ]
            if warmup:
                print("warm-up: " + ", ".join(f"{ms:.0f}" for ms in warmup) + " ms")
            bench.wait_idle()
            bench.reset_worker_counts()
            latencies = []
            for user_id in ids[args.warmup :]:
                latencies.append(award(observer, notify, user_id, configuration.pk, args.timeout))
                time.sleep(args.pause)
        finally:
            observer.close()
        bench.wait_idle()

        measured = ids[args.warmup :]
        placeholders = ", ".join(["%s"] * len(measured))
        available = bench.sql(
            "SELECT COUNT(*) FROM learning_credentials_credential WHERE configuration_id = %s AND status = %s "
            f"AND user_id IN ({placeholders})",
            (configuration.pk, "available", *measured),
        )[0][0]
        stored, missing = bench.check_pdfs(configuration.pk)
        counts = bench.worker_counts()
        print(f"by SQL: {available} of {args.events} AVAILABLE; {bench.status_counts(configuration.pk)} in all")
        print(f"PDFs stored {stored} (missing {missing}), emails sent {bench.notified(configuration.pk)}")
        print(f"audit rows {bench.audit_counts(configuration.pk)}")
        print(f"worker statements {counts.get('queries', 0)} = {counts.get('queries', 0) / args.events:.2f} per event")
        print(harness.describe_counts(counts, args.events))
        print("where the time went (worker log, /proc)")
        print(bench.describe_time(args.events, throughput=False))
        print(f"load average at the end: {harness.load_average()}")

    p50, p95 = harness.percentile(latencies, 0.50), harness.percentile(latencies, 0.95)
    print(
        f"latency: mean {statistics.mean(latencies):.1f} ms, min {min(latencies):.1f}, p50 {p50:.1f}, "
        f"p95 {p95:.1f}, p99 {harness.percentile(latencies, 0.99):.1f}, max {max(latencies):.1f} ms"
    )
    if available != args.events or missing:
        sys.exit(f"expected {args.events} AVAILABLE credentials with their PDFs, found {available} ({missing} missing)")
    print(f"RESULT name=award_latency events={args.events} p50_ms={p50:.1f} p95_ms={p95:.1f}")


if __name__ == "__main__":
    main()
