"""Gunicorn configuration of ``exam_load.py``'s server: per-request figures measured inside each worker process.

Loaded with ``gunicorn -c benchmarks/exam_load_gunicorn.py``; it changes nothing in the app. For
every request the hooks write one JSON line to ``$EXAM_LOAD_STATS/<pid>.jsonl``: the request's kind
(``start``, ``answer``, ``submit``, ``status``, ``login`` or ``other``), its phase (the client's
``X-Exam-Load-Phase`` header: ``login``, ``warmup`` or ``run``), its status code, the wall
and CPU milliseconds of the thread that handled it (from ``pre_request`` to ``post_request``:
Django, the response and the closing of the database connection), the SQL statements it executed
with their milliseconds (an ``execute_wrapper`` on each new connection), and the milliseconds spent
opening database connections and committing. With ``EXAM_LOAD_PROFILE=1`` each line also lists
the statements (their first 160 characters and milliseconds), and cProfile runs around each
request of the ``run`` phase on the thread's CPU clock (where the CPU goes, not the waits), one profile per kind,
written to ``<pid>-<kind>.prof`` when the worker exits.
"""

import cProfile
import json
import os
import re
import threading
import time
from pathlib import Path

STATS = Path(os.environ.get("EXAM_LOAD_STATS", "."))
PROFILE = os.environ.get("EXAM_LOAD_PROFILE") == "1"
KINDS = (
    (re.compile(r"/certification/attempts/[^/]+/answer/$"), "answer"),
    (re.compile(r"/certification/attempts/[^/]+/submit/$"), "submit"),
    (re.compile(r"/certification/[^/]+/attempts/$"), "start"),
    (re.compile(r"/certification/[^/]+/$"), "status"),
    (re.compile(r"^/accounts/login/$"), "login"),
)

_local = threading.local()
_lock = threading.Lock()
_out = None
_profiles: dict[str, cProfile.Profile] = {}

# Gunicorn settings (the benchmark passes --bind, --workers, --worker-class and --threads).
accesslog = None
loglevel = "warning"


def kind_of(path: str) -> str:
    return next((kind for pattern, kind in KINDS if pattern.search(path)), "other")


def _timed_execute(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        stats = getattr(_local, "stats", None)
        if stats is not None:
            elapsed = (time.perf_counter() - started) * 1000
            stats["queries"] += 1
            stats["db_ms"] += elapsed
            if PROFILE:
                stats["statements"].append([" ".join(str(sql).split())[:160], round(elapsed, 3)])


def _timed(method, name: str):
    """The backend's ``method``, timed into the request's ``<name>_ms`` and counted in ``<name>s``."""

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            stats = getattr(_local, "stats", None)
            if stats is not None:
                stats[f"{name}_ms"] += (time.perf_counter() - started) * 1000
                stats[f"{name}s"] += 1

    return timed


def _install(connection, **kwargs) -> None:
    if _timed_execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(_timed_execute)


def post_worker_init(worker) -> None:
    """After the app is loaded in the worker: hook new connections and time connecting; say which code runs."""
    global _out
    from django.conf import settings
    from django.db import connections
    from django.db.backends.signals import connection_created

    import learning_credentials

    connection_created.connect(_install, weak=False)
    backend = type(connections["default"])
    backend.connect = _timed(backend.connect, "connect")
    backend.commit = _timed(backend.commit, "commit")
    _out = (STATS / f"{os.getpid()}.jsonl").open("a", buffering=1)
    worker.log.warning(
        "exam_load worker %s: CONN_MAX_AGE %s, sessions %s; learning_credentials from %s",
        os.getpid(),
        connections["default"].settings_dict["CONN_MAX_AGE"],
        settings.SESSION_ENGINE.rsplit(".", 1)[-1],
        learning_credentials.__file__,
    )


def pre_request(worker, req) -> None:
    _local.stats = {
        "queries": 0,
        "db_ms": 0.0,
        "connects": 0,
        "connect_ms": 0.0,
        "commits": 0,
        "commit_ms": 0.0,
        "statements": [],
    }
    _local.profile = None
    _local.phase = next((value for name, value in req.headers if name == "X-EXAM-LOAD-PHASE"), "")
    if PROFILE and _local.phase == "run":
        _local.profile = _profiles.setdefault(kind_of(req.path), cProfile.Profile(time.thread_time))
        _local.profile.enable()
    _local.started = (time.perf_counter(), time.thread_time())


def post_request(worker, req, environ, resp) -> None:
    stats = getattr(_local, "stats", None)
    if stats is None or _out is None:
        return
    wall, cpu = _local.started
    if _local.profile is not None:
        _local.profile.disable()
    record = {
        "kind": kind_of(req.path),
        "phase": _local.phase,
        "status": getattr(resp, "status_code", None),
        "wall_ms": round((time.perf_counter() - wall) * 1000, 3),
        "cpu_ms": round((time.thread_time() - cpu) * 1000, 3),
        "queries": stats["queries"],
        "db_ms": round(stats["db_ms"], 3),
        "connects": stats["connects"],
        "connect_ms": round(stats["connect_ms"], 3),
        "commits": stats["commits"],
        "commit_ms": round(stats["commit_ms"], 3),
        "pid": os.getpid(),
    }
    if PROFILE:
        record["statements"] = stats["statements"]
    _local.stats = None
    with _lock:
        _out.write(json.dumps(record) + "\n")


def worker_exit(server, worker) -> None:
    """In the worker process, as it exits: write its profiles."""
    for kind, profile in _profiles.items():
        profile.dump_stats(str(STATS / f"{os.getpid()}-{kind}.prof"))
