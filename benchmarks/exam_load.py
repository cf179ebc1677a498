"""Exam load: ``--takers`` learners sit the final exam at once over HTTP (gunicorn, PostgreSQL, a real worker).

The sandbox (``example/sandbox/wsgi.py``) is served by gunicorn (``--server-workers`` processes,
sync by default) on a free port of 127.0.0.1, with the benchmark's database and Celery queue; a
Celery worker (``--concurrency 2`` prefork, as the other pipeline benchmarks start it) renders
the certificates' PDFs out of the requests. The harness (``harness.py``) creates the database
(``lc_bench_exam_load_<pid>``), migrates it, seeds the course and its learners (100% completion)
and the demo's certificate, and drops it all at the end. The course offers certification: its
configuration issues with ``certification_exam_passed``, the demo's 150-question pool
(``example/certification/pool.json``) is imported, and every learner holds an entitlement.

Each taker is a thread with its own HTTP connection (``http.client``) and a Django session made
ahead of time (the ``sessionid`` cookie); the CSRF token comes from the sandbox's login page (the
``csrftoken`` cookie, sent back as ``X-CSRFToken``: the API's SessionAuthentication enforces CSRF).

First a warm-up, left out of every figure: ``--warmup`` learners (2 per server process; 1 with
``--smoke``) of another course, drawing from the same pool, start at once, answer 26 questions
right without think time and submit (a pass): each server process's first exam requests import
code and open the broker connection, and each worker process's first PDF loads the template,
which a server that has been up for a while did long ago. The worker is then left to finish.

Then the measured run, starts spread evenly over ``--ramp`` seconds: a taker reads its
certification status, starts the exam, answers the 50 questions with ``--think`` seconds between
a reply and the next request, and submits. After the start it reads the attempt's snapshot by
SQL (the correct options; in its think time): taker k answers ``(23 k + 25) mod 51`` questions
right and the rest wrong, so scores from 0 to 100 occur, 50% (25 right: a fail) and 52% (26: a
pass) among them, and every taker's score is known in advance. Every answer's ``correct`` and
every grade are checked against it.

Latency is the client's wall time per request (the connection included); ``p95_*_ms`` are
nearest-rank 95th percentiles. Inside the server, ``exam_load_gunicorn.py`` measures each request:
the CPU and wall time of the thread that handled it, its SQL statements and their time, and the
time spent opening database connections and committing; ``--profile`` also ranks the statements
and runs cProfile (on the thread's CPU clock) per kind of request. CPU seconds of the gunicorn
processes, the worker, the database server, Redis, this script and the machine's other processes
come from ``/proc``. ``--host production`` (the default) serves the exam as a production host
does: sessions in a shared cache (Redis) and persistent database connections; ``--host sandbox``,
the baseline, keeps the sandbox's Django defaults (sessions in the database, a connection per
request).

After the run, by SQL on fresh connections: answers stored (the attempts' answers) against the
answers the clients got a 200 for (``lost_answers``), graded attempts, AVAILABLE certificates of the
configuration (waited for, ``--timeout``), and ``wrong_certificates``: passers without exactly one
live credential with their score, failers with a live credential, and any grade (the API's, the
attempt's or the certification's) that differs from the expected score.

    .venv/bin/python benchmarks/exam_load.py             # 50 takers, 0.5 s think time
    .venv/bin/python benchmarks/exam_load.py --smoke     # CI: 5 takers, 0.05 s think time

Exits 1 on a non-2xx reply, a lost answer, a wrong answer or grade, or a wrong or missing
certificate. The latency targets are printed (met or MISSED), not enforced.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

COURSE = "course-v1:BenchX+EXAM+2026"
WARMUP = "course-v1:BenchX+EXAMWARMUP+2026"  # the warm-up's learners sit its exam (drawn from COURSE's pool)
POOL = harness.EXAMPLE / "certification" / "pool.json"
API = "/api/learning_credentials/v1/certification"
PASS_MARK = 50  # EXAMS' default: a pass is a score strictly above it
ATTEMPTS = "learning_credentials_exams_attempt"
CERTIFICATIONS = "learning_credentials_exams_certification"
CREDENTIALS = "learning_credentials_credential"
# The server's set-up, read by the sandbox's settings (in this process, the server and the worker):
# a production host keeps sessions in a shared cache and its database connections open; "sandbox"
# is Django's defaults. The cache's keys carry the run's prefix and are deleted at the end.
HOSTS = {
    "production": lambda args, prefix: {
        "SANDBOX_CACHE_URL": args.cache,
        "SANDBOX_CACHE_PREFIX": prefix,
        "SANDBOX_CONN_MAX_AGE": "600",
    },
    "sandbox": lambda args, prefix: {"SANDBOX_CACHE_URL": "", "SANDBOX_CONN_MAX_AGE": "0"},
}
KINDS = ("status", "start", "answer", "submit")


def planned_right(index: int, size: int) -> int:
    """How many questions taker ``index`` answers right: spread over 0..size, 25 and 26 of 50 included."""
    return (23 * index + size // 2) % (size + 1)


def expected_score(right: int, size: int) -> int:
    """The integer percent, halves rounded up (the exam's rule, computed here independently)."""
    return (200 * right + size) // (2 * size)


@dataclass
class Taker:
    index: int
    user_id: int
    username: str
    session_id: str
    csrf: str = ""
    right: int = 0
    attempt_id: str | None = None
    answered_ok: int = 0
    grade: dict | None = None
    wrong_feedback: int = 0
    errors: list[str] = field(default_factory=list)
    done: bool = False


class Client:
    """One taker's HTTP connection to the server; records (kind, milliseconds, status) of every request."""

    def __init__(self, port: int, taker: Taker, record, phase: str):
        self.port, self.taker, self.record, self.phase = port, taker, record, phase
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, kind: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        headers = {
            "Cookie": f"sessionid={self.taker.session_id}",
            "Accept": "application/json",
            "X-Exam-Load-Phase": self.phase,  # the server's figures are kept apart by phase
        }
        if self.taker.csrf:
            headers["Cookie"] += f"; csrftoken={self.taker.csrf}"
        if method == "POST":
            headers["X-CSRFToken"] = self.taker.csrf
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.record(kind, (time.perf_counter() - started) * 1000, 0)
            raise RuntimeError(f"{kind} {path}: {exc!r}") from exc
        self.record(kind, (time.perf_counter() - started) * 1000, response.status)
        if kind == "login":
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie(header)
                if "csrftoken" in cookie:
                    self.taker.csrf = cookie["csrftoken"].value
        if not 200 <= response.status < 300:
            raise RuntimeError(f"{kind} {path}: HTTP {response.status}: {raw[:300]!r}")
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return response.status, json.loads(raw) if is_json else None

    def close(self) -> None:
        self.connection.close()


class Run:
    """The takers, the server and what they measured."""

    def __init__(
        self,
        bench: harness.Bench,
        args,
        port: int,
        takers: list[Taker],
        *,
        course: str,
        think: float,
        phase: str,
        answer_right: int | None = None,
    ):
        """``answer_right``: answer only that many questions, all right, then submit (the warm-up's quick pass)."""
        self.bench, self.args, self.port, self.takers = bench, args, port, takers
        self.course, self.think, self.phase, self.answer_right = course, think, phase, answer_right
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.statuses: list[int] = []
        self.snapshot_ms: list[float] = []

    def record(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)
            self.statuses.append(status)

    def snapshot(self, attempt_id: str) -> dict[str, dict]:
        """The attempt's questions by id, read by SQL on a fresh connection (the client needs the right options)."""
        key = uuid.UUID(attempt_id)
        rows = self.bench.sql(
            f"SELECT questions FROM {ATTEMPTS} WHERE id = %s", (key if self.args.db == "postgres" else key.hex,)
        )
        questions = rows[0][0]
        if isinstance(questions, str | bytes):
            questions = json.loads(questions)
        return {question["id"]: question for question in questions}

    def pause(self, since: float) -> None:
        """Think time: ``--think`` seconds after the last reply, less what the client did since."""
        time.sleep(max(0.0, self.think - (time.perf_counter() - since)))

    def take(self, taker: Taker, offset: float, start_at: float) -> None:
        client = Client(self.port, taker, self.record, self.phase)
        try:
            time.sleep(max(0.0, start_at + offset - time.perf_counter()))
            client.request("status", "GET", f"{API}/{self.course}/")
            self.pause(time.perf_counter())
            _status, attempt = client.request("start", "POST", f"{API}/{self.course}/attempts/")
            replied = time.perf_counter()
            taker.attempt_id = attempt["id"]
            taker.right = self.answer_right or planned_right(taker.index, attempt["size"])
            before = time.perf_counter()
            questions = self.snapshot(taker.attempt_id)
            with self.lock:
                self.snapshot_ms.append((time.perf_counter() - before) * 1000)
            question, number = attempt["question"], 0
            while question is not None and (self.answer_right is None or number < self.answer_right):
                options = questions[question["id"]]["options"]
                right = [option["id"] for option in options if option["correct"]]
                wrong = [option["id"] for option in options if not option["correct"]][:1] or right[:-1]
                meant = number < taker.right
                self.pause(replied)
                _status, reply = client.request(
                    "answer",
                    "POST",
                    f"{API}/attempts/{taker.attempt_id}/answer/",
                    {"question": question["id"], "options": right if meant else wrong},
                )
                replied = time.perf_counter()
                taker.answered_ok += 1
                taker.wrong_feedback += reply["correct"] != meant
                question, number = reply["attempt"]["question"], number + 1
            self.pause(replied)
            _status, taker.grade = client.request("submit", "POST", f"{API}/attempts/{taker.attempt_id}/submit/")
            taker.done = True
        except Exception:
            taker.errors.append(traceback.format_exc(limit=2))
        finally:
            client.close()

    def tokens(self) -> None:
        """Each taker's CSRF token, from the sandbox's login page (as a browser gets it)."""
        for taker in self.takers:
            client = Client(self.port, taker, self.record, "login")
            client.request("login", "GET", "/accounts/login/")
            client.close()

    def go(self, ramp: float) -> float:
        """All takers, each in its thread, starts spread over ``ramp`` seconds; returns the wall seconds."""
        count = len(self.takers)
        start_at = time.perf_counter() + 0.2
        threads = [
            threading.Thread(
                target=self.take, args=(taker, ramp * n / count, start_at), name=f"{self.phase}-{n}", daemon=True
            )
            for n, taker in enumerate(self.takers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - start_at


# -- the machine ---------------------------------------------------------------------------------------------


def processes() -> dict[int, tuple[str, int, float]]:
    """Every process's name, parent and CPU seconds so far, from /proc.

    Its own seconds only: a parent that reaps a child adds the child's whole life to its own
    children's figures, which would count work done before the window. Work of processes that
    start and end within the window shows only in the machine's total ("everything else").
    """
    tick = os.sysconf("SC_CLK_TCK")
    return {p.pid: (p.name, p.parent, p.own_ticks / tick) for p in harness.proc_stats()}


def kernel_ticks() -> dict[str, float]:
    """Seconds of interrupt handling and of steal (the hypervisor ran someone else) so far, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    return {"irq": (fields[5] + fields[6]) / tick, "steal": fields[7] / tick}


def others(before: dict, after: dict, ours: set[int]) -> str:
    """The other processes that used the most CPU between two ``processes()`` snapshots, by name."""
    used: dict[str, float] = {}
    for pid, (name, parent, seconds) in after.items():
        if pid in ours or parent in ours or name in ("postgres", "redis-server"):
            continue
        used[name] = used.get(name, 0.0) + seconds - (before[pid][2] if pid in before else 0.0)
    top = sorted(((seconds, name) for name, seconds in used.items() if seconds >= 0.05), reverse=True)[:4]
    return ", ".join(f"{name} {seconds:.1f}" for seconds, name in top) or "none"


# -- the server ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the sandbox on 127.0.0.1 with the benchmark's environment."""

    def __init__(self, bench: harness.Bench, args):
        self.bench, self.args = bench, args
        self.port = free_port()
        self.stats = bench.tmp / "server-stats"
        self.stats.mkdir()
        self.log = bench.tmp / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            **self.bench.env(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "EXAM_LOAD_STATS": str(self.stats),
            "EXAM_LOAD_PROFILE": "1" if self.args.profile else "0",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(harness.REPO), str(harness.EXAMPLE), os.environ.get("PYTHONPATH")])
            ),
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(harness.BENCHMARKS / "exam_load_gunicorn.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.args.server_workers),
            "--worker-class",
            self.args.worker_class,
            "--threads",
            str(self.args.threads),
            "sandbox.wsgi:application",
        ]
        self._log_file = self.log.open("w")
        started = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=harness.EXAMPLE, env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )
        while time.monotonic() - started < 60:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            ready = self.log.read_text(errors="replace").count("exam_load worker ")
            if ready >= self.args.server_workers:
                sources = {line.split(": ", 1)[1] for line in self.log_lines() if "exam_load worker " in line}
                threads = f" x{self.args.threads} threads" if self.args.worker_class == "gthread" else ""
                print(
                    f"server: gunicorn {self.args.worker_class} x{self.args.server_workers}{threads} on "
                    f"127.0.0.1:{self.port}, ready in {time.monotonic() - started:.1f}s; {' / '.join(sorted(sources))}"
                )
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn was not ready within 60s:\n{self.log_tail()}")

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()
        self.process = None

    def cpu_seconds(self) -> float:
        """CPU seconds of the gunicorn master and its workers so far (reaped workers included), from /proc."""
        master = self.process.pid
        used = sum(p.own_ticks + p.children_ticks for p in harness.proc_stats() if master in (p.pid, p.parent))
        return used / os.sysconf("SC_CLK_TCK")

    def requests(self) -> list[dict]:
        records = []
        for path in sorted(self.stats.glob("*.jsonl")):
            records += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return records


# -- set-up -------------------------------------------------------------------------------------------------


def certification(bench: harness.Bench, course_key: str, *, slug: str, pool: str | None = None) -> int:
    """Certification in a course: the demo's certificate, issued by ``certification_exam_passed``; its id."""
    from opaque_keys.edx.keys import CourseKey

    from learning_credentials.exams.models import CertificationSettings

    configuration = bench.configuration(course_key=course_key, slug=slug)
    credential_type = configuration.credential_type
    credential_type.name = f"Professional Certificate ({slug})"
    credential_type.retrieval_func = "certification_exam_passed"
    credential_type.custom_options.pop("required_completion", None)
    credential_type.save()
    CertificationSettings.objects.create(
        context_key=CourseKey.from_string(course_key),
        enabled=True,
        configuration=configuration,
        pool_context_key=CourseKey.from_string(pool) if pool else None,
    )
    return configuration.pk


def learners(bench: harness.Bench, course_key: str, *, name: str, count: int, prefix: str) -> list[Taker]:
    """``count`` learners who completed the course and are entitled, each with a session of their own."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client as DjangoClient

    from learning_credentials.exams.services import entitlement_grant

    if not count:
        return []
    ids = bench.seed_learners(course_key=course_key, course_name=name, count=count, prefix=prefix)
    users = get_user_model().objects.in_bulk(ids)
    takers = []
    for index, user_id in enumerate(ids):
        entitlement_grant(user_id=user_id, context_key=course_key, source="points", activity_source="admin")
        client = DjangoClient()
        client.force_login(users[user_id])
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        takers.append(Taker(index=index, user_id=user_id, username=users[user_id].username, session_id=session_id))
    return takers


def set_up(bench: harness.Bench, count: int, warmup: int) -> tuple[int, list[Taker], list[Taker]]:
    """The course with certification and the demo's pool, its takers, and the warm-up course and its takers."""
    from learning_credentials.exams.pools import question_pool_import, question_pool_parse

    started = time.monotonic()
    configuration_id = certification(bench, COURSE, slug="bench-exam")
    report = question_pool_import(
        pool_context_key=COURSE, data=question_pool_parse(POOL.read_bytes()), source="command"
    )
    takers = learners(bench, COURSE, name="Exam Load", count=count, prefix="taker")
    certification(bench, WARMUP, slug="bench-exam-warmup", pool=COURSE)
    warm = learners(bench, WARMUP, name="Exam Load (warm-up)", count=warmup, prefix="warm")
    print(
        f"certification: {COURSE} and {WARMUP} (its pool), pool {POOL.name} ({report.created} questions); "
        f"{count} + {warmup} learners with entitlements and sessions in {time.monotonic() - started:.1f}s"
    )
    return configuration_id, takers, warm


def wait_certificates(bench: harness.Bench, configuration_id: int, expected: int, timeout: float) -> float:
    """Seconds until ``expected`` live certificates of the configuration are AVAILABLE (or the timeout)."""
    observer, started = bench.observer(), time.monotonic()
    query = f"SELECT COUNT(*) FROM {CREDENTIALS} WHERE configuration_id = %s AND status = %s AND active = %s"
    try:
        while time.monotonic() - started < timeout:
            if observer.query(query, (configuration_id, "available", True))[0][0] >= expected:
                break
            time.sleep(0.05)
    finally:
        observer.close()
    return time.monotonic() - started


# -- counting -------------------------------------------------------------------------------------------------


def count(bench: harness.Bench, configuration_id: int, takers: list[Taker]) -> dict:
    """The outcome by SQL on fresh connections, and each taker's grade checked against the expected score."""
    attempts = bench.sql(
        f"SELECT user_id, status, score, passed, answers FROM {ATTEMPTS} WHERE context_key = %s", (COURSE,)
    )
    stored = 0
    by_user: dict[int, list[tuple]] = {}
    for user_id, status, score, passed, answers in attempts:
        answers = json.loads(answers) if isinstance(answers, str | bytes) else answers
        stored += len(answers)
        by_user.setdefault(user_id, []).append((status, score, passed))
    live: dict[int, list[tuple]] = {}
    for user_id, score, status in bench.sql(
        f"SELECT user_id, score, status FROM {CREDENTIALS} WHERE configuration_id = %s AND active = %s",
        (configuration_id, True),
    ):
        live.setdefault(user_id, []).append((score, status))
    certified = dict(
        bench.sql(
            f"SELECT user_id, score FROM {CERTIFICATIONS} WHERE context_key = %s AND passed IS NOT NULL", (COURSE,)
        )
    )
    wrong, problems = 0, []
    for taker in takers:
        size = 50 if taker.grade is None else taker.grade["size"]
        score = expected_score(taker.right, size)
        passes = score > PASS_MARK
        held = live.get(taker.user_id, [])
        graded = [row for row in by_user.get(taker.user_id, []) if row[0] == "graded"]
        reasons = []
        if passes and (len(held) != 1 or int(held[0][0]) != score):
            reasons.append(f"passer with live credentials {held}")
        if not passes and held:
            reasons.append(f"failer with live credentials {held}")
        if taker.grade is not None and (taker.grade["score"] != score or taker.grade["passed"] != passes):
            reasons.append(f"API grade {taker.grade['score']}/{taker.grade['passed']}")
        if len(graded) != 1 or graded[0][1] != score or graded[0][2] != passes:
            reasons.append(f"graded attempts {graded}")
        if certified.get(taker.user_id) != score:
            reasons.append(f"certification score {certified.get(taker.user_id)}")
        if reasons:
            wrong += 1
            problems.append(
                f"{taker.username}: expected {score} ({'pass' if passes else 'fail'}): {'; '.join(reasons)}"
            )
    available = sum(1 for rows in live.values() for _score, status in rows if status == "available")
    return {
        "stored": stored,
        "attempts": len(attempts),
        "graded": sum(1 for rows in by_user.values() for row in rows if row[0] == "graded"),
        "certificates": available,
        "live_not_available": sum(len(rows) for rows in live.values()) - available,
        "wrong_certificates": wrong,
        "problems": problems,
        "passers": sum(1 for taker in takers if expected_score(taker.right, 50) > PASS_MARK),
    }


# -- reporting ------------------------------------------------------------------------------------------------


def describe_server(records: list[dict], window_requests: int, server_cpu: float) -> tuple[list[str], dict]:
    """Per request kind, what the server measured inside its workers."""
    lines, figures = [], {}
    for kind in (*KINDS, "other"):
        rows = [row for row in records if row["kind"] == kind and row.get("phase") == "run"]
        if not rows:
            continue

        def mean(key: str, rows=rows) -> float:
            return statistics.mean(row[key] for row in rows)

        wall = [row["wall_ms"] for row in rows]
        figures[kind] = {"cpu_ms": mean("cpu_ms"), "queries": mean("queries"), "wall_ms": mean("wall_ms")}
        lines.append(
            f"  {kind}: {len(rows)} requests; in the worker: wall mean {mean('wall_ms'):.1f} ms "
            f"(p95 {harness.percentile(wall, 0.95):.1f}), thread CPU {mean('cpu_ms'):.1f} ms, "
            f"{mean('queries'):.1f} statements taking {mean('db_ms'):.1f} ms, "
            f"{mean('connects'):.2f} connections opened taking {mean('connect_ms'):.1f} ms, "
            f"{mean('commits'):.2f} commits taking {mean('commit_ms'):.1f} ms"
        )
    lines.append(
        f"  gunicorn processes used {server_cpu:.2f} CPU s during the run: "
        f"{1000 * server_cpu / max(window_requests, 1):.1f} ms per request ({window_requests} requests)"
    )
    return lines, figures


def describe_statements(records: list[dict], kind: str, top: int = 12) -> list[str]:
    """With --profile: the statements of one kind of request, by total time (mean per request)."""
    rows = [row for row in records if row["kind"] == kind and row.get("phase") == "run" and "statements" in row]
    if not rows:
        return []
    totals: dict[str, list[float]] = {}
    for row in rows:
        for sql, ms in row["statements"]:
            totals.setdefault(sql, []).append(ms)
    ranked = sorted(totals.items(), key=lambda item: -sum(item[1]))[:top]
    lines = [f"  {kind}: statements by time per request ({len(rows)} requests)"]
    for sql, times in ranked:
        lines.append(f"    {sum(times) / len(rows):6.2f} ms  x{len(times) / len(rows):.2f}  {sql}")
    return lines


def describe_profile(stats_dir: Path, kind: str, requests: int, top: int = 30) -> list[str]:
    """With --profile: cProfile of one kind of request over all workers (thread CPU seconds), by cumulative time."""
    import io
    import pstats

    files = sorted(stats_dir.glob(f"*-{kind}.prof"))
    if not files or not requests:
        return []
    stream = io.StringIO()
    stats = pstats.Stats(*map(str, files), stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    lines = [f"  {kind}: cProfile over {requests} requests (the handling threads' CPU seconds, profiling's included)"]
    lines += ["    " + line for line in stream.getvalue().splitlines() if line.strip()][3:]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--takers", type=int, default=50, help="learners sitting the exam at once (default 50)")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between a reply and the next request")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds over which the takers' starts are spread")
    parser.add_argument("--server-workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync", help="gunicorn's (default sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    parser.add_argument(
        "--host",
        choices=tuple(HOSTS),
        default="production",
        help="production (default): sessions in Redis, persistent database connections, as a production "
        "Open edX on PostgreSQL runs; sandbox: the sandbox's defaults (sessions in the database, a connection "
        "per request)",
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the certificates' PDFs")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record every statement in the server and cProfile each kind of request (slows the server)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        help="learners who sit a warm-up exam (no think time) before the measured run; default 2 per server worker",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI size: 5 takers, 0.05 s think time, 0.2 s ramp, 1 warm-up per server worker",
    )
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/12", help="the production host's cache (Redis)")
    harness.add_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.takers, args.think, args.ramp = 5, 0.05, 0.2
        args.warmup = args.server_workers if args.warmup is None else args.warmup
    if args.warmup is None:
        args.warmup = 2 * args.server_workers
    if args.takers < 1 or args.warmup < 0:
        parser.error("--takers must be positive, --warmup at least 0")
    load_at_start = Path("/proc/loadavg").read_text().strip()
    print(f"/proc/loadavg at start: {load_at_start}")
    cache_prefix = f"lc_bench_exam_load_{os.getpid()}"
    os.environ.update(HOSTS[args.host](args, cache_prefix))  # this process's Django, the server's and the worker's

    try:
        return measure(args, load_at_start)
    finally:
        if args.host == "production":
            import redis

            cache = redis.Redis.from_url(args.cache)
            for key in cache.scan_iter(match=f"{cache_prefix}:*", count=1000):
                cache.delete(key)


def measure(args, load_at_start: str) -> int:
    with harness.Bench("exam_load", args) as bench:
        import learning_credentials

        print(f"learning_credentials from {learning_credentials.__file__}")
        configuration_id, takers, warm_takers = set_up(bench, args.takers, args.warmup)
        bench.start_worker()
        server = Server(bench, args)
        try:
            server.start()
            run = Run(bench, args, server.port, takers, course=COURSE, think=args.think, phase="run")
            run.tokens()
            if warm_takers:
                # Each server process's first exam requests import code and connect to Redis (the first
                # publish), and each worker process's first PDF loads the template: not what is measured.
                warm = Run(
                    bench, args, server.port, warm_takers, course=WARMUP, think=0.0, phase="warmup", answer_right=26
                )
                warm.tokens()
                warm_seconds = warm.go(ramp=0.0)
                warm_errors = [error for taker in warm_takers for error in taker.errors]
                print(
                    f"warm-up: {len(warm_takers)} takers, 26 answers right and a pass each, no think time, "
                    f"in {warm_seconds:.1f}s, "
                    f"{len(warm_errors)} errors; answer p50 {harness.percentile(warm.latencies['answer'], 0.5):.1f} ms"
                    if not warm_errors
                    else f"warm-up failed: {warm_errors[0]}"
                )
                if warm_errors:
                    raise RuntimeError("the warm-up failed")
                bench.wait_idle()
            from django.db import connections

            connections.close_all()
            bench.reset_worker_counts()
            server_cpu, cpu_start = server.cpu_seconds(), harness.cpu_snapshot(bench.worker.pid)
            table_start, kernel_start = processes(), kernel_ticks()
            seconds = run.go(ramp=args.ramp)
            server_cpu = server.cpu_seconds() - server_cpu
            cpu_end = harness.cpu_snapshot(bench.worker.pid)
            ours = {os.getpid(), bench.worker.pid, server.process.pid}
            other = others(table_start, processes(), ours)
            kernel = {key: value - kernel_start[key] for key, value in kernel_ticks().items()}
            bench.mark()
            done = sum(taker.done for taker in takers)
            passers = sum(1 for t in takers if t.grade and t.grade["passed"])
            waited = wait_certificates(bench, configuration_id, passers, args.timeout)
            bench.wait_idle()
            cpu_after = harness.cpu_snapshot(bench.worker.pid)
        finally:
            server.stop()
        records = server.requests()
        profiles = []
        if args.profile:  # read before the harness removes its temporary folder
            for kind in ("start", "answer", "submit"):
                profiles += describe_profile(server.stats, kind, len(run.latencies.get(kind, [])))
        counts = count(bench, configuration_id, takers)
        stored_pdfs, missing_pdfs = bench.check_pdfs(configuration_id)
        tasks = bench.task_seconds()
        worker_counts = bench.worker_counts()
        load_at_end = Path("/proc/loadavg").read_text().strip()

    errors = [error for taker in takers for error in taker.errors]
    for error in errors[:3]:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} takers stopped on an error (non-2xx replies or client failures)", file=sys.stderr)
    non_2xx = sum(1 for status in run.statuses if not 200 <= status < 300)
    answers_ok = sum(taker.answered_ok for taker in takers)
    lost = answers_ok - counts["stored"]
    wrong_feedback = sum(taker.wrong_feedback for taker in takers)
    window_requests = sum(len(run.latencies.get(kind, [])) for kind in KINDS)

    print(
        f"run: {args.takers} takers, think {args.think} s, ramp {args.ramp} s: {seconds:.1f} s; "
        f"{done} finished, {window_requests} requests ({window_requests / seconds:.1f}/s)"
    )
    print("client latency (wall, ms)")
    p95 = {}
    for kind in ("login", *KINDS):
        values = run.latencies.get(kind, [])
        if not values:
            continue
        p95[kind] = harness.percentile(values, 0.95)
        print(
            f"  {kind}: {len(values)} requests, mean {statistics.mean(values):.1f}, "
            f"p50 {harness.percentile(values, 0.50):.1f}, p95 {p95[kind]:.1f}, max {max(values):.1f}"
        )
    print(
        f"  (the clients' snapshot reads by SQL, in think time: mean {statistics.mean(run.snapshot_ms or [0]):.1f} ms)"
    )
    print("server (inside the gunicorn workers, the measured run)")
    lines, figures = describe_server(records, window_requests, server_cpu)
    print("\n".join(lines))
    if args.profile:
        for kind in ("start", "answer", "submit"):
            print("\n".join(describe_statements(records, kind)))
        print("\n".join(profiles))
    used = {key: cpu_end[key] - cpu_start[key] for key in cpu_end}
    after = {key: cpu_after[key] - cpu_end[key] for key in cpu_end}
    known = sum(value for key, value in used.items() if key != "machine") + server_cpu
    print(
        f"CPU seconds during the run ({seconds:.1f} s = {seconds * (os.cpu_count() or 1):.1f} core-seconds): "
        f"gunicorn {server_cpu:.2f}, "
        + ", ".join(f"{key} {value:.2f}" for key, value in used.items() if key != "machine")
        + f", everything else {max(used['machine'] - known, 0):.2f} (interrupts {kernel['irq']:.2f},"
        f" steal {kernel['steal']:.2f}; other processes: {other})"
    )
    print(
        f"after the run, until the last PDF ({waited:.1f} s): worker {after['worker']:.2f}, "
        f"database {after['database']:.2f} CPU s"
    )
    worker_cpu = used["worker"] + after["worker"]
    print("worker tasks: " + ", ".join(f"{name} {n} ({1000 * s / n:.0f} ms each)" for name, (n, s) in tasks.items()))
    print(f"worker statements: {worker_counts.get('queries', 0)} in {worker_counts.get('tasks', 0)} tasks")
    print(
        f"by SQL: {counts['attempts']} attempts, {counts['graded']} graded, answers stored {counts['stored']} "
        f"(clients got 200 for {answers_ok}); certificates AVAILABLE {counts['certificates']} of {passers} passers "
        f"(expected {counts['passers']}), live but not available {counts['live_not_available']}; "
        f"PDFs stored {stored_pdfs} (missing {missing_pdfs}); answers with the wrong 'correct' {wrong_feedback}"
    )
    for problem in counts["problems"][:10]:
        print(f"  wrong: {problem}", file=sys.stderr)
    targets = {"answer": 50, "start": 150, "submit": 400}
    print(
        "targets: "
        + ", ".join(
            f"{kind} p95 {p95.get(kind, float('nan')):.1f} < {limit} ms "
            f"{'met' if p95.get(kind, float('inf')) < limit else 'MISSED'}"
            for kind, limit in targets.items()
        )
    )
    print(f"/proc/loadavg at start: {load_at_start}; at the end: {load_at_end}")
    load = ",".join(load_at_start.split()[:3])
    answer_cpu = figures.get("answer", {}).get("cpu_ms", float("nan"))
    print(
        f"RESULT name=exam_load takers={args.takers} answers={answers_ok}"
        f" p95_start_ms={p95.get('start', float('nan')):.1f} p95_answer_ms={p95.get('answer', float('nan')):.1f}"
        f" p95_submit_ms={p95.get('submit', float('nan')):.1f} errors={non_2xx}"
        f" lost_answers={lost} certificates={counts['certificates']} wrong_certificates={counts['wrong_certificates']}"
        f" passers={passers} p50_answer_ms={harness.percentile(run.latencies.get('answer', [0]), 0.5):.1f}"
        f" cpu_ms_per_answer_server={answer_cpu:.1f}"
        f" cpu_ms_per_request_server={1000 * server_cpu / max(window_requests, 1):.1f}"
        f" worker_cpu_ms_per_certificate={1000 * worker_cpu / max(counts['certificates'], 1):.0f}"
        f" server={args.worker_class}x{args.server_workers}"
        + f" host={args.host}"
        + f" think_s={args.think} load={load}"
    )
    failed = (
        errors
        or non_2xx
        or lost
        or wrong_feedback
        or counts["wrong_certificates"]
        or counts["certificates"] != counts["passers"]
        or missing_pdfs
        or done != args.takers
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
