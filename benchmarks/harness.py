"""Shared setup of the benchmarks that run the whole pipeline: a real Celery worker, Redis and a database.

``Bench`` creates a dedicated database (PostgreSQL, MariaDB/MySQL or an SQLite file), configures
Django with the sandbox settings on it, migrates, seeds learners in bulk on the sandbox LMS
models, starts and stops a Celery worker subprocess (``--concurrency 2`` prefork by default) on a
queue of its own, and drops everything afterwards. Figures come from SQL on connections of its
own (``Bench.sql`` opens a fresh one per call, ``Bench.observer`` one kept for polling), never
from the benchmark's own counters.

The worker runs with ``SANDBOX_COUNT_QUERIES`` (see ``example/sandbox/celery.py``): every
statement its processes execute is counted and published to a Redis hash after each task;
``Bench.worker_counts`` reads it.

This module is also imported by the worker (``celery worker -I harness``) for the per-learner
baseline tasks below, so its top level imports nothing but the standard library and Celery.
"""

import argparse
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from celery import shared_task

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
EXAMPLE = REPO / "example"
SERVERS = {"postgres": "postgres://postgres@127.0.0.1:5432", "mysql": "mysql://root@127.0.0.1:3306"}
FIRST = ["Zoë", "Ångström", "Łucja", "Søren", "Ñuria", "Çağla", "Đặng", "Jürgen", "Ada", "Kenji", "Γιώργος", "Олена"]
LAST = ["Lovelace", "Wałęsa", "Ørsted", "Núñez", "Şahin", "Nguyễn", "Müller", "Dvořák", "Tanaka", "Παπαδόπουλος"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", choices=("postgres", "mysql", "sqlite"), default="postgres", help="default postgres")
    parser.add_argument(
        "--db-server",
        help="server URL without a database name (default postgres://postgres@127.0.0.1:5432 "
        "or mysql://root@127.0.0.1:3306); the benchmark creates and drops its own database",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="broker (a queue of its own is used)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork); default 2")
    parser.add_argument("--worker-loglevel", default="INFO", help="the worker's log level (default INFO)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (worker log, PDFs)")


class Bench:
    """A database, a media folder and a worker of one benchmark run; use as a context manager."""

    def __init__(self, name: str, args: argparse.Namespace):
        self.name, self.args = name, args
        self.tag = f"{name}_{os.getpid()}"
        self.queue = f"lc-bench-{name}-{uuid.uuid4().hex[:8]}"
        self.counts_key = f"{self.queue}:queries"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"lc-bench-{name}-"))
        self.media = self.tmp / "media"
        self.media.mkdir()
        self.worker: subprocess.Popen | None = None
        self.worker_log = self.tmp / "worker.log"
        self.nodename = f"{self.queue}@{socket.gethostname()}"
        self.db_name = f"lc_bench_{self.tag}"
        self.server = args.db_server or SERVERS.get(args.db, "")
        self.database_url = self._create_database()
        self._redis = None

    # -- set-up and tear-down ---------------------------------------------------------------------

    def __enter__(self) -> "Bench":
        # A terminated benchmark (CI's timeout, kill) still stops its worker and drops its database.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            self._setup_django()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        failed = exc_type is not None
        self.stop_worker(show_log=failed)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django never got configured
            pass
        self._drop_database()
        if self._redis is not None:
            bindings = (f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}")
            self._redis.delete(self.queue, self.counts_key, *bindings)
        if self.args.keep or failed:
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _create_database(self) -> str:
        if self.args.db == "sqlite":
            return f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        self._server_execute(f"DROP DATABASE IF EXISTS {self.db_name}")
        if self.args.db == "postgres":
            self._server_execute(f"CREATE DATABASE {self.db_name}")
        else:
            self._server_execute(f"CREATE DATABASE {self.db_name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        return f"{self.server.rstrip('/')}/{self.db_name}"

    def _drop_database(self) -> None:
        if self.args.db == "sqlite":
            return
        statement = f"DROP DATABASE IF EXISTS {self.db_name}"
        if self.args.db == "postgres":
            statement += " WITH (FORCE)"
        try:
            self._server_execute(statement)
        except Exception as exc:
            print(f"could not drop {self.db_name}: {exc}")

    def _server_execute(self, statement: str) -> None:
        url = urlsplit(self.server)
        if self.args.db == "postgres":
            import psycopg

            with psycopg.connect(
                host=url.hostname, port=url.port or 5432, user=url.username, password=url.password, dbname="postgres"
            ) as connection:
                connection.autocommit = True
                connection.execute(statement)
        else:
            import MySQLdb

            connection = MySQLdb.connect(
                host=url.hostname, port=url.port or 3306, user=url.username or "root", passwd=url.password or ""
            )
            try:
                connection.cursor().execute(statement)
            finally:
                connection.close()

    def env(self) -> dict[str, str]:
        """The environment of this process's Django and of the worker."""
        return {
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.args.redis,
            "CELERY_ALWAYS_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "LC_MEDIA_ROOT": str(self.media),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DEBUG": "0",  # as in production: no query log kept in memory
            "SANDBOX_FAST_PASSWORDS": "1",
        }

    def _setup_django(self) -> None:
        os.environ.update(self.env())
        for path in (str(EXAMPLE), str(REPO)):
            if path not in sys.path:
                sys.path.insert(0, path)
        import django

        django.setup()
        import redis
        from django.core.management import call_command

        self._redis = redis.Redis.from_url(self.args.redis)
        self._redis.ping()
        print(f"load average before: {load_average()} ({os.cpu_count()} cores)")
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"database: {self.args.db} ({self.db_name}), migrated in {time.monotonic() - started:.1f}s")

    # -- data ---------------------------------------------------------------------------------------

    def seed_learners(self, *, course_key: str, course_name: str, count: int, prefix: str) -> list[int]:
        """A course and ``count`` learners enrolled with 100% completion, in bulk; returns their ids in order."""
        from django.contrib.auth import get_user_model
        from sandbox.lms import models as lms

        started = time.monotonic()
        User = get_user_model()
        course, _ = lms.Course.objects.get_or_create(
            key=course_key, defaults={"display_name": course_name, "organization": "Benchmark University"}
        )
        User.objects.bulk_create(
            [
                User(username=f"{prefix}{i:06d}", email=f"{prefix}{i:06d}@example.com", password="!")
                for i in range(count)
            ],
            batch_size=2000,
        )
        ids = list(User.objects.filter(username__startswith=prefix).order_by("username").values_list("id", flat=True))
        lms.Profile.objects.bulk_create(
            [
                lms.Profile(user_id=user_id, full_name=f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}")
                for i, user_id in enumerate(ids)
            ],
            batch_size=2000,
        )
        lms.Enrollment.objects.bulk_create(
            [lms.Enrollment(user_id=user_id, context_key=course_key) for user_id in ids], batch_size=2000
        )
        lms.Completion.objects.bulk_create(
            [lms.Completion(user_id=user_id, course=course, fraction=1.0) for user_id in ids], batch_size=2000
        )
        print(f"seeded {count:,} learners in {course_key} in {time.monotonic() - started:.1f}s")
        return ids

    def configuration(self, *, course_key: str, slug: str, credits: bool = False):
        """A completion credential on the demo's certificate (template, TrueType font, logo, signature, QR code).

        With ``credits``, it also awards 1.50 SHRM PDCs and 1.50 HRCI credits and prints them ({credits}).
        """
        from django.core.files.base import ContentFile
        from opaque_keys.edx.keys import CourseKey
        from reportlab import __file__ as reportlab_file
        from sandbox.lms.management.commands.demo import logo_png, signature_png, template_pdf

        from learning_credentials.models import CredentialAsset, CredentialConfiguration, CredentialType

        assets = {
            "bench-template": (CredentialAsset.Kind.PDF_TEMPLATE, template_pdf, "template.pdf"),
            "bench-font": (
                CredentialAsset.Kind.FONT,
                lambda: (Path(reportlab_file).parent / "fonts" / "Vera.ttf").read_bytes(),
                "Vera.ttf",
            ),
            "bench-logo": (CredentialAsset.Kind.IMAGE, logo_png, "logo.png"),
            "bench-signature": (CredentialAsset.Kind.IMAGE, signature_png, "signature.png"),
        }
        for asset_slug, (kind, content, filename) in assets.items():
            if not CredentialAsset.objects.filter(slug=asset_slug).exists():
                CredentialAsset.objects.create(slug=asset_slug, kind=kind, file=ContentFile(content(), name=filename))
        options = {
            "template": "bench-template",
            "font_asset": "bench-font",
            "required_completion": 100,
            "images": {
                "logo": {"image": "bench-logo", "x": 60, "y": 486, "width": 72},
                "signature": {"image": "bench-signature", "x": 96, "y": 110, "width": 150},
            },
            "elements": {
                "signatory_name": {"text": "Dr. Ada Byron", "x": 171, "y": 96, "size": 11},
                "verify_url": {"y": 56},
                "verify_code": {"y": 44},
            },
            "qr": {"x": 650, "y": 60, "size": 84},
        }
        if credits:
            options["elements"]["credits"] = {"text": "{credits}", "y": 150, "size": 10}
        credential_type = CredentialType.objects.create(
            name=f"Certificate of Completion ({slug})",
            slug=slug,
            retrieval_func="course_completion",
            generation_func="pdf_credential",
            custom_options=options,
        )
        configuration = CredentialConfiguration.objects.create(
            learning_context_key=CourseKey.from_string(course_key), credential_type=credential_type
        )
        if credits:
            from learning_credentials.credits.models import ConfigurationCredit, CreditType

            for code, activity in (("SHRM", "24-ABCDE"), ("HRCI", "123456")):
                ConfigurationCredit.objects.create(
                    configuration=configuration,
                    credit_type=CreditType.objects.get(code=code),
                    amount="1.50",
                    activity_id=activity,
                )
        return configuration

    # -- SQL from connections of our own ---------------------------------------------------------------

    def connect(self):
        """A new DB-API connection in autocommit mode (each statement sees what is committed)."""
        url = urlsplit(self.database_url)
        if self.args.db == "sqlite":
            import sqlite3

            return sqlite3.connect(self.database_url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        if self.args.db == "postgres":
            import psycopg

            return psycopg.connect(
                host=url.hostname,
                port=url.port or 5432,
                user=url.username,
                password=url.password,
                dbname=self.db_name,
                autocommit=True,
            )
        import MySQLdb

        connection = MySQLdb.connect(
            host=url.hostname, port=url.port or 3306, user=url.username, passwd=url.password or "", db=self.db_name
        )
        connection.autocommit(True)
        return connection

    def _execute(self, connection, query: str, params=()) -> list[tuple]:
        if self.args.db == "sqlite":
            query = query.replace("%s", "?")
        cursor = connection.cursor()
        try:
            cursor.execute(query, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def sql(self, query: str, params=()) -> list[tuple]:
        """Run one query on a fresh connection (``%s`` placeholders on every database)."""
        connection = self.connect()
        try:
            return self._execute(connection, query, params)
        finally:
            connection.close()

    def observer(self):
        """A connection kept for polling: ``observer.query(sql, params)``."""
        bench, connection = self, self.connect()

        class Observer:
            def query(self, query: str, params=()) -> list[tuple]:
                return bench._execute(connection, query, params)

            def close(self) -> None:
                connection.close()

        return Observer()

    def status_counts(self, configuration_id: int) -> dict[str, int]:
        rows = self.sql(
            "SELECT status, COUNT(*) FROM learning_credentials_credential WHERE configuration_id = %s GROUP BY status",
            (configuration_id,),
        )
        return dict(rows)

    def check_pdfs(self, configuration_id: int) -> tuple[int, int]:
        """(stored, missing): AVAILABLE credentials whose artifact is a PDF file in the media folder."""
        rows = self.sql(
            "SELECT artifact FROM learning_credentials_credential WHERE configuration_id = %s AND status = %s",
            (configuration_id, "available"),
        )
        stored = 0
        for (artifact,) in rows:
            path = self.media / artifact
            if artifact and path.is_file():
                with path.open("rb") as file:
                    stored += file.read(5) == b"%PDF-"
        return stored, len(rows) - stored

    def audit_counts(self, configuration_id: int) -> dict[str, int]:
        rows = self.sql(
            "SELECT e.kind, e.to_status, COUNT(*) FROM learning_credentials_credentialevent e "
            "JOIN learning_credentials_credential c ON c.uuid = e.credential_id "
            "WHERE c.configuration_id = %s GROUP BY e.kind, e.to_status",
            (configuration_id,),
        )
        return {f"{kind}{'->' + to if to else ''}": count for kind, to, count in rows}

    def notified(self, configuration_id: int) -> int:
        return self.sql(
            "SELECT COUNT(*) FROM learning_credentials_credential WHERE configuration_id = %s "
            "AND notified_at IS NOT NULL",
            (configuration_id,),
        )[0][0]

    # -- the worker -------------------------------------------------------------------------------------

    def start_worker(self, *, pool: str = "prefork") -> None:
        env = {
            **os.environ,
            **self.env(),
            "SANDBOX_COUNT_QUERIES": self.args.redis,
            "SANDBOX_COUNT_QUERIES_KEY": self.counts_key,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS), str(REPO), os.environ.get("PYTHONPATH")])),
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sandbox",
            "worker",
            f"--pool={pool}",
            f"--concurrency={self.args.concurrency}",
            "-Q",
            self.queue,
            "-n",
            self.nodename,
            "-I",
            "harness",
            "--without-mingle",
            "--without-gossip",
            "-l",
            self.args.worker_loglevel,
        ]
        self._log_file = self.worker_log.open("w")
        self.worker = subprocess.Popen(command, cwd=EXAMPLE, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)
        from sandbox.celery import app

        started = time.monotonic()
        while time.monotonic() - started < 60:
            if self.worker.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.worker.returncode}:\n{self.log_tail()}")
            if app.control.ping(destination=[self.nodename], timeout=0.5):
                print(f"worker: {pool} x{self.args.concurrency}, ready in {time.monotonic() - started:.1f}s")
                return
        raise RuntimeError(f"the worker did not answer within 60s:\n{self.log_tail()}")

    def stop_worker(self, *, show_log: bool = False) -> None:
        if self.worker is None:
            return
        self.worker.terminate()
        try:
            self.worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()
        self._log_file.close()
        if show_log:
            print(f"--- worker log (tail) ---\n{self.log_tail()}")
        self.worker = None

    def log_tail(self, chars: int = 4000) -> str:
        return self.worker_log.read_text(errors="replace")[-chars:] if self.worker_log.exists() else ""

    def wait_idle(self, timeout: float = 300) -> None:
        """Until the queue is empty and the worker holds no task (prefetched ones included)."""
        from sandbox.celery import app

        deadline = time.monotonic() + timeout
        inspect = app.control.inspect(destination=[self.nodename], timeout=2)
        while time.monotonic() < deadline:
            if not self._redis.llen(self.queue):
                active, reserved = inspect.active() or {}, inspect.reserved() or {}
                if active and not any(active.values()) and not any(reserved.values()):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the worker was still busy after {timeout}s")

    def worker_counts(self) -> dict[str, int]:
        """What the worker processes counted since the last reset (see example/sandbox/celery.py)."""
        return {key.decode(): int(value) for key, value in self._redis.hgetall(self.counts_key).items()}

    def reset_worker_counts(self) -> None:
        """Start a phase: the worker's statement counts, its log and the CPU accounting start from here."""
        self._redis.delete(self.counts_key)
        self._log_offset = self.worker_log.stat().st_size if self.worker_log.exists() else 0
        self._cpu_start, self._wall_start = cpu_snapshot(self.worker.pid if self.worker else None), time.monotonic()
        self._cpu_mark = None

    def task_seconds(self) -> dict[str, tuple[int, float]]:
        """Tasks and seconds per task name since the phase started, from the worker's log (needs INFO)."""
        with self.worker_log.open("rb") as log:
            log.seek(getattr(self, "_log_offset", 0))
            text = log.read().decode(errors="replace")
        totals: dict[str, tuple[int, float]] = {}
        for name, seconds in re.findall(r"Task (\S+)\[[^\]]+\] succeeded in ([0-9.]+)s", text):
            count, total = totals.get(name, (0, 0.0))
            totals[name] = (count + 1, total + float(seconds))
        return totals

    def mark(self) -> None:
        """The end of the timed window: ``describe_time`` splits the phase's CPU seconds there."""
        self._cpu_mark, self._wall_mark = cpu_snapshot(self.worker.pid), time.monotonic()

    def describe_time(self, learners: int, *, throughput: bool = True) -> str:
        """Where the time of the phase went: the worker's task seconds and CPU seconds per process group."""
        lines = [
            f"  {name}: {count} tasks, {seconds:.2f} s in tasks ({1000 * seconds / count:.1f} ms each)"
            for name, (count, seconds) in sorted(self.task_seconds().items())
        ]
        now, end = cpu_snapshot(self.worker.pid), time.monotonic()
        windows = [("whole phase", self._cpu_start, now, self._wall_start, end)]
        if self._cpu_mark is not None:
            windows = [
                ("timed window", self._cpu_start, self._cpu_mark, self._wall_start, self._wall_mark),
                ("after it (emails)", self._cpu_mark, now, self._wall_mark, end),
            ]
        cores = os.cpu_count() or 1
        for label, first, last, started, ended in windows:
            used = {key: last[key] - first[key] for key in last}
            known = sum(value for key, value in used.items() if key != "machine")
            lines.append(
                f"  CPU seconds, {label}: {ended - started:.1f} s = {(ended - started) * cores:.1f} core-seconds: "
                + ", ".join(f"{key} {value:.1f}" for key, value in used.items() if key != "machine")
                + f", everything else on the machine {max(used['machine'] - known, 0):.1f}"
            )
        used = {key: (self._cpu_mark or now)[key] - self._cpu_start[key] for key in now}
        own = 1000 * (used["worker"] + used["database"]) / learners
        line = (
            f"  CPU per learner: worker {1000 * used['worker'] / learners:.2f} ms, database server "
            f"{1000 * used['database'] / learners:.2f} ms (all its work, other databases' too)"
        )
        if throughput:
            line += f": with the {cores} cores to themselves, about {1000 * cores / own:.0f}/s"
        lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True)
class ProcStat:
    """One process as /proc/<pid>/stat describes it; CPU in clock ticks."""

    pid: int
    name: str
    parent: int
    own_ticks: int  # utime + stime
    children_ticks: int  # cutime + cstime: children it reaped


def proc_stats() -> list[ProcStat]:
    """Every process of the machine now (Linux /proc); one that ends while being read is left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()
        found.append(
            ProcStat(
                pid=int(entry.name),
                name=stat[stat.find("(") + 1 : stat.rfind(")")],
                parent=int(rest[1]),
                own_ticks=int(rest[11]) + int(rest[12]),
                children_ticks=int(rest[13]) + int(rest[14]),
            )
        )
    return found


def cpu_snapshot(worker_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far (Linux /proc): the machine's, and per group of processes.

    Groups: the worker (its main process and pool processes), the database server (all its
    processes: other databases' work too), Redis and this process. Each process counts with its
    reaped children (cutime, cstime), so pool processes or backends that exit are not lost.
    """
    tick = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(value) for value in fields[:8]) - int(fields[3]) - int(fields[4])  # minus idle and iowait
    groups = {"worker": 0, "database": 0, "redis": 0, "this script": 0, "machine": busy}
    for process in proc_stats():
        comm, pid, ppid = process.name, process.pid, process.parent
        used = process.own_ticks + process.children_ticks
        if worker_pid and worker_pid in (pid, ppid):
            groups["worker"] += used
        elif comm in ("postgres", "mariadbd", "mysqld"):
            groups["database"] += used
        elif comm == "redis-server":
            groups["redis"] += used
        elif pid == os.getpid():
            groups["this script"] += used
    return {key: value / tick for key, value in groups.items()}


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews every figure."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


def describe_counts(counts: dict[str, int], learners: int) -> str:
    """One line per task name and statement kind, per learner."""
    lines = []
    for key in sorted(k for k in counts if k.startswith("queries:")):
        name = key.split(":", 1)[1]
        tasks = counts.get(f"tasks:{name}", 0)
        lines.append(
            f"  {name}: {tasks} tasks, {counts[key]} statements ({counts[key] / max(learners, 1):.2f} per learner)"
        )
    statements = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("statements:")}
    lines.append("  by statement: " + ", ".join(f"{k} {v}" for k, v in sorted(statements.items(), key=lambda i: -i[1])))
    return "\n".join(lines)


# -- the per-learner baseline (runs in the worker) -------------------------------------------------------
# How a per-learner plugin works: the scheduled task works out who is eligible in bulk and queues one
# task per learner; each task issues the credential (one service call) and renders and stores its PDF.


@shared_task(name="benchmarks.baseline_run", acks_late=True)
def baseline_run(configuration_id: int) -> int:
    from learning_credentials.models import CredentialConfiguration
    from learning_credentials.services.configuration import configuration_plan

    configuration = CredentialConfiguration.objects.select_related("credential_type").get(pk=configuration_id)
    plan = configuration_plan(configuration=configuration)
    for user_id in plan.to_issue:
        baseline_issue_one.delay(configuration_id, user_id)
    return len(plan.to_issue)


@shared_task(name="benchmarks.baseline_issue_one", acks_late=True)
def baseline_issue_one(configuration_id: int, user_id: int) -> str:
    from learning_credentials.models import CredentialConfiguration
    from learning_credentials.services import credential_generate, credential_issue_or_get

    configuration = CredentialConfiguration.objects.select_related("credential_type").get(pk=configuration_id)
    credential, _ = credential_issue_or_get(user_id=user_id, configuration=configuration, source="command", queue=False)
    return credential_generate(credential_id=credential.pk, source="command").status
