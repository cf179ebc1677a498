"""Real Celery processes of the sandbox host, against the test database and a Redis broker.

``CeleryProcesses`` starts workers and beat (each in its own process group, logs printed when
stopped); ``CeleryProcesses.publishing`` points this process's Celery app at the same broker and
queue for a while, so that what the code under test queues after commit reaches the worker.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.publishing import celery_publishing

EXAMPLE = Path(__file__).resolve().parents[2] / "example"
REPOSITORY = EXAMPLE.parent


def database_url() -> str:
    """The URL of the test database this process uses, for the Celery processes to open too."""
    db = connection.settings_dict
    if "sqlite" in db["ENGINE"]:
        assert db["NAME"] and db["NAME"] != ":memory:" and "mode=memory" not in str(db["NAME"]), "needs a file database"
        return f"sqlite:///{db['NAME']}"
    scheme = "postgres" if "postgresql" in db["ENGINE"] else "mysql"
    user = db["USER"] or ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"{scheme}://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "the condition"):
    """Poll ``predicate`` until it returns something truthy (returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(interval)


class CeleryProcesses:
    """Start sandbox Celery processes on one broker and queue; stop them and print their logs at the end."""

    def __init__(self, tmp_path: Path, broker: str):
        self.tmp_path, self.broker = tmp_path, broker
        self.queue = f"lc-test-{uuid.uuid4().hex[:8]}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_ALWAYS_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "LC_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "LMS_ROOT_URL": settings.LMS_ROOT_URL,
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # The worker runs in example/; test doubles it is told to load live in tests/.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
        }

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def start(self, name: str, *arguments: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Run ``celery -A sandbox <arguments>`` as ``name``, in a new process group (see ``kill``)."""
        with self.log(name).open("w") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "sandbox", *arguments],
                cwd=EXAMPLE,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.processes[name]

    def worker(self, name: str = "worker", *, pool: str = "solo", concurrency: int = 1, **env: str):
        """Start a worker on this queue and wait until it is ready to consume."""
        process = self.start(
            name,
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-Q",
            self.queue,
            "--without-mingle",
            "--without-gossip",
            "-l",
            "INFO",
            env=env,
        )
        wait_for(lambda: " ready." in self.log(name).read_text(), timeout=60, what=f"{name} to be ready")
        return process

    def beat(self, name: str = "beat"):
        return self.start(name, "beat", "-l", "INFO", "--max-interval", "1", "-s", str(self.tmp_path / "beat-schedule"))

    def kill(self, name: str) -> None:
        """kill -9 the process and every process it started (its process group)."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)

    @contextmanager
    def publishing(self):
        """Point this process's Celery app at this broker and queue (not eager) inside the block."""
        with celery_publishing(
            broker_url=self.broker, broker_write_url=self.broker, task_default_queue=self.queue
        ) as app:
            yield app

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        for name in self.processes:
            print(f"--- {name} log ---\n{self.log(name).read_text()[-4000:]}")

    def forget_queue(self) -> None:
        """Delete this queue's keys from the broker: its messages, its binding and its unacknowledged messages."""
        try:
            client = redis.Redis.from_url(self.broker, socket_timeout=5)
            client.delete(self.queue, f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}")
            client.zrem("_kombu.binding_deadlines", self.queue)
            for tag, payload in (client.hgetall("unacked") or {}).items():
                if f'"{self.queue}"'.encode() in payload:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
        except redis.ConnectionError:
            pass  # a broker that is gone kept nothing
