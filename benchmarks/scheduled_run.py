"""A scheduled run of one configuration for N learners through a real worker, against a per-learner baseline.

A Celery worker (``--concurrency 2`` prefork: one process per core here) is already running on
Redis and the database when the run is queued with ``configuration_run_queue`` (what "Generate
now" and beat do). The clock runs from queuing the run to the moment SQL on another connection
counts the last of the N credentials AVAILABLE: PDFs stored (FileSystemStorage in a temporary
MEDIA_ROOT), audit rows written, the learners' emails queued and sent (locmem backend in the
worker, after the clock stops).

Queries per learner are counted inside the worker (every statement its processes execute, from
the run's planning to the last email; see ``example/sandbox/celery.py``), divided by N.

The baseline, in the same run on another course of ``--baseline`` learners: how a per-learner
plugin works, one task per learner, each issuing with one service call and then rendering and
storing the PDF (``harness.baseline_issue_one``), fanned out by a task that plans in bulk.

    .venv/bin/python benchmarks/scheduled_run.py --learners 10000          # full: 10,000 and a 1,000 baseline
    .venv/bin/python benchmarks/scheduled_run.py --learners 300 --baseline 100   # smoke
    .venv/bin/python benchmarks/scheduled_run.py --learners 5000 --open-badges   # Open Badges on against off

With ``--open-badges``, four more runs of ``--learners`` learners each on courses of their own, the
worker restarted between them with the open_badges sub-app installed or not
(``SANDBOX_OPEN_BADGES``): off, on, on, off, so that a machine that speeds up or slows down weighs
on both sides. With it, each credential gets its status list entries in the issuing transaction,
and its PDF embeds its VC-JWT, signed in bulk per chunk (both checked by SQL).
The last line compares the two: ``RESULT name=scheduled_run_open_badges ... ratio=<on/off>``.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

COURSE = "course-v1:BenchX+RUN+2026"
BASELINE_COURSE = "course-v1:BenchX+BASE+2026"


def wait_available(bench: harness.Bench, configuration_id: int, expected: int, started: float, stall: float) -> float:
    """Poll (another connection, every 50 ms) until ``expected`` rows are AVAILABLE; returns the seconds taken."""
    observer = bench.observer()
    query = "SELECT status, COUNT(*) FROM learning_credentials_credential WHERE configuration_id = %s GROUP BY status"
    last, last_change, printed = -1, time.monotonic(), started
    try:
        while True:
            counts = dict(observer.query(query, (configuration_id,)))
            now = time.monotonic()
            available = counts.get("available", 0)
            if available >= expected:
                bench.mark()
                return now - started
            if counts.get("error", 0) and available + counts["error"] >= expected:
                raise RuntimeError(f"credentials in ERROR: {counts}")
            if available != last:
                last, last_change = available, now
            elif now - last_change > stall:
                raise RuntimeError(f"no progress for {stall:.0f}s: {counts}\n{bench.log_tail()}")
            if now - printed >= 5:
                print(f"  {now - started:5.1f}s: {counts}")
                printed = now
            time.sleep(0.05)
    finally:
        observer.close()


def wait_emails(bench: harness.Bench, configuration_id: int, expected: int, timeout: float = 600) -> float:
    started = time.monotonic()
    while bench.notified(configuration_id) < expected:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"emails: {bench.notified(configuration_id)} of {expected} after {timeout:.0f}s")
        time.sleep(0.2)
    return time.monotonic() - started


def report(bench: harness.Bench, label: str, configuration_id: int, learners: int, seconds: float) -> dict:
    """Counts by SQL on fresh connections and the worker's statement counts, printed; returns the figures."""
    statuses = bench.status_counts(configuration_id)
    stored, missing = bench.check_pdfs(configuration_id)
    counts = bench.worker_counts()
    queries = counts.get("queries", 0)
    print(
        f"{label}: {learners:,} learners in {seconds:.2f}s = {learners / seconds:.1f}/s; by SQL: {statuses}, "
        f"PDFs stored {stored} (missing {missing}), emails sent {bench.notified(configuration_id)}"
    )
    print(f"{label}: audit rows {bench.audit_counts(configuration_id)}")
    print(f"{label}: worker statements {queries} = {queries / learners:.2f} per learner")
    print(harness.describe_counts(counts, learners))
    print(f"{label}: where the time went (worker log, /proc)")
    print(bench.describe_time(learners))
    return {
        "available": statuses.get("available", 0),
        "missing": missing,
        "queries_per_learner": queries / learners,
        "per_s": learners / seconds,
    }


def scheduled(bench: harness.Bench, configuration, learners: int, label: str, stall: float) -> dict:
    """Queue the configuration's run and wait for every credential and email; the figures."""
    from learning_credentials.services.configuration import configuration_run_queue

    bench.reset_worker_counts()
    started = time.monotonic()
    configuration_run_queue(configuration=configuration, source="command")
    seconds = wait_available(bench, configuration.pk, learners, started, stall)
    wait_emails(bench, configuration.pk, learners)
    bench.wait_idle()
    return {**report(bench, label, configuration.pk, learners, seconds), "seconds": seconds}


def open_badges_sides(bench: harness.Bench, args) -> dict[str, list[dict]]:
    """Runs with the sub-app off and on (off, on, on, off), the worker restarted for each side."""
    sides: dict[str, list[dict]] = {"off": [], "on": []}
    for number, side in enumerate(("off", "on", "on", "off"), start=1):
        course = f"course-v1:BenchX+OB{number}+2026"
        name = f"Open Badges {side} {number}"
        bench.seed_learners(course_key=course, course_name=name, count=args.learners, prefix=f"ob{number}")
        configuration = bench.configuration(course_key=course, slug=f"bench-ob-{number}")
        bench.stop_worker()
        os.environ["SANDBOX_OPEN_BADGES"] = "1" if side == "on" else "0"
        bench.start_worker()
        figures = scheduled(bench, configuration, args.learners, f"open badges {side} ({number})", args.stall)
        entries = bench.sql(
            "SELECT COUNT(*) FROM learning_credentials_open_badges_statusentry e "
            "JOIN learning_credentials_credential c ON c.uuid = e.credential_id WHERE c.configuration_id = %s",
            (configuration.pk,),
        )[0][0]
        tokens = bench.sql(
            "SELECT COUNT(*) FROM learning_credentials_open_badges_signedcredential s "
            "JOIN learning_credentials_credential c ON c.uuid = s.credential_id "
            "WHERE c.configuration_id = %s AND s.jwt <> '' AND c.artifact_sha256 <> ''",
            (configuration.pk,),
        )[0][0]
        expected = 2 * args.learners if side == "on" else 0
        if entries != expected or tokens != expected // 2:
            raise RuntimeError(
                f"open badges {side}: {entries} status entries and {tokens} signed PDFs, expected {expected} and "
                f"{expected // 2}"
            )
        sides[side].append(figures)
    os.environ.pop("SANDBOX_OPEN_BADGES", None)
    return sides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000, help="learners of the scheduled run (default 10000)")
    parser.add_argument(
        "--baseline", type=int, default=1000, help="learners of the per-learner baseline (default 1000)"
    )
    parser.add_argument(
        "--credits", action="store_true", help="the run's configuration also awards credits (the credits sub-app)"
    )
    parser.add_argument("--stall", type=float, default=120, help="fail after this many seconds without progress")
    parser.add_argument(
        "--open-badges",
        action="store_true",
        help="also four runs with the open_badges sub-app off and on, alternated, and their ratio",
    )
    harness.add_arguments(parser)
    args = parser.parse_args()

    with harness.Bench("run", args) as bench:
        from learning_credentials.services.configuration import configuration_run_queue

        bench.seed_learners(course_key=COURSE, course_name="Scheduled Run", count=args.learners, prefix="run")
        bench.seed_learners(course_key=BASELINE_COURSE, course_name="Baseline", count=args.baseline, prefix="base")
        configuration = bench.configuration(course_key=COURSE, slug="bench-run", credits=args.credits)
        baseline_configuration = bench.configuration(course_key=BASELINE_COURSE, slug="bench-baseline")
        bench.start_worker()

        bench.reset_worker_counts()
        print(f"scheduled run: {args.learners:,} learners")
        started = time.monotonic()
        configuration_run_queue(configuration=configuration, source="command")
        seconds = wait_available(bench, configuration.pk, args.learners, started, args.stall)
        emails = wait_emails(bench, configuration.pk, args.learners)
        print(f"scheduled run: all AVAILABLE after {seconds:.2f}s; the emails all sent {emails:.1f}s later")
        bench.wait_idle()
        ours = report(bench, "scheduled run", configuration.pk, args.learners, seconds)
        run = bench.sql(
            "SELECT eligible, issued, failed, chunks_total, chunks_done FROM learning_credentials_credentialrun "
            "WHERE configuration_id = %s",
            (configuration.pk,),
        )
        print(f"scheduled run: run rows (eligible, issued, failed, chunks, chunks done) {run}")
        credit_entries = (
            bench.sql(
                "SELECT COUNT(*) FROM learning_credentials_credits_creditledgerentry e "
                "JOIN learning_credentials_credential c ON c.uuid = e.credential_id "
                "WHERE c.configuration_id = %s AND e.voided_at IS NULL",
                (configuration.pk,),
            )[0][0]
            if args.credits
            else 0
        )

        bench.reset_worker_counts()
        print(f"baseline: {args.baseline:,} learners, one task per learner")
        started = time.monotonic()
        harness.baseline_run.delay(baseline_configuration.pk)
        baseline_seconds = wait_available(bench, baseline_configuration.pk, args.baseline, started, args.stall)
        wait_emails(bench, baseline_configuration.pk, args.baseline)
        bench.wait_idle()
        baseline = report(bench, "baseline", baseline_configuration.pk, args.baseline, baseline_seconds)
        sides = open_badges_sides(bench, args) if args.open_badges else None
        print(f"load average at the end: {harness.load_average()}")

    if ours["available"] != args.learners or ours["missing"] or baseline["available"] != args.baseline:
        sys.exit(f"expected {args.learners} AVAILABLE credentials with their PDFs: {ours}; baseline {baseline}")
    if args.credits and credit_entries != 2 * args.learners:
        sys.exit(f"expected {2 * args.learners} active credit entries (SHRM, HRCI per learner): {credit_entries}")

    print(
        f"RESULT name=scheduled_run learners={args.learners} seconds={seconds:.2f} per_s={ours['per_s']:.1f} "
        f"queries_per_learner={ours['queries_per_learner']:.2f} available={ours['available']} "
        f"baseline_per_s={baseline['per_s']:.1f} speedup={ours['per_s'] / baseline['per_s']:.2f}"
        + (f" credit_entries={credit_entries}" if args.credits else "")
    )
    if sides:
        rate = {side: sum(r["seconds"] for r in runs) for side, runs in sides.items()}
        per_s = {side: len(runs) * args.learners / rate[side] for side, runs in sides.items()}
        queries = {side: sum(r["queries_per_learner"] for r in runs) / len(runs) for side, runs in sides.items()}
        runs = {side: ",".join(f"{r['per_s']:.0f}" for r in figures) for side, figures in sides.items()}
        print(
            f"RESULT name=scheduled_run_open_badges learners={args.learners} runs_per_side=2 "
            f"per_s_on={per_s['on']:.1f} per_s_off={per_s['off']:.1f} ratio={per_s['on'] / per_s['off']:.3f} "
            f"queries_per_learner_on={queries['on']:.2f} queries_per_learner_off={queries['off']:.2f} "
            f"runs_on={runs['on']} runs_off={runs['off']}"
        )


if __name__ == "__main__":
    main()
