"""Concurrent awards: one award asked for ``--requests`` times at once, then ``--requests`` distinct learners at once.

``--workers`` threads, each with its own database connection, call the services the entry points
call, rotating over the four issuing paths: a progress event (``learner_progress_check``, what
the ``check_learner`` task runs), a schedule chunk of one learner (``configuration_issue_chunk``,
what ``issue_chunk`` runs), a staff manual award (``credential_issue_or_get`` with ``manual``,
what the admin's "Issue manually" form calls) and an on-demand request (``credential_request``
with no budget, so the generation is queued rather than waited for in its thread pool). Celery
runs eagerly in the calling thread, so one request is what the app and a worker together do for
it: the issue with its audit rows, and for the call that created the credential the PDF
rendering and storage and the learner's email (Django's in-memory outbox); a call that finds
the credential already held is counted on it. ``p95_ms`` is the 95th percentile of those
per-call times over both phases (both are printed apart too). On a small machine it is mostly
the wait for a CPU: 50 threads share the interpreter and the database server's cores.

The harness (``harness.py``) creates a dedicated database (``lc_bench_awards_<pid>`` on the
server, or an SQLite file), migrates it, seeds the sandbox LMS (a course, learners who completed
it, the demo's certificate) and drops it at the end; it needs Redis on 127.0.0.1 only because
the harness checks it (no task goes through it here). After the run the counts come from SQL
on fresh connections, not from the benchmark's own counters: ``credentials_same`` (rows of the
one award), ``credentials_distinct`` (rows of the distinct learners), ``duplicates`` (user and
configuration pairs with more than one live credential) and ``lost`` (distinct learners without
a live credential); also the audit rows and emails of each phase.

Connections: the workers' (each closes its own when done), one of the harness's at a time (the
peak sampler during the run, a fresh one per count afterwards) and the main thread's, closed
before the run: at most ``--workers`` + 2. PostgreSQL allows 100 by default
(``max_connections``), MariaDB 151 (``max_connections``); the benchmark reads the server's limit,
refuses more workers than fit, and prints the peak it sampled (``pg_stat_activity``,
``information_schema.PROCESSLIST``).

    .venv/bin/python benchmarks/concurrent_awards.py --db postgres|mysql|sqlite [--requests 1000] [--workers 50]
    .venv/bin/python benchmarks/concurrent_awards.py --db mysql --smoke      # CI: 100 requests, 20 workers

Exits 1 when a count is not the expected one or a call raised (the first tracebacks are printed).
"""

import argparse
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

COURSE = "course-v1:BenchX+AWARDS+2026"
PATHS = ("event", "schedule", "admin", "learner")
SAMPLE_SECONDS = 0.05
CREDENTIALS = "learning_credentials_credential"
EVENTS = "learning_credentials_credentialevent"


def call(path: str, *, user_id: int, configuration_id: int, staff_id: int) -> None:
    """One request through the service its entry point calls; raises what the service raises."""
    from django.contrib.auth import get_user_model

    from learning_credentials.models import CredentialConfiguration, CredentialEvent
    from learning_credentials.services.configuration import configuration_issue_chunk
    from learning_credentials.services.issuance import credential_issue_or_get
    from learning_credentials.services.on_demand import credential_request
    from learning_credentials.services.progress import DUPLICATE, ISSUED, learner_progress_check

    Source = CredentialEvent.Source
    if path == "event":
        outcomes = learner_progress_check(user_id=user_id, context_key=COURSE, source=Source.EVENT)
        if outcomes.get(configuration_id) not in (ISSUED, DUPLICATE):
            raise RuntimeError(f"the progress check said {outcomes}")
    elif path == "schedule":
        counts = configuration_issue_chunk(
            configuration_id=configuration_id, user_ids=[user_id], run_id=None, source=Source.SCHEDULE
        )
        if counts.get("failed"):
            raise RuntimeError(f"the chunk said {counts}")
    else:
        configuration = CredentialConfiguration.objects.select_related("credential_type").get(pk=configuration_id)
        if path == "admin":
            credential_issue_or_get(
                user_id=user_id,
                configuration=configuration,
                source=Source.ADMIN,
                actor_id=staff_id,
                manual=True,
                reason="benchmark",
            )
        else:
            user = get_user_model().objects.get(pk=user_id)
            credential_request(user=user, configuration=configuration, budget_seconds=0)


def race(user_ids: list[int], *, workers: int, configuration_id: int, staff_id: int):
    """One call per entry of ``user_ids`` (the paths in rotation) from ``workers`` threads released together.

    Returns the per-call milliseconds, the tracebacks of calls that raised and the wall seconds.
    """
    from django.db import connections

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    position = iter(range(len(user_ids)))
    barrier = threading.Barrier(workers)

    def worker() -> None:
        try:
            barrier.wait(60)
            while True:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                path = PATHS[index % len(PATHS)]
                started = time.perf_counter()
                try:
                    call(path, user_id=user_ids[index], configuration_id=configuration_id, staff_id=staff_id)
                except Exception:
                    with lock:
                        errors.append(f"{path}: {traceback.format_exc()}")
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, name=f"award-{n}") for n in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


class PeakConnections(threading.Thread):
    """Samples how many connections the server has open to the benchmark's database (less its own)."""

    def __init__(self, bench: harness.Bench):
        super().__init__(daemon=True)
        self.bench, self.peak, self.stopping = bench, 0, threading.Event()

    def run(self) -> None:
        if self.bench.args.db == "postgres":
            sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s"
        else:
            sql = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s"
        observer = self.bench.observer()
        try:
            while not self.stopping.is_set():
                self.peak = max(self.peak, int(observer.query(sql, (self.bench.db_name,))[0][0]) - 1)
                self.stopping.wait(SAMPLE_SECONDS)
        finally:
            observer.close()

    def stop(self) -> int:
        self.stopping.set()
        self.join()
        return self.peak


def connection_limit(bench: harness.Bench) -> int | None:
    if bench.args.db == "postgres":
        return int(bench.sql("SHOW max_connections")[0][0])
    if bench.args.db == "mysql":
        return int(bench.sql("SELECT @@max_connections")[0][0])
    return None


def count(bench: harness.Bench, *, configuration_id: int, same_id: int, distinct: int) -> dict[str, int]:
    """The outcome, in SQL on fresh connections."""
    award = (same_id, configuration_id)
    mine, others = "c.user_id = %s AND c.configuration_id = %s", "c.user_id <> %s AND c.configuration_id = %s"

    def scalar(query: str, params=()) -> int:
        return int(bench.sql(query, params)[0][0])

    def events(where: str, *kinds: str) -> int:
        marks = ", ".join(["%s"] * len(kinds))
        return scalar(
            f"SELECT COUNT(*) FROM {EVENTS} e JOIN {CREDENTIALS} c ON c.uuid = e.credential_id"
            f" WHERE {where} AND e.kind IN ({marks})",
            (*award, *kinds),
        )

    return {
        "credentials_same": scalar(f"SELECT COUNT(*) FROM {CREDENTIALS} c WHERE {mine}", award),
        "credentials_distinct": scalar(f"SELECT COUNT(*) FROM {CREDENTIALS} c WHERE {others}", award),
        "duplicates": scalar(
            f"SELECT COUNT(*) FROM (SELECT user_id, configuration_id FROM {CREDENTIALS} WHERE active = %s"
            " GROUP BY user_id, configuration_id HAVING COUNT(*) > 1) dup",
            (True,),
        ),
        "lost": distinct
        - scalar(
            f"SELECT COUNT(DISTINCT c.user_id) FROM {CREDENTIALS} c WHERE {others} AND c.active = %s", (*award, True)
        ),
        "issuance_events_same": events(mine, "issued", "manual_award"),
        "email_events_same": events(mine, "email_sent"),
        "issuance_events_distinct": events(others, "issued", "manual_award"),
        "email_events_distinct": events(others, "email_sent"),
        "not_available": scalar(f"SELECT COUNT(*) FROM {CREDENTIALS} WHERE status <> %s", ("available",)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgres", "mysql", "sqlite"), required=True)
    parser.add_argument("--requests", type=int, default=1000, help="calls for the one award, and distinct learners")
    parser.add_argument("--workers", type=int, default=50, help="threads, each with its own connection (default 50)")
    parser.add_argument("--smoke", action="store_true", help="CI size: 100 requests from 20 workers")
    parser.add_argument(
        "--db-server",
        help="server URL without a database name (default postgres://postgres@127.0.0.1:5432 "
        "or mysql://root@127.0.0.1:3306); the benchmark creates and drops its own database",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="checked by the harness, not used")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (PDFs)")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.workers = 100, 20
    if args.requests < 1 or args.workers < 1:
        parser.error("--requests and --workers must be positive")

    with harness.Bench("awards", args) as bench:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core import mail
        from django.db import connections
        from sandbox.celery import app

        limit = connection_limit(bench)
        if limit is not None and args.workers + 2 > limit:
            sys.exit(f"--workers {args.workers} needs {args.workers + 2} connections; the server allows {limit}")
        # In-process: generation and emails run in the calling thread, after its commit.
        settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True
        mail.outbox = []

        ids = bench.seed_learners(
            course_key=COURSE, course_name="Concurrent Awards", count=args.requests + 1, prefix="award"
        )
        same_id, distinct_ids = ids[0], ids[1:]
        configuration_id = bench.configuration(course_key=COURSE, slug="bench-awards").pk
        staff_id = get_user_model().objects.create(username="bench-staff", is_staff=True, password="!").pk
        connections.close_all()  # the main thread holds no connection during the run

        sampler = PeakConnections(bench) if args.db != "sqlite" else None
        if sampler:
            sampler.start()
        options = {"workers": args.workers, "configuration_id": configuration_id, "staff_id": staff_id}
        same_ms, same_errors, same_s = race([same_id] * args.requests, **options)
        distinct_ms, distinct_errors, distinct_s = race(distinct_ids, **options)
        peak = sampler.stop() if sampler else None
        counts = count(bench, configuration_id=configuration_id, same_id=same_id, distinct=len(distinct_ids))
        emails = len(mail.outbox)

    errors = same_errors + distinct_errors
    for trace in errors[:3]:
        print(trace, file=sys.stderr)

    def timing(latencies: list[float], seconds: float) -> str:
        p50, p95 = statistics.median(latencies), harness.percentile(latencies, 0.95)
        return f"{len(latencies)} calls in {seconds:.1f}s, p50 {p50:.1f} ms, p95 {p95:.1f} ms"

    print(
        f"same award: {timing(same_ms, same_s)}; {counts['credentials_same']} credential,"
        f" {counts['issuance_events_same']} issuance audit row, {counts['email_events_same']} email"
    )
    print(
        f"distinct learners: {timing(distinct_ms, distinct_s)}; {counts['credentials_distinct']} credentials,"
        f" {counts['issuance_events_distinct']} issuance audit rows, {counts['email_events_distinct']} emails"
    )
    print(
        f"workers {args.workers}; calls that raised {len(errors)}; credentials not available {counts['not_available']};"
        f" emails in the outbox {emails}; peak connections {'na' if peak is None else peak}"
        f" (server limit {limit or 'na'}); load average {harness.load_average()}"
    )
    print(
        f"RESULT name=concurrent_awards db={args.db} requests={args.requests}"
        f" credentials_same={counts['credentials_same']} credentials_distinct={counts['credentials_distinct']}"
        f" duplicates={counts['duplicates']} lost={counts['lost']}"
        f" p95_ms={harness.percentile(same_ms + distinct_ms, 0.95):.1f}"
    )
    expected = {
        "credentials_same": 1,
        "credentials_distinct": args.requests,
        "duplicates": 0,
        "lost": 0,
        "issuance_events_same": 1,
        "email_events_same": 1,
        "issuance_events_distinct": args.requests,
        "email_events_distinct": args.requests,
        "not_available": 0,
    }
    wrong = {key: counts[key] for key, value in expected.items() if counts[key] != value}
    if wrong or errors:
        print(f"unexpected: {wrong or 'no wrong count'}; {len(errors)} calls raised", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
